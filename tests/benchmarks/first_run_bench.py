"""First run, as a newcomer has it: a fresh clone of HEAD, `make run`, until /healthz answers.

Prints the whole time and its parts (installing the product, then migrating, loading the
demo and starting to serve) beside a floor measured in the same run: making an empty
virtual environment, which any first run pays. With `--cold` (the default) uv downloads
into an empty cache, as on a new machine; `--warm` keeps the machine's cache.

    .venv/bin/python tests/benchmarks/first_run_bench.py [--warm]
"""

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.fakes.loopback import free_port  # noqa: E402

TIMEOUT = 600.0


def seconds_since(start: float) -> float:
    return time.monotonic() - start


def empty_venv_seconds(folder: Path) -> float:
    start = time.monotonic()
    subprocess.run([sys.executable, "-m", "venv", str(folder / "floor-venv")], check=True)
    return seconds_since(start)


def first_run(folder: Path, cold: bool) -> tuple[float, float]:
    """(seconds until the product was installed, seconds until /healthz answered)."""
    clone = folder / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "DATABASE_URL")}
    env["PORT"] = str(port)
    if cold:
        env["UV_CACHE_DIR"] = str(folder / "uv-cache")
        env["PIP_NO_CACHE_DIR"] = "1"
    stamp = clone / ".venv" / ".product-installed"
    start = time.monotonic()
    with (folder / "run.log").open("wb") as log:
        process = subprocess.Popen(
            ["make", "run"], cwd=clone, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    installed = None
    try:
        while seconds_since(start) < TIMEOUT:
            if process.poll() is not None:
                raise SystemExit(f"make run stopped:\n{(folder / 'run.log').read_text()}")
            if installed is None and stamp.exists():
                installed = seconds_since(start)
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    return installed or seconds_since(start), seconds_since(start)
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise SystemExit("no /healthz within the timeout")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm", action="store_true", help="keep the machine's uv cache")
    cold = not parser.parse_args().warm
    with tempfile.TemporaryDirectory(prefix="first-run-") as name:
        folder = Path(name)
        floor = empty_venv_seconds(folder)
        installed, healthy = first_run(folder, cold)
    cache = "empty uv cache" if cold else "warm uv cache"
    sys.stdout.write(
        f"first run ({cache}): clone -> /healthz {healthy:6.1f} s\n"
        f"  install the product                {installed:6.1f} s\n"
        f"  migrate, load demo, start serving  {healthy - installed:6.1f} s\n"
        f"floor: an empty venv                 {floor:6.1f} s\n"
        f"ratio to floor                       {healthy / floor:6.1f}x\n"
    )


if __name__ == "__main__":
    main()
