"""The USCIS settings: polling off without credentials, both or neither credential, and
budget, rate and interval within sense."""

from datetime import timedelta
from pathlib import Path

import pytest

from tracker.errors import SettingsError
from tracker.settings import Settings, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No setting from the caller's environment or a `.env` file reaches these tests."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)


def test_polling_is_off_by_default_within_production_limits() -> None:
    settings = load_settings()

    assert not settings.uscis_enabled
    assert settings.uscis_daily_budget == 10_000
    assert settings.uscis_rate_per_second == 10.0
    assert settings.uscis_poll_interval == timedelta(hours=24)


def test_polling_is_on_with_both_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USCIS_CLIENT_ID", "id")
    monkeypatch.setenv("USCIS_CLIENT_SECRET", "secret")

    assert load_settings().uscis_enabled


@pytest.mark.parametrize(
    "overrides", [{"uscis_client_id": "id"}, {"uscis_client_secret": "s3cr3t-value"}]
)
def test_one_credential_without_the_other_is_refused(overrides: dict[str, str]) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(**overrides)

    assert "both USCIS_CLIENT_ID and USCIS_CLIENT_SECRET" in caught.value.message
    assert "s3cr3t-value" not in caught.value.message


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("USCIS_DAILY_BUDGET", "0"),
        ("USCIS_RATE_PER_SECOND", "0"),
        ("USCIS_POLL_INTERVAL_HOURS", "0"),
        ("USCIS_POLL_INTERVAL_HOURS", "a day"),
    ],
)
def test_a_budget_rate_or_interval_out_of_range_names_the_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)

    with pytest.raises(SettingsError) as caught:
        load_settings()

    assert caught.value.message.startswith(f"invalid settings: {name}:")
