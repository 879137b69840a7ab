"""Streamlit as a child of ``toneboard dashboard`` that never outlives it.

SIGTERM (what systemd, Docker and Kubernetes send), SIGINT and SIGHUP to the command are passed on
to Streamlit, and the command waits for it to exit (killing it after ``grace_s``). On Linux the
child also gets SIGTERM if the command itself dies without a chance to pass anything on (kill -9).
"""
from __future__ import annotations

import ctypes
import signal
import subprocess
import sys
import time

PR_SET_PDEATHSIG = 1


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
