"""`tracker serve`, as a newcomer runs it: from any folder, on the port they chose, every
link it prints or serves points to where it listens (unless PUBLIC_BASE_URL is set).

The server runs as a real process on loopback, with the demo it loads on a first run, the
machine's clock (no assertion here depends on the date) and the console SMS backend.
"""

import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.fakes.loopback import free_port

from ..cli_support import TRACKER, installed_env
from .admin_support import sign_in
from .worker_support import wait_until

SIGN_IN = re.compile(r"Admin sign-in \(admin\): (\S+)/admin  email (\S+)  password (\S+)")
FEED = re.compile(r"Calendar feed of demo-rep@example\.org: (\S+)")


@contextmanager
def serving(folder: Path, port: str, *options: str, **settings: str) -> Iterator[tuple[str, str]]:
    """`tracker serve OPTIONS` run from `folder` on a new database, listening on `port` (as
    the options or settings say): (its output so far, the address it answers on)."""
    env = installed_env(settings | {"DATABASE_URL": f"sqlite:///{folder / 'tracker.db'}"})
    log = folder / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(TRACKER), "serve", *options],
            cwd=folder,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    address = f"http://127.0.0.1:{port}"

    def up() -> bool:
        assert process.poll() is None, log.read_text()
        try:
            return httpx.get(f"{address}/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_until(up, "tracker serve to answer /healthz", timeout=120)
        yield log.read_text(), address
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.parametrize(
    ("options", "settings", "links"),
    [
        (("--port", "{port}"), {}, "http://127.0.0.1:{port}"),
        (("--host", "0.0.0.0"), {"PORT": "{port}"}, "http://localhost:{port}"),
    ],
    ids=["--port", "PORT"],
)
def test_its_links_point_where_it_serves(
    tmp_path: Path, options: tuple[str, ...], settings: dict[str, str], links: str
) -> None:
    port = str(free_port())
    fill = {"port": port}
    with serving(
        tmp_path,
        port,
        *(o.format_map(fill) for o in options),
        **{k: v.format_map(fill) for k, v in settings.items()},
    ) as (output, address):
        base = links.format_map(fill)
        # Found its config although run from elsewhere: it loaded the demo.
        assert "Demo data: 40 new" in output, output
        assert f"Serving on {base}" in output, output
        signed = SIGN_IN.search(output)
        feed = FEED.search(output)
        assert signed and feed, output
        assert signed.group(1) == base
        assert feed.group(1).startswith(f"{base}/feeds/")
        # Inside the feed, every event links to its case where the admin is served.
        path = feed.group(1).removeprefix(base)
        calendar = httpx.get(f"{address}{path}", timeout=30)
        assert calendar.status_code == 200
        assert f"URL:{base}/admin/cases/" in calendar.text
        assert ":8000" not in calendar.text.replace(f":{port}", "")
        # The admin's new-feed link, too.
        with httpx.Client(base_url=address, timeout=30) as client:
            csrf = sign_in(client, signed.group(2), signed.group(3))
            page = client.post(
                "/admin/feeds",
                data={"csrf": csrf, "scope": "representative",
                      "representative": "demo-rep2@example.org", "privacy": "minimal"},
                follow_redirects=True,
            )  # fmt: skip
        assert page.status_code == 200
        assert f"{base}/feeds/" in page.text, page.text


def test_public_base_url_wins(tmp_path: Path) -> None:
    port = str(free_port())
    public = {"PUBLIC_BASE_URL": "https://tracker.example.org"}
    with serving(tmp_path, port, "--port", port, **public) as (output, _):
        assert "Serving on https://tracker.example.org" in output
        assert "https://tracker.example.org/feeds/" in output
        assert f":{port}/" not in output.split("Serving on")[0]
