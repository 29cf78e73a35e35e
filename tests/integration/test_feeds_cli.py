"""`tracker feeds ...` through the installed console script: URLs printed, bad input refused
with a plain message (no traceback) and nothing written."""

import os
import re
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.builders import run_import, web_client
from tracker.bootstrap import App

from ..conftest import EXAMPLE_CASES, ROOT, refused, table_counts

TRACKER = ROOT / ".venv" / "bin" / "tracker"
URLS = re.compile(r"^\s+(https?)://([^/\s]+)(/feeds/([A-Za-z0-9_-]+)\.ics)\s*$", re.MULTILINE)
WEBCAL = re.compile(r"^\s+webcal://([^/\s]+)(/feeds/[A-Za-z0-9_-]+\.ics)\s*$", re.MULTILINE)


@pytest.fixture
def env(app: App) -> dict[str, str]:
    """The CLI's settings on the test database, with the example cases imported."""
    assert run_import(app, EXAMPLE_CASES).errors == []
    return {"DATABASE_URL": app.settings.database_url, "CONFIG_DIR": str(ROOT / "config")}


def run(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(TRACKER), "feeds", *args],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def issued_token(result: subprocess.CompletedProcess[str]) -> str:
    """The token of `feeds issue`/`rotate` output, after checking both URLs name it."""
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    url = URLS.search(result.stdout)
    webcal = WEBCAL.search(result.stdout)
    assert url is not None, result.stdout
    assert webcal is not None, result.stdout
    assert (webcal.group(1), webcal.group(2)) == (url.group(2), url.group(3))
    return url.group(4)


def test_it_issues_a_feed_whose_url_serves_the_calendar(
    app: App, env: dict[str, str], tmp_path: Path
) -> None:
    result = run(env, tmp_path, "issue", "--representative", "REP@example.org")

    token = issued_token(result)
    assert len(token) >= 22  # 128 bits in URL-safe base64
    assert "minimal" in result.stdout
    response: httpx.Response = web_client(app).get(f"/feeds/{token}.ics")
    assert response.status_code == 200
    assert "(E01)" in response.text and "(E03)" not in response.text
    listed = run(env, tmp_path, "list")
    assert listed.returncode == 0, listed.stderr
    assert "rep@example.org" in listed.stdout
    assert token not in listed.stdout


def test_it_issues_a_full_privacy_feed_for_one_case(
    app: App, env: dict[str, str], tmp_path: Path
) -> None:
    result = run(env, tmp_path, "issue", "--case", "E03", "--privacy", "full")

    token = issued_token(result)
    response: httpx.Response = web_client(app).get(f"/feeds/{token}.ics")
    assert response.status_code == 200
    assert "Example Parolee Three (E03)" in response.text
    assert "(E01)" not in response.text
    listed = run(env, tmp_path, "list")
    assert "case E03" in listed.stdout and "full" in listed.stdout


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (("--representative", "rep@example.org", "--case", "E01"), ("exactly one",)),
        ((), ("exactly one",)),
        (("--representative", "nobody@example.org"), ("nobody@example.org",)),
        (("--case", "NOPE"), ("NOPE",)),
        (("--representative", "rep@example.org", "--privacy", "public"), ("public", "minimal")),
    ],
    ids=["both", "neither", "unknown-email", "unknown-case", "bad-privacy"],
)
def test_it_refuses_bad_issue_input_clearly(
    app: App, env: dict[str, str], tmp_path: Path, args: tuple[str, ...], fragments: tuple[str, ...]
) -> None:
    before = table_counts(app.engine)

    result = run(env, tmp_path, "issue", *args)

    refused(result, *fragments)
    assert "/feeds/" not in result.stdout
    assert table_counts(app.engine) == before


def test_it_revokes_and_rotates_and_refuses_unknown_ids(
    app: App, env: dict[str, str], tmp_path: Path
) -> None:
    web = web_client(app)
    first = issued_token(run(env, tmp_path, "issue", "--representative", "rep@example.org"))
    second = issued_token(run(env, tmp_path, "issue", "--representative", "rep@example.org"))

    rotated = run(env, tmp_path, "rotate", "2")
    third = issued_token(rotated)
    revoked = run(env, tmp_path, "revoke", "1")

    assert revoked.returncode == 0, revoked.stderr
    assert third not in (first, second)
    codes = [web.get(f"/feeds/{t}.ics").status_code for t in (first, second, third)]
    assert codes == [404, 404, 200]
    refused(run(env, tmp_path, "revoke", "99"), "99")
    refused(run(env, tmp_path, "rotate", "99"), "99")
    refused(run(env, tmp_path, "revoke", "1"), "already revoked")
    listed = run(env, tmp_path, "list").stdout
    assert listed.count("rep@example.org") == 3
