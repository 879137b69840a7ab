"""The records that cross module boundaries: one keyword-only dataclass each (a new field is
added here and nowhere else: every construction names its fields)."""
from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field, fields
from datetime import datetime

KINDS = ("sales", "service", "class", "other")  # what a recording is (ingest --kind)


def now() -> datetime:
    """The time a record is stamped with (ingested, failed, corrected, enrolled): to the second."""
    return datetime.now().replace(microsecond=0)


@dataclass(kw_only=True)
class Segment:
    """One speech segment of one channel, with its own SenseVoice tags and derived signals."""

    recording_id: str
    channel: int
    role: str
    seg_index: int
    start_s: float
    end_s: float
    language: str | None
    emotion: str
    emotion_confidence: float | None
    events: list[str]
    itn: bool | None
    text: str
    raw_text: str
    loudness_dbfs: float
    speaking_rate: float | None
    rate_unit: str | None
    pii: list[str] = field(default_factory=list)  # kinds of personal data found in the text (ingest.pii)
    speaker: str | None = None  # S1, S2, ... (ingest.speakers.diarize)
    speaker_model: str | None = None
    # the model's probability of every emotion / event class and of the chosen language
    # (ingest.models.header); None where the model's output carried none (emoji or JSON forms)
    emotion_probs: dict[str, float | None] | None = None
    event_probs: dict[str, float | None] | None = None
    language_confidence: float | None = None
    # prosody (ingest.prosody): the segment's pitch, and its change against the speaker's own start
    pitch_hz: float | None = None
    pitch_range_st: float | None = None
    pitch_change_st: float | None = None
    loudness_change_db: float | None = None
    raised_voice: bool | None = None
    # where another party speaks at once (ingest.signals.mark_overlap): seconds, and whether it is most of
    # the segment; None: not known (one channel)
    overlap_s: float | None = None
    overlap: bool | None = None
    # a second opinion on the emotion (ingest.second_opinion); None: not asked
    second_emotion: str | None = None
    second_emotion_confidence: float | None = None
    second_emotion_probs: dict[str, float] | None = None
    # the glossary (ingest.glossary): what was recognised where the glossary changed the text, and the changes (JSON)
    heard_text: str | None = None
    glossary_fixes: str | None = None

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(kw_only=True)
class Pause:
    """A gap in speech of at least the pause threshold: within one channel, or on all channels
    at once (``channel = -1``, role ``all``: dead air on a stereo call)."""

    recording_id: str
    channel: int
    role: str
    start_s: float
    end_s: float
    after_seg_index: int | None

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(kw_only=True)
class Speaker:
    """One speaker of a recording, with the role it was given and why."""

    recording_id: str
    speaker: str
    channel: int
    role: str
    role_source: str
    name: str | None = None
    similarity: float | None = None
    talk_s: float = 0.0
    segments: int = 0


@dataclass(kw_only=True)
class IngestFailure:
    """A file that could not be ingested, with the stage and one clear reason."""

    batch_id: str
    path: str
    stage: str
    reason: str
    failed_at: datetime
    recording_id: str | None = None


@dataclass(kw_only=True)
class Batch:
    """One run of ingestion over a set of files."""

    batch_id: str
    name: str
    started_at: datetime
    finished_at: datetime | None
    status: str  # running | finished | interrupted
    n_files: int = 0
    n_ingested: int = 0
    n_skipped: int = 0
    n_failed: int = 0
    audio_s: float = 0.0
    options: str = "{}"
    pid: int | None = None
    host: str | None = None


@dataclass(kw_only=True)
class FileOutcome:
    """What happened to one input file in a batch (what the progress display and summary show)."""

    path: str
    status: str  # ingested | skipped | failed
    recording_id: str | None = None
    reason: str | None = None
    duration_s: float = 0.0
    n_segments: int = 0


@dataclass(kw_only=True)
class Recording:
    """One ingested file (its id is the SHA-256 of its bytes)."""

    recording_id: str
    path: str
    filename: str
    size_bytes: int
    format: str
    codec: str | None
    duration_s: float
    sample_rate: int | None
    channels: int
    analysed_channels: int
    mixed: bool
    kind: str
    outcome: str | None
    batch_id: str
    recorded_at: datetime | None
    recorded_at_source: str
    language_requested: str
    model_id: str
    model_revision: str | None
    pipeline_version: str
    vad: str
    ingested_at: datetime
    n_segments: int = 0
    speech_s: float = 0.0
    metadata: dict[str, str] = field(default_factory=dict)
    speaker_model: str | None = None
    n_speakers: int | None = None
    speaker_count_reason: str | None = None  # why that many (ingest.speakers.count.REASONS)
    speaker_separation: float | None = None  # how far apart the two most different voices are
    second_opinion_model: str | None = None  # the model of the emotion second opinion (None: not asked)
    speakers: list[Speaker] = field(default_factory=list)  # stored in their own table


SEVERITIES = ("high", "medium", "low")  # a ticket's severity, the most severe first (rules, notifications)


@dataclass(kw_only=True)
class Ticket:
    """A risk ticket: one rule (a rules-file rule, or a live alert) matched on one recording. Its id
    comes from the two, so evaluating the rules again never opens it twice."""

    recording_id: str
    rule_id: str
    rule_name: str
    severity: str
    evidence: list[dict] = field(default_factory=list)  # {"start_s", "end_s", "what"[, "absence"]}
    rule_type: str = "risk"  # risk | opportunity | info: only risks count in the risk queue

    @property
    def ticket_id(self) -> str:
        return hashlib.sha1(f"{self.recording_id}|{self.rule_id}".encode()).hexdigest()[:16]

    def row(self, created_at: datetime) -> dict:
        found = [e for e in self.evidence if not e.get("absence")] or self.evidence
        return {"ticket_id": self.ticket_id, "recording_id": self.recording_id, "rule_id": self.rule_id,
                "rule_name": self.rule_name, "severity": self.severity,
                "evidence": json.dumps(self.evidence, ensure_ascii=False),
                "first_evidence_s": found[0]["start_s"] if found else None, "created_at": created_at,
                "rule_type": self.rule_type}


_TIMES_LOCK = threading.Lock()


@dataclass(kw_only=True)
class StageTimes:
    """Seconds spent per stage over a batch (the stage breakdown of ``toneboard ingest`` and the
    benchmarks). ``features`` is the fbank frontend inside the model call; ``model`` the rest of it."""

    decode_s: float = 0.0
    vad_s: float = 0.0
    speakers_s: float = 0.0  # speaker embeddings and clustering (who spoke)
    features_s: float = 0.0
    model_s: float = 0.0
    second_opinion_s: float = 0.0  # emotion2vec+ on the segments asked (ingest.second_opinion)
    signals_s: float = 0.0  # parsing, PII redaction, loudness, speaking rate, pauses
    store_s: float = 0.0

    def add(self, stage: str, seconds: float) -> None:
        with _TIMES_LOCK:  # listen runs in a look-ahead thread
            setattr(self, f"{stage}_s", getattr(self, f"{stage}_s") + seconds)

    def line(self) -> str:
        return " · ".join(f"{f.name[:-2].replace('_', ' ')} {getattr(self, f.name):.1f} s" for f in fields(self)
                          if f.name != "second_opinion_s" or self.second_opinion_s)
