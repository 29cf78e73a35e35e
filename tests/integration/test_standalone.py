"""The repository stands alone: what is committed runs its tests with nothing beside it.

HEAD is exported with `git archive` into an empty folder (no `.git`, no sibling folders, no
uncommitted files), and the worked-examples and Twilio-contract tests run there, on the
exported code, from the exported fixtures.
"""

import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from ..conftest import ROOT

EXPORTED_TESTS = [
    "tests/integration/test_examples.py",
    "tests/integration/test_twilio_contract.py",
]
# The point is the files; the export shares no database with the suite that runs it.
ON_SQLITE = ["-k", "not postgresql"]


def export_head(into: Path) -> None:
    """Unpack HEAD into `into`; skip (fail under CI) where this is no git checkout."""
    try:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", "--format=tar", "HEAD"],
            capture_output=True,
            check=True,
            timeout=120,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        reason = f"cannot export HEAD with git archive ({exc})"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must prove the repository stands alone: {reason}")
        pytest.skip(reason)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")


def test_it_runs_the_examples_and_the_contract_from_an_export_of_head(tmp_path: Path) -> None:
    # Two levels down, so that the export's parent holds nothing but the export itself.
    export = tmp_path / "alone" / "repo"
    export.mkdir(parents=True)
    export_head(export)
    assert sorted(p.name for p in export.parent.iterdir()) == ["repo"]
    env = {
        **os.environ,
        # The exported code, not this checkout's installed copy.
        "PYTHONPATH": str(export),
        "CONFIG_DIR": str(export / "config"),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    where = subprocess.run(
        [sys.executable, "-c", "import tracker; print(tracker.__file__)"],
        cwd=export,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(where.stdout.strip()).is_relative_to(export), where.stdout
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-qp", "no:cacheprovider", *ON_SQLITE, *EXPORTED_TESTS],
        cwd=export,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout and "skipped" not in result.stdout, result.stdout
