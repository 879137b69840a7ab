"""toneboard's data model: the tables every DuckDB client sees, and how they map to files.

Storage design (concurrent use). DuckDB lets one process write a database file, or several read it,
never both. So ingestion never holds the database file: each recording is written as Parquet files
in its own folder, built aside and renamed into place in one atomic step (the "transaction"); the
database file only holds views over those files (written once, and again when the schema or the
store's location changes). Any number of readers (the dashboard, the DuckDB CLI, a BI tool) can
query while ingestion runs, and a crash can never leave a half-written recording.

    data/toneboard.duckdb                    views: recordings, segments, pauses, metadata,
                                             batches, ingest_errors; table schema_info
    data/toneboard.store/
        recordings/<recording_id>/           one folder per recording, appears atomically
            recording.parquet  segments.parquet  pauses.parquet  metadata.parquet  speakers.parquet
        recordings/_schema/                  zero-row files that fix the column types
        compacted/current -> g000042         the compacted months readers use (ingest.store.compacted)
        compacted/g000042/<table>/<YYYY-MM>.parquet   recordings merged by month of recorded_at;
                                             a recording with a fresh folder is read from there
        batches/<batch_id>.parquet           one row per batch, replaced atomically
        ingest_errors/<batch_id>/<n>.parquet one row per failed file
        corrections/<time>-<id>.parquet      human corrections of a segment's tags (append-only;
                                             the latest per segment wins; the model's output stays)
        tickets/<ticket_id>.parquet          a risk ticket (written once: re-evaluation is idempotent)
        ticket_events/<time>-<id>.parquet    ticket status changes (append-only; latest wins)
        speaker_corrections/<time>-<id>.parquet  a person's role or name for a speaker (latest wins)
        notifications/<time>-<id>.parquet    each announcement of a ticket on a channel (ingest.notify)
        playlist_items/<time>-<id>.parquet   a moment added to (or taken off) a coaching playlist
        voiceprints/<name>--<kind>.parquet   enrolled voices (personal data: not a view, not exported
                                             unless asked; ingest.voices)

Mutable state is kept as append-only event files for the same reason: no process ever holds the
database file, so readers and writers never block each other.
"""
from __future__ import annotations

from pathlib import Path

SCHEMA_VERSION = 6  # 6: compacted months (ingest.store.compacted)
ADDED_IN = {"speakers": 4, "speaker_corrections": 4, "notifications": 5, "playlist_items": 5}  # older exports lack these tables

# table -> column DDL. Columns may be added (never removed or retyped): files written by older
# versions then read the new column as NULL (views use union_by_name), so stores upgrade in place.
TABLES: dict[str, str] = {
    "recordings": """
        recording_id VARCHAR,        -- SHA-256 of the file's bytes (hex)
        path VARCHAR,                -- path given at ingest (absolute)
        filename VARCHAR,
        size_bytes BIGINT,
        format VARCHAR,              -- container, as ffprobe names it
        codec VARCHAR,
        duration_s DOUBLE,
        sample_rate INTEGER,         -- of the original file
        channels INTEGER,            -- of the original file
        analysed_channels INTEGER,   -- 2 for per-channel stereo analysis, else 1
        mixed BOOLEAN,               -- channels were downmixed (--mix, >2 channels, identical)
        kind VARCHAR,                -- sales | service | class | other
        outcome VARCHAR,             -- won | lost | NULL
        batch_id VARCHAR,
        recorded_at TIMESTAMP,
        recorded_at_source VARCHAR,  -- manifest | option | file-tag | file-mtime
        language_requested VARCHAR,  -- auto | zh | en | yue | ja | ko
        model_id VARCHAR,
        model_revision VARCHAR,
        pipeline_version VARCHAR,
        vad VARCHAR,
        ingested_at TIMESTAMP,
        n_segments INTEGER,
        speech_s DOUBLE,
        schema_version INTEGER,
        speaker_model VARCHAR,       -- the speaker-embedding model (campplus:..., resemblyzer-...); NULL: none
        -- speakers found (stereo: one per channel unless a channel was diarized)
        n_speakers INTEGER""",
    "segments": """
        recording_id VARCHAR,
        channel INTEGER,             -- 0, 1 (stereo per channel) or 0 (mono / mixed)
        role VARCHAR,                -- agent | customer | mixed | ... (--channel-roles)
        seg_index INTEGER,           -- 0.. in time order across the recording's channels
        start_s DOUBLE,
        end_s DOUBLE,
        duration_s DOUBLE,
        language VARCHAR,            -- zh | en | yue | ja | ko | nospeech | NULL
        emotion VARCHAR,             -- HAPPY SAD ANGRY NEUTRAL FEARFUL DISGUSTED SURPRISED UNKNOWN
        emotion_confidence DOUBLE,   -- model probability of that emotion tag, 0..1
        events VARCHAR[],            -- LAUGHTER APPLAUSE BGM COUGH CRY SNEEZE BREATH SING SPEECH_NOISE
        itn BOOLEAN,                 -- inverse text normalisation applied
        text VARCHAR,                -- clean text, tags removed
        raw_text VARCHAR,            -- SenseVoice's output as is
        loudness_dbfs DOUBLE,        -- RMS level of the segment
        speaking_rate DOUBLE,
        rate_unit VARCHAR,           -- chars/s (CJK) | words/s
        model_id VARCHAR,
        model_revision VARCHAR,
        pipeline_version VARCHAR,
        -- personal data found in the text (PHONE ID CARD EMAIL); the text is redacted unless --keep-pii
        pii VARCHAR[],
        speaker VARCHAR,             -- S1, S2, ... by first appearance in the recording
        -- the speaker-embedding model that told the speakers apart (NULL: one speaker per channel)
        speaker_model VARCHAR""",
    "speakers": """
        recording_id VARCHAR,
        speaker VARCHAR,             -- S1, S2, ...
        channel INTEGER,
        role VARCHAR,                -- agent | customer | teacher | student | ... (corrections apply on read)
        role_source VARCHAR,         -- channel | manifest | voiceprint | opening | first | dominant | single
        name VARCHAR,                -- the matched voiceprint's name
        similarity DOUBLE,           -- cosine similarity to the best voiceprint (NULL: none enrolled)
        talk_s DOUBLE,
        segments INTEGER""",
    "pauses": """
        recording_id VARCHAR,
        channel INTEGER,             -- -1: nobody speaks (stereo recordings)
        role VARCHAR,                -- the channel's role, or 'all'
        start_s DOUBLE,
        end_s DOUBLE,
        duration_s DOUBLE,
        after_seg_index INTEGER      -- the segment the pause follows""",
    "metadata": """
        recording_id VARCHAR,
        key VARCHAR,                 -- agent, team, customer, store, teacher, course, ...
        value VARCHAR""",
    "batches": """
        batch_id VARCHAR,
        name VARCHAR,
        started_at TIMESTAMP,
        finished_at TIMESTAMP,
        status VARCHAR,              -- running | finished | interrupted | aborted
        n_files INTEGER,
        n_ingested INTEGER,
        n_skipped INTEGER,
        n_failed INTEGER,
        audio_s DOUBLE,
        options VARCHAR,             -- JSON of the ingest options
        pid INTEGER,
        host VARCHAR""",
    "ingest_errors": """
        batch_id VARCHAR,
        path VARCHAR,
        stage VARCHAR,               -- input | decode | vad | recognize | store | internal
        reason VARCHAR,
        failed_at TIMESTAMP,
        recording_id VARCHAR""",
    "corrections": """
        recording_id VARCHAR,
        seg_index INTEGER,
        emotion VARCHAR,             -- corrected emotion (NULL: unchanged)
        events VARCHAR[],            -- corrected events (NULL: unchanged)
        corrected_by VARCHAR,
        corrected_at TIMESTAMP,
        note VARCHAR""",
    "tickets": """
        ticket_id VARCHAR,           -- hash of recording, rule and first evidence time
        recording_id VARCHAR,
        rule_id VARCHAR,
        rule_name VARCHAR,
        severity VARCHAR,            -- low | medium | high
        evidence VARCHAR,            -- JSON list of {start_s, end_s, what}
        first_evidence_s DOUBLE,
        created_at TIMESTAMP""",
    "ticket_events": """
        ticket_id VARCHAR,
        status VARCHAR,              -- open | acknowledged | resolved (NULL: a comment or assignment only)
        changed_by VARCHAR,
        changed_at TIMESTAMP,
        note VARCHAR,                -- a comment
        assignee VARCHAR             -- who the ticket is given to (NULL: unchanged)""",
    "speaker_corrections": """
        recording_id VARCHAR,
        speaker VARCHAR,
        role VARCHAR,                -- corrected role (NULL: unchanged)
        name VARCHAR,                -- a name for the speaker (NULL: unchanged)
        corrected_by VARCHAR,
        corrected_at TIMESTAMP,
        note VARCHAR""",
    "notifications": """
        ticket_id VARCHAR,
        channel VARCHAR,             -- its name in data/notify.yaml (never its address)
        status VARCHAR,              -- sent | failed
        attempts INTEGER,
        error VARCHAR,               -- the last error, scrubbed of secrets
        sent_at TIMESTAMP""",
    "playlist_items": """
        playlist VARCHAR,            -- its name ("objection handled well")
        recording_id VARCHAR,
        seg_index INTEGER,
        start_s DOUBLE,
        end_s DOUBLE,
        note VARCHAR,
        added_by VARCHAR,
        added_at TIMESTAMP,
        removed BOOLEAN              -- TRUE: taken off the playlist (the latest row wins)""",
}

PER_RECORDING = ("recordings", "segments", "pauses", "metadata", "speakers")
FILE_NAMES = {"recordings": "recording.parquet", "segments": "segments.parquet",
              "pauses": "pauses.parquet", "metadata": "metadata.parquet", "speakers": "speakers.parquet"}
APPEND_ONLY = ("corrections", "tickets", "ticket_events", "speaker_corrections", "notifications", "playlist_items")


def store_dir(db_path: Path) -> Path:
    """The folder beside the database file that holds its Parquet files."""
    db_path = Path(db_path)
    return db_path.with_name(db_path.stem + ".store")


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def table_glob(root: Path, table: str) -> Path:
    if table in PER_RECORDING:
        return root / "recordings" / "*" / FILE_NAMES[table]
    if table == "batches":
        return root / "batches" / "*.parquet"
    if table == "ingest_errors":
        return root / "ingest_errors" / "*" / "*.parquet"
    return root / table / "*.parquet"


COMPACTED = "compacted"  # the compacted months (ingest.store.compacted)


def per_recording_view_sql(root: Path, table: str) -> str:
    """What an outside DuckDB client reads for a per-recording table: the compacted rows of
    recordings without a fresh folder, then the fresh folders (the fresh copy wins); only the
    table's own columns (the columns readers derive stay out)."""
    cols = ", ".join(column_names(table))
    fresh = root / "recordings" / "*" / FILE_NAMES[table]
    fresh_ids = root / "recordings" / "*" / FILE_NAMES["recordings"]
    comp = root / COMPACTED / "current" / table / "*.parquet"
    return (f"SELECT {cols} FROM (SELECT * FROM read_parquet({_quote(comp)}, union_by_name = true) "
            f"WHERE recording_id NOT IN (SELECT recording_id FROM read_parquet({_quote(fresh_ids)}, union_by_name = true)) "
            f"UNION ALL BY NAME SELECT * FROM read_parquet({_quote(fresh)}, union_by_name = true))")


def column_names(table: str) -> list[str]:
    """The columns of ``table`` in DDL order."""
    out = []
    for line in TABLES[table].splitlines():
        line = line.split("--", 1)[0].strip()
        if line:
            out.append(line.split()[0])
    return out


def view_sql(root: Path) -> list[str]:
    """``CREATE OR REPLACE VIEW`` statements for every table over the store at ``root``."""
    root = Path(root).resolve()
    out = []
    for table in TABLES:
        if table in PER_RECORDING:  # compacted months and fresh folders, each recording once
            out.append(f"CREATE OR REPLACE VIEW {table} AS {per_recording_view_sql(root, table)}")
        else:
            src = f"read_parquet({_quote(table_glob(root, table))}, union_by_name = true)"
            out.append(f"CREATE OR REPLACE VIEW {table} AS SELECT * FROM {src}")
    return out


def create_table_sql(table: str, name: str | None = None) -> str:
    return f"CREATE TABLE {name or table} ({TABLES[table]}\n)"
