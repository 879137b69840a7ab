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
    from ingest.records import Recording, Segment, Ticket, now
    from ingest.store import Store

    store = Store(db)
    store.init()
    rid = RECORDING
    segs = [Segment(recording_id=rid, channel=1, role="customer", seg_index=i, start_s=2.0 * i, end_s=2.0 * i + 1.5, language="en",
                    emotion="ANGRY", emotion_confidence=0.9, events=[], itn=True, text=f"{LINK} {i}", raw_text="", loudness_dbfs=-12,
                    speaking_rate=None, rate_unit=None) for i in range(3)]
    rec = Recording(recording_id=rid, path="x", filename=f"{LINK}.wav", size_bytes=2, format="wav", codec=None, duration_s=8.0,
                    sample_rate=16000, channels=2, analysed_channels=2, mixed=False, kind="service", outcome=None, batch_id="demo-7",
                    recorded_at=now(), recorded_at_source="x", language_requested="auto", model_id="m", model_revision=None,
                    pipeline_version="1", vad="silero", ingested_at=now(), n_segments=3, speech_s=4.5,
                    metadata={"agent": PAYLOAD, "team": PAYLOAD})
    store.write_recording(rec, segs, [])
    store.open_ticket(Ticket(recording_id=rid, rule_id="hostile-rule", rule_name=PAYLOAD, severity="high",
                             evidence=[{"start_s": 0.0, "end_s": 1.5, "what": LINK}]))
    return rid
