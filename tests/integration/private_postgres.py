"""A private PostgreSQL server for drills that stop it, restart it or make it read-only.

A test may only break a server it started itself. This one is made by `initdb` in a
temporary folder, listens on a free loopback port (its socket in that folder too), and is
stopped and removed afterwards; the machine's own cluster is never touched. It needs
PostgreSQL's server binaries, not root: as root (where the server refuses to run) it runs
as the unprivileged `postgres` user, or `nobody`.

Where the binaries are missing the drills are skipped with the reason, and fail under
`CI=true`, where they must run.
"""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fakes.loopback import free_port

USER = "tracker"
PASSWORD = "tracker"
TIMEOUT = 120
# Debian keeps the server binaries out of PATH, under a folder per major version.
BINARY_FOLDERS = "/usr/lib/postgresql/*/bin"


def server_binaries() -> Path | None:
    """The folder holding `initdb` and `pg_ctl`: PG_BINDIR, PATH, or Debian's newest."""
    if folder := os.environ.get("PG_BINDIR"):
        return Path(folder)
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    debian = sorted(glob.glob(BINARY_FOLDERS), key=lambda p: int(Path(p).parent.name.split(".")[0]))
    return Path(debian[-1]) if debian else None


def _unprivileged() -> pwd.struct_passwd | None:
    """Whom the server runs as when we are root (it refuses root), else None: ourselves."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root, but there is no postgres or nobody user to run as")


@dataclass
class PrivateServer:
    """A PostgreSQL server this test run made, and its controls."""

    bindir: Path
    folder: Path
    port: int
    owner: pwd.struct_passwd | None

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def log(self) -> Path:
        return self.folder / "server.log"

    def url(self, database: str = "postgres", password: str = PASSWORD) -> str:
        """A SQLAlchemy URL of `database` on this server."""
        return f"postgresql+psycopg://{USER}:{password}@127.0.0.1:{self.port}/{database}"

    def _run(self, *command: str) -> subprocess.CompletedProcess[str]:
        owner = self.owner
        return subprocess.run(
            [str(self.bindir / command[0]), *command[1:]],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            user=owner.pw_uid if owner else None,
            group=owner.pw_gid if owner else None,
            extra_groups=[] if owner else None,
            env={**os.environ, "LC_ALL": "C"},
            cwd=self.folder,
        )

    def _check(self, *command: str) -> None:
        result = self._run(*command)
        if result.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr}\n{log}")

    def init(self) -> None:
        """Create the data folder: the `tracker` superuser with a password on TCP."""
        password_file = self.folder / "password"
        password_file.write_text(PASSWORD + "\n")
        self.chown(password_file)
        self._check(
            "initdb", "-D", str(self.data), "-U", USER, f"--pwfile={password_file}",
            "--auth-host=scram-sha-256", "--auth-local=trust", "--no-sync", "-E", "UTF8",
        )  # fmt: skip

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.folder} -c fsync=off"
        )
        self._check(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start"
        )

    def stop(self) -> None:
        """Stop the server at once (fast shutdown), as an operator or a crash would."""
        self._check("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def running(self) -> bool:
        return self._run("pg_ctl", "-D", str(self.data), "status").returncode == 0

    def chown(self, path: Path) -> None:
        """Hand `path` to the server's user (as root), so the server can use it."""
        if self.owner is not None:
            os.chown(path, self.owner.pw_uid, self.owner.pw_gid)


def why_no_server(bindir: Path | None) -> str | None:
    """Why a private server cannot be made from `bindir`, or None."""
    if bindir is None:
        return "no PostgreSQL server binaries (initdb, pg_ctl): install PostgreSQL or set PG_BINDIR"
    missing = [name for name in ("initdb", "pg_ctl") if not (bindir / name).is_file()]
    if missing:
        return f"{bindir} has no {', '.join(missing)}"
    return None


@contextmanager
def private_server() -> Iterator[PrivateServer]:
    """A fresh PostgreSQL server of our own, stopped and removed on exit; skip without the
    binaries (fail under CI)."""
    bindir = server_binaries()
    reason = why_no_server(bindir)
    if reason is not None or bindir is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the PostgreSQL drills on a private server: {reason}")
        pytest.skip(reason or "no PostgreSQL server binaries")
    # Under /tmp, not pytest's root-only folder: the server's user must reach it.
    folder = Path(tempfile.mkdtemp(prefix="tracker-pg-"))
    server = PrivateServer(bindir, folder, free_port(), _unprivileged())
    try:
        server.chown(folder)
        server.init()
        server.start()
        yield server
    finally:
        try:
            if server.data.exists() and server.running():
                server.stop()
        finally:
            shutil.rmtree(folder, ignore_errors=True)
