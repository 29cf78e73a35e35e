"""Running the `tracker` command from tests with only the settings a test gives it."""

import os
import subprocess
from pathlib import Path

from tracker.settings import Settings

from .conftest import ROOT

TRACKER = ROOT / ".venv" / "bin" / "tracker"
# Every setting the tracker reads, so the caller's environment cannot leak into a test.
SETTING_NAMES = tuple(name.upper() for name in Settings.model_fields)


def settings_env(**settings: str) -> dict[str, str | None]:
    """An environment for Click's runner: every setting unset but these."""
    env: dict[str, str | None] = dict.fromkeys(SETTING_NAMES)
    return env | dict(settings)


def installed_env(settings: dict[str, str]) -> dict[str, str]:
    """The environment of an installed `tracker` subprocess: the caller's minus every
    setting, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if k.upper() not in SETTING_NAMES}
    return env | settings


def run_installed(
    cwd: Path, settings: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    """The installed `tracker` in a subprocess, run from `cwd` (no `.env` there), with the
    caller's environment minus every setting, plus `settings`."""
    return subprocess.run(
        [str(TRACKER), *args],
        cwd=cwd,
        env=installed_env(settings),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
