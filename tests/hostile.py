"""Data an attacker would plant: a recording whose file name, agent, team and transcript are
Markdown that fetches an outside image or draws a link, and a ticket whose rule name is such text."""
from __future__ import annotations

import hashlib
from pathlib import Path

PAYLOAD = "![x](http://elsewhere/b.png)"
LINK = "[click me](http://elsewhere/phish)"


def made_up(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()


RECORDING = made_up("hostile")


def plant(db: Path) -> str:
    """Add the hostile recording (three ANGRY customer segments) and its ticket to the store of ``db``."""
    from ingest.records import Recording, Segment, Ticket
    from ingest.store import Store, now

    store = Store(db)
    store.init()
    rid = RECORDING
    segs = [Segment(rid, 1, "customer", i, 2.0 * i, 2.0 * i + 1.5, "en", "ANGRY", 0.9, [], True, f"{LINK} {i}", "",
                    -12, None, None) for i in range(3)]
    rec = Recording(rid, "x", f"{LINK}.wav", 2, "wav", None, 8.0, 16000, 2, 2, False, "service", None, "demo-7",
                    now(), "x", "auto", "m", None, "1", "silero", now(), 3, 4.5,
                    {"agent": PAYLOAD, "team": PAYLOAD})
    store.write_recording(rec, segs, [])
    store.open_ticket(Ticket(rid, "hostile-rule", PAYLOAD, "high", [{"start_s": 0.0, "end_s": 1.5, "what": LINK}]))
    return rid
