"""Calls in progress on ``toneboard live``, as the dashboard's live page shows them.

The live server keeps one small JSON file per call in progress (``Store.live_status()``),
replaced whole after every segment and alert, and removes it once the call is stored. Reading
those files needs no database and never blocks the server.
"""
from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import pandas as pd

from .scope import EVERYTHING, Scope

STALE_S = 120.0  # a file not updated for this long belongs to a server that stopped


def active_calls(status_dir: Path, stale_s: float = STALE_S, now: float | None = None,
                 sees: Scope | None = EVERYTHING) -> list[dict]:
    """The calls in progress (their status files in ``status_dir``: ``Store.live_status()``), most
    recently active first (files of a stopped server left out), those ``sees`` admits by their
    metadata (None: none)."""
    now = time.time() if now is None else now
    calls = []
    for f in sorted(Path(status_dir).glob("*.json")):
        try:
            c = json.loads(f.read_text())
        except (OSError, json.JSONDecodeError):
            continue  # being replaced right now, or removed: the next refresh shows it
        if now - float(c.get("updated_at", 0)) <= stale_s and sees is not None and sees.admits(c.get("metadata") or {}):
            calls.append(c)
    return sorted(calls, key=lambda c: -float(c.get("updated_at", 0)))


def supervisor_table(calls: list[dict], recent: int = 5) -> pd.DataFrame:
    """One row per call: who, how long, the customer's recent emotions, alerts."""
    rows = []
    for c in calls:
        customer = c["roles"][1] if len(c.get("roles", [])) == 2 else None
        theirs = [s for s in c.get("segments", []) if customer is None or s["role"] in (customer, "mixed")]
        alerts = c.get("alerts", [])
        mood = Counter(s["emotion"] for s in theirs[-recent:])
        rows.append({
            "call_id": c["call_id"], "agent": c.get("metadata", {}).get("agent"), "kind": c.get("kind"),
            "minutes": round(float(c.get("duration_s", 0)) / 60, 1), "connected": bool(c.get("connected")),
            "segments": c.get("n_segments", len(c.get("segments", []))),
            "recent_emotions": " ".join(s["emotion"] for s in theirs[-recent:]),
            "angry_recently": mood.get("ANGRY", 0), "alerts": len(alerts),
            "latest_alert": alerts[-1]["message"] if alerts else None,
        })
    cols = ["call_id", "agent", "kind", "minutes", "connected", "segments", "recent_emotions", "angry_recently",
            "alerts", "latest_alert"]
    return pd.DataFrame(rows, columns=cols).sort_values(["alerts", "angry_recently"], ascending=False, kind="stable")


def segments_frame(call: dict) -> pd.DataFrame:
    """A call's segments so far, in the shape ``dashboard.charts.emotion_timeline`` draws."""
    df = pd.DataFrame(call.get("segments", []), columns=["role", "start_s", "end_s", "emotion", "events", "text"])
    df["duration_s"] = df["end_s"] - df["start_s"]
    df["seg_index"] = range(len(df))
    return df


def alert_text(alert: dict, lang: str) -> str:
    """A live alert as the supervisor reads it, in their language (the rule's own wording; the
    message as sent for a rule this version does not know)."""
    from ingest.live.rules import MESSAGES

    en, zh = MESSAGES.get(alert.get("rule"), (alert["message"], alert["message"]))
    return zh if lang == "zh" else f"{en} ({alert['detail']})"
