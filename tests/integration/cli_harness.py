"""The `tracker` command as tests drive it: on one database and one config folder, in a
subprocess (exit codes, stderr) or in-process through Click's runner (output)."""

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner, Result

from tracker.cli.main import app as cli_app
from tracker.store.db import make_engine

from ..cli_support import run_installed, settings_env
from ..conftest import KEYRING, ROOT

TODAY = "2026-11-29"
RUNNER = CliRunner()


def run_tracker(
    args: tuple[str, ...], url: str, config_dir: Path, cwd: Path, **extra: str
) -> subprocess.CompletedProcess[str]:
    """The installed `tracker` in a subprocess, with only the settings given here."""
    return run_installed(cwd, {"DATABASE_URL": url, "CONFIG_DIR": str(config_dir), **extra}, *args)


@dataclass
class Cli:
    """The tracker command on one database and one config folder."""

    url: str
    config_dir: Path
    cwd: Path
    engine: Engine

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        """The installed command in a subprocess."""
        return run_tracker(args, self.url, self.config_dir, self.cwd, **env)

    def invoke(self, *args: str) -> Result:
        """The command in this process, through Click's runner."""
        env = settings_env(DATABASE_URL=self.url, CONFIG_DIR=str(self.config_dir))
        return RUNNER.invoke(cli_app, list(args), env=env)

    def ok(self, *args: str) -> str:
        """Run a command that must succeed; its stdout."""
        result = self.invoke(*args)
        assert result.exit_code == 0, (
            f"tracker {' '.join(args)} exited {result.exit_code}: {result.exception!r}\n"
            f"{result.output}"
        )
        return result.stdout

    def show(self, ref: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.ok("case", "show", ref, "--format", "json"))
        return data

    def kinds(self, ref: str) -> set[str]:
        return {d["kind"] for d in self.show(ref)["deadlines"]}

    def deadline(self, ref: str, kind: str) -> dict[str, Any]:
        found: list[dict[str, Any]] = [d for d in self.show(ref)["deadlines"] if d["kind"] == kind]
        assert len(found) == 1, f"{ref} has {len(found)} {kind} deadlines"
        return found[0]

    def expiring_json(self, *extra: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = json.loads(
            self.ok("cases", "expiring", "--within", "400", "--now", TODAY, "--format", "json",
                    *extra)
        )  # fmt: skip
        return rows


def cli_on(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    """The command on an empty migrated database, with the shipped rules (the `cli`
    fixture)."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    engine = make_engine(database_url, KEYRING)
    yield Cli(database_url, ROOT / "config", cwd, engine)
    engine.dispose()
