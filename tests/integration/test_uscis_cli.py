"""`tracker uscis ...` and the USCIS history in `tracker case show`, as an administrator runs
them, on SQLite and on PostgreSQL, against the fake USCIS server on loopback.

Output is checked in-process with Click's runner; a refusal's exit code and stderr on the
installed command in a subprocess. Every command that takes `--now` gets one.
"""

import json
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.builders import config_copy
from tracker.cli.main import app as cli_app
from tracker.cli.uscis import PLAN_FIELDS

from ..cli_support import run_installed, settings_env
from ..conftest import NOW, refused
from .uscis_support import Filed, World, receipt, uscis_world

WHEN = NOW.isoformat()
ROSA = Filed("C1", receipt(1), date(2027, 2, 1), language="es")
LATER = Filed("C2", receipt(2), date(2027, 6, 1))
LATEST = Filed("C3", receipt(3), date(2027, 9, 1), form="I-765")


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    with uscis_world(database_url, tmp_path, NOW, uscis_daily_budget=2) as made:
        made.file(ROSA, LATER, LATEST)
        yield made


def env_of(world: World, *, credentials: bool = True) -> dict[str, str | None]:
    """The environment of a command on the world's database and fake USCIS, and no other."""
    settings = world.app.settings
    env = settings_env(
        DATABASE_URL=settings.database_url,
        CONFIG_DIR=str(settings.config_dir),
        USCIS_DAILY_BUDGET=str(settings.uscis_daily_budget),
    )
    if credentials:
        env |= {
            "USCIS_CLIENT_ID": world.uscis.client_id,
            "USCIS_CLIENT_SECRET": world.uscis.client_secret,
            "USCIS_BASE_URL": world.uscis.base_url,
        }
    return env


def installed(
    cwd: Path, settings: dict[str, str | None], *args: str
) -> subprocess.CompletedProcess[str]:
    """The installed command in a subprocess, with the settings given (None: unset)."""
    return run_installed(cwd, {k: v for k, v in settings.items() if v is not None}, *args)


def ok(world: World, *args: str) -> str:
    """Run a command in-process that must succeed; its output."""
    result = CliRunner().invoke(cli_app, list(args), env=env_of(world))
    assert result.exit_code == 0, f"{args}: {result.exception!r}\n{result.output}"
    return result.output


def show(world: World, ref: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ok(world, "case", "show", ref, "--format", "json"))
    return data


def test_the_plan_shows_tomorrows_reads_against_the_budget(world: World) -> None:
    out = ok(world, "uscis", "plan", "--now", WHEN).splitlines()

    assert out[0] == (
        "USCIS poll plan for 2026-11-30 (GMT): 3 filing(s) due, budget 2 requests: 2 fit, "
        "1 wait for a later day (the cases that end latest)."
    )
    assert out[1].startswith("Today (2026-11-29 GMT): 0 of 2 requests used.")
    rows = [line.split() for line in out[3:]]
    assert rows[0] == PLAN_FIELDS
    assert [(r[1], r[3], r[-1]) for r in rows[1:]] == [
        (ROSA.receipt, "C1", "yes"),
        (LATER.receipt, "C2", "yes"),
        (LATEST.receipt, "C3", "waits"),
    ]
    assert rows[1][5:8] == ["never", "now", "yes"]


def test_the_plan_shows_when_a_filing_read_today_is_due_again(world: World) -> None:
    ok(world, "uscis", "poll", "--limit", "1", "--now", WHEN)

    out = ok(world, "uscis", "plan", "--now", WHEN).splitlines()

    assert "Today (2026-11-29 GMT): 1 of 2 requests used." in out[1]
    # Read at 17:00 today: due again a day later, plus up to a tenth of it (jitter).
    [row] = [line.split() for line in out if line.startswith("1 ")]
    assert row[1] == ROSA.receipt
    assert row[5:7] == ["2026-11-29", "17:00"]
    assert row[7] == "2026-11-30" and "17:00" <= row[8] <= "19:24"


def test_a_poll_reads_due_filings_and_reports_the_quota(world: World) -> None:
    world.uscis.set_status(ROSA.receipt, "Case Was Denied", "Caso Fue Negado")

    out = ok(world, "uscis", "poll", "--limit", "5", "--now", WHEN)

    assert out.splitlines() == [
        "Read 2 filing(s): 2 changed, 1 notice(s) for staff, 1 text(s) planned, 0 error(s).",
        "USCIS requests on 2026-11-29 (GMT): 2 of 2.",
    ]
    assert [r.path.rsplit("/", 1)[1] for r in world.uscis.status_requests] == [
        ROSA.receipt,
        LATER.receipt,
    ]


def test_a_poll_without_credentials_is_refused_plainly(world: World, tmp_path: Path) -> None:
    result = installed(tmp_path, env_of(world, credentials=False), "uscis", "poll", "--now", WHEN)

    refused(result, "USCIS polling is off", "USCIS_CLIENT_ID and USCIS_CLIENT_SECRET")
    assert world.uscis.requests == []


def test_case_show_lists_each_filings_uscis_history_and_notices(world: World) -> None:
    world.poll(limit=1)
    world.time.advance(world.app.settings.uscis_poll_interval * 2)
    world.uscis.set_status(ROSA.receipt, "Case Was Denied", "Caso Fue Negado")
    world.poll(limit=1)

    data = show(world, "C1")

    uscis = data["filings"][0]["uscis"]
    assert uscis["last_error"] is None
    assert [(h["status_en"], h["status_es"], h["event"]) for h in uscis["history"]] == [
        ("Case Was Denied", "Caso Fue Negado", "denied"),
        ("Case Was Received", "Caso Fue Recibido", "received"),
    ]
    [notice] = data["notices"]
    assert (notice["kind"], notice["urgent"]) == ("uscis_denied", True)
    assert notice["resolved_at"] is None
    text = ok(world, "case", "show", "C1")
    assert f"USCIS history of {ROSA.receipt} (I-131): last read 2026-12-01 17:00" in text
    assert "Case Was Denied / Caso Fue Negado" in text
    assert "uscis_denied URGENT (open): Urgent: USCIS denied Form I-131" in text


def test_a_case_never_read_shows_its_filing_without_history(world: World) -> None:
    uscis = show(world, "C3")["filings"][0]["uscis"]

    assert uscis == dict.fromkeys(["last_polled_at", "next_poll_at", "last_error"]) | {
        "history": []
    }
    assert f"USCIS history of {LATEST.receipt} (I-765): last read never" in ok(
        world, "case", "show", "C3"
    )


def test_staff_list_and_resolve_notices(world: World) -> None:
    world.uscis.set_status(ROSA.receipt, "Case Was Denied", "Caso Fue Negado")
    world.uscis.set_status(LATER.receipt, "Case Was Approved", "Caso Fue Aprobado")
    world.poll(limit=2)

    listed = json.loads(ok(world, "uscis", "notices", "--format", "json"))
    assert [(n["case"], n["kind"], n["urgent"]) for n in listed] == [
        ("C1", "uscis_denied", "yes"),
        ("C2", "uscis_approved_reparole", "no"),
    ]
    first = str(listed[0]["id"])

    assert ok(world, "uscis", "resolve", first, "--now", WHEN) == (
        f"Notice {first} (uscis_denied) resolved.\n"
    )
    assert "No notices." not in ok(world, "uscis", "notices")
    assert [n["kind"] for n in json.loads(ok(world, "uscis", "notices", "--format", "json"))] == [
        "uscis_approved_reparole"
    ]
    history = json.loads(ok(world, "uscis", "notices", "--case", "C1", "--all", "--format=json"))
    assert history[0]["resolved"] is not None
    again = CliRunner().invoke(cli_app, ["uscis", "resolve", first], env=env_of(world))
    assert again.exit_code != 0
    assert "was resolved on" in str(again.exception)


def test_rules_check_names_the_file_and_line_of_a_bad_uscis_pattern(
    world: World, tmp_path: Path
) -> None:
    config = config_copy(tmp_path)
    path = config / "uscis.toml"
    lines = path.read_text(encoding="utf-8").splitlines()
    line = lines.index('    "Case Was Denied.*",') + 1
    lines[line - 1] = '    "Case Was (Denied.*",'
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = env_of(world, credentials=False) | {"CONFIG_DIR": str(config)}

    result = installed(tmp_path, env, "rules", "check")

    refused(result, f"uscis.toml:{line}:", "'Case Was (Denied.*'", "not a regular expression")
