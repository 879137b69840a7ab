"""Starting ``toneboard dashboard`` in tests: a free port, and waiting until Streamlit answers."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_dashboard(db: Path, *args: str, log=subprocess.DEVNULL, timeout_s: float = 60,
                    port: int | None = None) -> tuple[subprocess.Popen, str]:
    """``toneboard dashboard --db DB`` on ``port`` (default: a free one), once its health check
    answers: (process, url). Raises RuntimeError (the process stopped, or no answer in ``timeout_s``)."""
    port = port or free_port()
    proc = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "dashboard", "--db", str(db), "--port", str(port),
                             *args], stdout=log, stderr=subprocess.STDOUT if log is not subprocess.DEVNULL else log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                return proc, url
        except OSError:
            time.sleep(0.5)
        if proc.poll() is not None:
            raise RuntimeError(f"the dashboard stopped (exit {proc.returncode})")
    proc.terminate()
    proc.wait(20)
    raise RuntimeError(f"the dashboard did not answer within {timeout_s:g} s")


@contextmanager
def dashboard(db: Path, *args: str, port: int | None = None):
    """``toneboard dashboard`` running for the ``with`` block (its URL), stopped after it."""
    proc, url = start_dashboard(db, *args, port=port)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(30)
