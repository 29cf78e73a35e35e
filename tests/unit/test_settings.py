"""Settings are checked once at startup; a bad one stops the program naming the setting."""

import base64
from pathlib import Path

import pytest

from tracker.errors import SettingsError
from tracker.kit.crypto import Keyring, parse_keys
from tracker.settings import DEV_SECRET, PROJECT_ROOT, Settings, load_settings

STRONG_SECRET = "k" * 40
OWN_KEY = base64.urlsafe_b64encode(b"n" * 32).decode()
OLD_KEY = base64.urlsafe_b64encode(b"o" * 32).decode()


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No setting from the caller's environment or a `.env` file reaches these tests."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)


def refusal(**overrides: object) -> str:
    with pytest.raises(SettingsError) as caught:
        load_settings(**overrides)
    return caught.value.message


def test_it_accepts_the_defaults_in_development() -> None:
    settings = load_settings()
    assert settings.environment == "development"
    assert settings.secret_key.get_secret_value() == DEV_SECRET
    assert settings.default_timezone == "America/New_York"
    assert settings.public_base_url is None
    assert settings.base_url == "http://localhost:8000"
    assert settings.is_sqlite


def test_it_finds_config_and_the_database_beside_the_project(tmp_path: Path) -> None:
    # The working folder (tmp_path, by the autouse fixture) plays no part.
    settings = load_settings()
    assert settings.config_dir == PROJECT_ROOT / "config"
    assert (settings.config_dir / "rules.toml").is_file()
    assert settings.database_url == f"sqlite:///{PROJECT_ROOT / 'var' / 'tracker.db'}"
    assert not (tmp_path / "var").exists()


@pytest.mark.parametrize(
    ("host", "port", "base"),
    [("127.0.0.1", 8101, "http://127.0.0.1:8101"), ("0.0.0.0", 9000, "http://localhost:9000"),
     ("::", None, "http://localhost:8000"), ("::1", 8102, "http://[::1]:8102"),
     ("tracker.local", 80, "http://tracker.local:80")],
)  # fmt: skip
def test_links_follow_where_it_serves(host: str, port: int | None, base: str) -> None:
    assert load_settings().served_at(host, port).base_url == base


def test_port_comes_from_the_environment_and_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "8123")
    assert load_settings().base_url == "http://localhost:8123"
    assert load_settings().served_at("127.0.0.1", None).base_url == "http://127.0.0.1:8123"
    monkeypatch.setenv("PORT", "99999")
    assert "PORT:" in refusal()


def test_public_base_url_wins_over_where_it_serves() -> None:
    settings = load_settings(public_base_url="https://t.example.org").served_at("0.0.0.0", 8101)
    assert settings.base_url == "https://t.example.org"
    assert settings.port == 8101


def test_production_requires_public_base_url() -> None:
    message = refusal(environment="production", secret_key=STRONG_SECRET, data_keys=OWN_KEY)
    assert "PUBLIC_BASE_URL: required in production" in message


def test_it_accepts_a_postgresql_url() -> None:
    settings = load_settings(database_url="postgresql+psycopg://u:p@db.example.org:5432/tracker")
    assert not settings.is_sqlite


@pytest.mark.parametrize("zone", ["Mars/Base", "EST5EDT/x", "", "../etc/passwd"])
def test_it_refuses_an_unknown_time_zone(zone: str) -> None:
    message = refusal(default_timezone=zone)
    assert "DEFAULT_TIMEZONE:" in message
    assert "IANA" in message


@pytest.mark.parametrize(
    ("url", "reason"),
    [("nonsense", "not a database URL"), ("", "not a database URL"),
     ("mysql://user@localhost/tracker", "only sqlite")],
)  # fmt: skip
def test_it_refuses_a_bad_database_url(url: str, reason: str) -> None:
    message = refusal(database_url=url)
    assert "DATABASE_URL:" in message
    assert reason in message


@pytest.mark.parametrize("secret", [DEV_SECRET, "short", "x" * 31])
def test_it_refuses_a_weak_secret_in_production(secret: str) -> None:
    message = refusal(
        environment="production",
        secret_key=secret,
        data_keys=OWN_KEY,
        public_base_url="https://t.example.org",
    )
    assert "SECRET_KEY:" in message
    assert "32" in message


def test_it_refuses_the_default_secret_in_production() -> None:
    message = refusal(environment="production", public_base_url="https://t.example.org")
    assert "SECRET_KEY:" in message


def test_it_refuses_a_plain_http_address_in_production() -> None:
    message = refusal(
        environment="production",
        secret_key=STRONG_SECRET,
        data_keys=OWN_KEY,
        public_base_url="http://t.example.org",
    )
    assert "PUBLIC_BASE_URL:" in message
    assert "https://" in message


def test_it_accepts_a_secure_production_setup() -> None:
    settings = load_settings(
        environment="production",
        secret_key=STRONG_SECRET,
        data_keys=f"{OWN_KEY},{OLD_KEY}",
        public_base_url="https://t.example.org/",
    )
    assert settings.environment == "production"
    assert [k.key_id for k in settings.keyring.keys] == [
        Keyring(parse_keys(k)).newest.key_id for k in (OWN_KEY, OLD_KEY)
    ]
    assert settings.public_base_url == "https://t.example.org"


def test_it_refuses_the_development_data_key_in_production() -> None:
    message = refusal(
        environment="production", secret_key=STRONG_SECRET, public_base_url="https://t.example.org"
    )
    assert "DATA_KEYS:" in message
    assert "tracker keys generate" in message


@pytest.mark.parametrize(
    ("keys", "reason"),
    [
        ("not base64!", "key 1 is not URL-safe base64"),
        (f"{OWN_KEY},c2hvcnQ=", "key 2 is 5 bytes"),
        (" , ", "no key given"),
    ],
)
def test_it_refuses_malformed_data_keys(keys: str, reason: str) -> None:
    message = refusal(data_keys=keys)
    assert "DATA_KEYS:" in message
    assert reason in message
    assert OWN_KEY not in message  # a key is never echoed


def test_it_lets_development_use_a_short_secret_and_plain_http() -> None:
    settings = load_settings(secret_key="short", public_base_url="http://127.0.0.1:8000")
    assert settings.secret_key.get_secret_value() == "short"


@pytest.mark.parametrize("url", ["localhost:8000", "ftp://t.example.org"])
def test_it_refuses_a_base_url_without_http(url: str) -> None:
    assert "PUBLIC_BASE_URL:" in refusal(public_base_url=url)


def test_it_refuses_an_unknown_environment() -> None:
    assert "ENVIRONMENT:" in refusal(environment="staging")


def test_it_names_every_bad_setting_at_once() -> None:
    message = refusal(database_url="nonsense", default_timezone="Mars/Base")
    assert "DATABASE_URL:" in message
    assert "DEFAULT_TIMEZONE:" in message


def test_it_reads_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEFAULT_TIMEZONE", "Europe/Kyiv")
    assert load_settings().default_timezone == "Europe/Kyiv"
    monkeypatch.setenv("DEFAULT_TIMEZONE", "Mars/Base")
    assert "DEFAULT_TIMEZONE:" in refusal()


def test_it_reads_a_dot_env_file_in_the_working_folder(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DEFAULT_TIMEZONE=America/Chicago\n", encoding="utf-8")
    assert load_settings().default_timezone == "America/Chicago"


def test_it_never_shows_the_secret() -> None:
    settings = load_settings(secret_key=STRONG_SECRET)
    assert STRONG_SECRET not in repr(settings)
    assert STRONG_SECRET not in str(settings.secret_key)


@pytest.mark.parametrize(("environment", "secure"), [("development", False), ("test", True)])
def test_cookies_are_https_only_outside_development(environment: str, secure: bool) -> None:
    assert load_settings(environment=environment).secure_cookies is secure
