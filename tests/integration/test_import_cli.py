"""`tracker import` through the real CLI: messages on stderr, exit codes, nothing written on
a bad file. Exit codes of user errors and the absence of tracebacks are checked on the
console script itself (CliRunner.invoke(app) bypasses `main()`, which turns a TrackerError
into a message and exit code 2)."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.builders import a_case, write_csv
from tracker.bootstrap import App
from tracker.cli.main import app as cli_app

from ..conftest import ROOT, table_counts
from .test_import import HYPERLINK

NOW_OPTION = ("--now", "2026-11-29T17:00:00Z")
TRACKER = Path(sys.executable).with_name("tracker")


@pytest.fixture
def env(app: App) -> dict[str, str]:
    """The CLI's settings, pointing at the test database."""
    return {"DATABASE_URL": app.settings.database_url, "CONFIG_DIR": str(ROOT / "config")}


def invoke(env: dict[str, str], *args: str) -> "CliResult":
    """Run the `tracker` Typer app in-process (stderr kept apart: click >= 8.2)."""
    result = CliRunner().invoke(cli_app, [*args, *NOW_OPTION], env=env)
    return CliResult(result.exit_code, result.stdout, result.stderr, result.exception)


def run_tracker(env: dict[str, str], *args: str) -> "CliResult":
    """Run the installed console script, as a user would."""
    done = subprocess.run(
        [str(TRACKER), *args, *NOW_OPTION],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return CliResult(done.returncode, done.stdout, done.stderr, None)


class CliResult:
    def __init__(
        self, code: int, stdout: str, stderr: str, exception: BaseException | None
    ) -> None:
        self.code = code
        self.stdout = stdout
        self.stderr = stderr
        self.exception = exception


def bad_file(tmp_path: Path) -> Path:
    return write_csv(
        tmp_path / "bad.csv",
        [
            a_case(external_id="T01", phone="555-01", sms_consent="no"),
            a_case(external_id="T02", phone="+1 202 555 0171"),
            a_case(external_id="T03", phone="+1 202 555 0172", language="de"),
            a_case(external_id="T04", phone="+1 202 555 0173", parole_expiry="2025-01-01"),
        ],
    )


def good_file(tmp_path: Path) -> Path:
    return write_csv(
        tmp_path / "good.csv",
        [a_case(external_id="T01"), a_case(external_id="T02", phone="(305) 555-0171")],
    )


def test_it_exits_non_zero_and_lists_every_bad_row_on_stderr(
    app: App, env: dict[str, str], tmp_path: Path
) -> None:
    before = table_counts(app.engine)

    result = run_tracker(env, "import", str(bad_file(tmp_path)))

    assert result.code != 0
    lines = result.stderr.splitlines()
    assert "line 2 column phone ('555-01'): not a valid phone number" in result.stderr
    assert "line 4 column language ('de'): unsupported language" in result.stderr
    assert "line 5 column parole_expiry ('2025-01-01'): parole ends before it starts" in (
        result.stderr
    )
    assert sum(line.startswith("line ") for line in lines) == 3
    assert "Nothing imported: 3 row(s) have problems" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "Imported:" not in result.stdout
    assert table_counts(app.engine) == before


def test_it_reports_the_bad_rows_on_stderr_only_in_process(
    app: App, env: dict[str, str], tmp_path: Path
) -> None:
    before = table_counts(app.engine)

    result = invoke(env, "import", str(bad_file(tmp_path)))

    assert result.code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "line 2 column phone ('555-01'): not a valid phone number" in result.stderr
    assert "line 2 column phone" not in result.stdout
    assert table_counts(app.engine) == before


def test_it_names_the_line_of_a_file_that_is_not_utf8(
    app: App, env: dict[str, str], tmp_path: Path
) -> None:
    before = table_counts(app.engine)
    path = write_csv(
        tmp_path / "latin1.csv",
        [a_case(), a_case(external_id="T02", full_name="José")],
        encoding="latin-1",
    )

    result = run_tracker(env, "import", str(path))

    assert result.code != 0
    assert "line 3: the file is not UTF-8" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert table_counts(app.engine) == before


def test_it_refuses_rejects_without_skip_invalid(
    app: App, env: dict[str, str], tmp_path: Path
) -> None:
    before = table_counts(app.engine)
    rejects = tmp_path / "rejects.csv"

    result = run_tracker(env, "import", str(good_file(tmp_path)), "--rejects", str(rejects))

    assert result.code == 2
    assert "error: --rejects goes with --skip-invalid" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not rejects.exists()
    assert table_counts(app.engine) == before


def test_it_imports_a_good_file_and_prints_the_counts(
    app: App, env: dict[str, str], tmp_path: Path
) -> None:
    result = invoke(env, "import", str(good_file(tmp_path)))

    assert result.code == 0, result.stderr
    assert "Imported: 2 new, 0 updated, 0 unchanged, 0 grant(s) added." in result.stdout
    assert table_counts(app.engine)["parole_case"] == 2

    again = invoke(env, "import", str(good_file(tmp_path)))

    assert again.code == 0, again.stderr
    assert "Imported: 0 new, 0 updated, 2 unchanged, 0 grant(s) added." in again.stdout
    assert table_counts(app.engine)["parole_case"] == 2


def test_it_says_a_dry_run_wrote_nothing(app: App, env: dict[str, str], tmp_path: Path) -> None:
    before = table_counts(app.engine)

    result = invoke(env, "import", str(good_file(tmp_path)), "--dry-run")

    assert result.code == 0, result.stderr
    assert "Dry run, nothing written" in result.stdout
    assert "2 new" in result.stdout
    assert table_counts(app.engine) == before


def test_it_imports_good_rows_and_writes_rejects_when_skipping(
    app: App, env: dict[str, str], tmp_path: Path
) -> None:
    rejects = tmp_path / "rejects.csv"

    result = invoke(
        env, "import", str(bad_file(tmp_path)), "--skip-invalid", "--rejects", str(rejects)
    )

    assert result.code == 0, result.stderr
    assert "Imported: 1 new" in result.stdout
    assert "3 row(s) rejected. They are in" in result.stderr
    with rejects.open(encoding="utf-8", newline="") as stream:
        assert [r["line"] for r in csv.DictReader(stream)] == ["2", "4", "5"]
    assert table_counts(app.engine)["parole_case"] == 1


def test_it_still_refuses_a_file_level_problem_when_skipping(
    app: App, env: dict[str, str], tmp_path: Path
) -> None:
    before = table_counts(app.engine)
    rejects = tmp_path / "rejects.csv"
    path = write_csv(
        tmp_path / "latin1.csv",
        [a_case(), a_case(external_id="T02", full_name="José")],
        encoding="latin-1",
    )

    result = run_tracker(env, "import", str(path), "--skip-invalid", "--rejects", str(rejects))

    assert "line 3: the file is not UTF-8" in result.stderr
    assert table_counts(app.engine) == before
    # Nothing was imported and no rejects file was written: that is not a success.
    assert result.code != 0
    assert f"They are in {rejects}" not in result.stderr


def test_it_neutralises_formulas_in_the_csv_listing_of_imported_cases(
    app: App, env: dict[str, str], tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "formula.csv", [a_case(full_name=HYPERLINK)])
    assert invoke(env, "import", str(path)).code == 0

    result = invoke(env, "cases", "expiring", "--within", "400", "--format", "csv")

    assert result.code == 0, result.stderr
    rows = list(csv.DictReader(result.stdout.splitlines()))
    assert [r["name"] for r in rows] == ["'" + HYPERLINK]
