"""The suite leaves no process behind: dashboards, live servers and Ray started during the run
must be stopped by the tests that started them. ``conftest`` checks the process table at the end
and fails the run, naming them, if one survived (and then stops it).

Only this suite's processes count: every process the suite starts inherits ``TONEBOARD_TEST_SESSION``
(set by ``mark``) and keeps it when its parent dies, so a second suite running beside this one
(another checkout, a clone being tested) is never taken for a leftover, nor stopped."""
from __future__ import annotations

import os
import signal
from pathlib import Path

MARKERS = ("dashboard/app.py", "cli.py dashboard", "cli.py live", "toneboard live", "toneboard dashboard",
           "raylet", "gcs_server", "ray::", "ray/dashboard")


def _ticks_now() -> float:
    return float(Path("/proc/uptime").read_text().split()[0]) * os.sysconf("SC_CLK_TCK")


SESSION_ENV = "TONEBOARD_TEST_SESSION"


def mark() -> float:
    """The moment from which processes count as the suite's; marks the processes it will start."""
    import uuid

    os.environ[SESSION_ENV] = uuid.uuid4().hex
    return _ticks_now() if Path("/proc/uptime").exists() else 0.0


def _ours(d: Path) -> bool:
    token = os.environ.get(SESSION_ENV)
    try:
        return token is not None and f"{SESSION_ENV}={token}".encode() in (d / "environ").read_bytes().split(b"\0")
    except OSError:
        return False


def survivors(since: float) -> list[tuple[int, str]]:
    """(pid, command line) of service processes started after ``since`` that are still running."""
    out = []
    if not Path("/proc").is_dir() or not since:
        return out
    for d in Path("/proc").iterdir():
        if not d.name.isdigit() or int(d.name) == os.getpid():
            continue
        try:
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
            stat = (d / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[0] == "Z" or float(fields[19]) < since:  # a zombie, or older than the suite
            continue
        if any(m in cmd for m in MARKERS) and _ours(d):
            out.append((int(d.name), cmd[:160]))
    return out


def stop(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
