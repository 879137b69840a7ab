"""``toneboard dashboard``: its options, and Streamlit as a child that never outlives it.

SIGTERM (what systemd, Docker and Kubernetes send), SIGINT and SIGHUP to the command are passed on
to Streamlit, and the command waits for it to exit (killing it after ``grace_s``). On Linux the
child also gets SIGTERM if the command itself dies without a chance to pass anything on (kill -9).
"""
from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

PR_SET_PDEATHSIG = 1
ROOT = Path(__file__).resolve().parent.parent


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        except OSError:
            pass


def run_child(cmd: list[str], env: dict, cwd, grace_s: float = 15.0) -> int:
    """Run ``cmd`` until it exits; the signals above are passed on. Its exit status (0 when it
    stopped because it was asked to)."""
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, preexec_fn=_die_with_parent)
    asked: list[int] = []

    def forward(signum, _frame) -> None:
        asked.append(signum)
        if proc.poll() is None:
            proc.send_signal(signum)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    deadline = None
    try:
        while (code := proc.poll()) is None:
            if asked and deadline is None:
                deadline = time.monotonic() + grace_s
            if deadline is not None and time.monotonic() > deadline:
                proc.kill()  # asked to stop and still running after the grace period
            time.sleep(0.1)
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
    return 0 if asked and code in (0, -signal.SIGTERM, -signal.SIGINT, -signal.SIGHUP) else code


def add_arguments(p) -> None:
    """``toneboard dashboard``'s options (``--db`` is the command line's)."""
    from ingest.options import DEFAULT_MODEL

    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default: %(default)s, this machine only; use an SSH tunnel for remote use; "
                        "any other address needs a login configured, see SECURITY.md)")
    p.add_argument("--port", type=int, default=8501, help="port (default: %(default)s)")
    p.add_argument("--model", default=DEFAULT_MODEL, help="model for uploads: hub id or local directory")
    p.add_argument("--lang", choices=["zh", "en"], default=None,
                   help="UI language for visitors whose link has no ?lang= (default: their browser's language)")
    p.add_argument("--demo-if-empty", action="store_true", help="load the demo data when the database is empty")


def start(db: Path, host: str, port: int, model: str, lang: str | None, demo_if_empty: bool = False) -> int:
    """Run the dashboard until it is stopped; its exit status. Refuses (``AuthError``) an address
    beyond this machine without a login."""
    from analytics.summary import recording_count
    from analytics.workflow.after_batch import build_demo

    from .auth import check_bind

    check_bind(host, db)
    if demo_if_empty and not recording_count(db):
        build_demo(db)
        print(f"the database was empty: loaded demo data (synthetic, labelled as such; remove it with "
              f"'toneboard demo --remove --db {db}' or on the Overview page)")
    model = str(Path(model).resolve()) if Path(model).exists() else model  # a local dir, or a hub id
    env = dict(os.environ, TONEBOARD_DB=str(Path(db).resolve()), TONEBOARD_MODEL=model)
    if lang:
        env["TONEBOARD_LANG"] = lang
    print(f"toneboard dashboard on http://{host}:{port}  (Ctrl+C to stop)")
    # Run from the project folder so that Streamlit reads .streamlit/config.toml (upload limit, XSRF, …).
    # TONEBOARD_SECRETS: Streamlit's own login (st.login) reads the same file as toneboard's checks.
    secrets = ["--secrets.files", os.environ["TONEBOARD_SECRETS"]] if os.environ.get("TONEBOARD_SECRETS") else []
    return run_child([sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard" / "app.py"),
                      "--server.address", host, "--server.port", str(port), *secrets], env=env, cwd=ROOT)
