"""A recording's speakers, and people's corrections of them: a speaker's role or name, or the two
roles swapped. Corrections are stored beside what ingest found (``speaker_corrections``, latest
wins) and the snapshot applies them to ``segments.role`` and ``speakers``, so every analysis (roles
in rules, phrase → reaction, metrics, classroom) uses them; ``model_role`` keeps ingest's own."""
from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

from .filters import MAX_NOTE, FilterError, limit_text

LATEST_SQL = """
    CREATE VIEW speaker_corrections_latest AS
    SELECT recording_id, speaker,
           arg_max(role, corrected_at) FILTER (WHERE role IS NOT NULL) AS role,
           arg_max(name, corrected_at) FILTER (WHERE name IS NOT NULL) AS name
    FROM speaker_corrections GROUP BY ALL"""


def apply_sql() -> list[str]:
    """Statements that bring segments' and speakers' role and name in line with the corrections."""
    return [
        """UPDATE segments s SET role = coalesce(c.role, s.model_role)
           FROM speaker_corrections_latest c
           WHERE s.recording_id = c.recording_id AND s.speaker = c.speaker
             AND s.role IS DISTINCT FROM coalesce(c.role, s.model_role)""",
        """UPDATE speakers s SET role = coalesce(c.role, s.model_role), name = coalesce(c.name, s.model_name)
           FROM speaker_corrections_latest c
           WHERE s.recording_id = c.recording_id AND s.speaker = c.speaker"""]


def changed_sql() -> str:
    """The recordings whose segments do not show their speakers' corrections yet."""
    return """SELECT DISTINCT s.recording_id FROM segments s JOIN speaker_corrections_latest c
              ON s.recording_id = c.recording_id AND s.speaker = c.speaker
              WHERE s.role IS DISTINCT FROM coalesce(c.role, s.model_role)"""


def resolve_recording(con: duckdb.DuckDBPyConnection, ref: str) -> str:
    """A recording id from its full id, its first characters (at least 6) or its file name."""
    ref = (ref or "").strip()
    rows = con.execute("SELECT recording_id FROM recordings WHERE recording_id = ? OR filename = ? "
                       "OR (length(?) >= 6 AND starts_with(recording_id, ?))", [ref, ref, ref, ref]).fetchall()
    if not rows:
        raise FilterError(f"no recording {ref!r} (give its id, the id's first characters, or its file name)")
    if len(rows) > 1:
        raise FilterError(f"{ref!r} matches {len(rows)} recordings: give more of the id")
    return rows[0][0]


def recording_speakers(con: duckdb.DuckDBPyConnection, recording_id: str) -> pd.DataFrame:
    return con.execute("""SELECT speaker, channel, role, model_role, role_source, name, similarity, talk_s, segments
                          FROM speakers WHERE recording_id = ? ORDER BY speaker""", [recording_id]).df()


def speaker_count(con: duckdb.DuckDBPyConnection, recording_id: str) -> tuple[int, str, float | None] | None:
    """(speakers, why: ingest.speakers.count.REASONS, voice separation) where the recording's speakers
    were told apart by voice; None otherwise (stereo per channel, or ingested before it was kept)."""
    row = con.execute("SELECT n_speakers, speaker_count_reason, speaker_separation FROM recordings "
                      "WHERE recording_id = ? AND speaker_count_reason IS NOT NULL", [recording_id]).fetchone()
    return (int(row[0]), row[1], row[2]) if row else None


def listing(con: duckdb.DuckDBPyConnection, recording_id: str) -> list[str]:
    """``toneboard speakers REC``: why that many speakers (where kept), then one line per speaker."""
    from ingest.speakers.count import Count

    lines = []
    if (count := speaker_count(con, recording_id)) is not None:
        lines.append(Count(*count).sentence() + ("" if count[2] is None else f" (voice separation {count[2]:.2f})"))
    for r in recording_speakers(con, recording_id).itertuples():
        who = f" {r.name}" if r.name else ""
        lines.append(f"{r.speaker}\t{r.role}{who}\t{r.talk_s:.1f} s\t{r.segments} segments\t(role from {r.role_source})")
    return lines


def correct_speaker(store, con: duckdb.DuckDBPyConnection, recording_id: str, speaker: str,
                    role: str | None = None, name: str | None = None, by: str = "", note: str = "") -> None:
    speaker = (speaker or "").strip().upper()
    limit_text(role, "role", 40)
    limit_text(name, "name", 100)
    limit_text(note, "note", MAX_NOTE)
    role = role.strip().lower() if role else None
    name = name.strip() if name else None
    if not role and not name:
        raise FilterError("give the speaker's --role or --name")
    if role and (len(role) > 40 or not role.replace("-", "").replace("_", "").isalnum()):
        raise FilterError(f"role {role!r}: use a word such as agent, customer, teacher, student")
    if name is not None and (len(name) > 100 or any(ord(c) < 32 for c in name)):
        raise FilterError("a name has 1-100 printable characters")
    known = [s for (s,) in con.execute("SELECT speaker FROM speakers WHERE recording_id = ?", [recording_id]).fetchall()]
    if speaker not in known:
        raise FilterError(f"no speaker {speaker!r} in this recording (it has {', '.join(sorted(known)) or 'none'})")
    store.append_rows("speaker_corrections", [{"recording_id": recording_id, "speaker": speaker, "role": role, "name": name,
                                               "corrected_by": by, "corrected_at": datetime.now(), "note": note}])


def swap_roles(store, con: duckdb.DuckDBPyConnection, recording_id: str, by: str = "") -> None:
    """Swap the roles of a recording's two speakers (or of the lead speaker and the others)."""
    rows = con.execute("SELECT speaker, role FROM speakers WHERE recording_id = ? ORDER BY speaker",
                       [recording_id]).fetchall()
    roles = sorted({r for _, r in rows})
    if len(roles) != 2:
        raise FilterError(f"swap needs speakers with two roles; this recording has {', '.join(roles) or 'none'}")
    now = datetime.now()
    store.append_rows("speaker_corrections", [{"recording_id": recording_id, "speaker": s,
                                               "role": roles[1] if r == roles[0] else roles[0], "corrected_by": by,
                                               "corrected_at": now, "note": "swap"} for s, r in rows])


def speaker_spans(con: duckdb.DuckDBPyConnection, recording_id: str,
                  speaker: str) -> tuple[str | None, int, list[tuple[float, float]], str | None]:
    """(audio path, channel, [(start s, end s)], speaker model) of one speaker's segments."""
    rows = con.execute("""SELECT s.start_s, s.end_s, s.channel, s.speaker_model, r.path FROM segments s
                          JOIN recordings r USING (recording_id)
                          WHERE s.recording_id = ? AND s.speaker = ? ORDER BY s.start_s""",
                       [recording_id, speaker]).fetchall()
    if not rows:
        raise FilterError(f"no segments of speaker {speaker!r} in this recording")
    return rows[0][4], int(rows[0][2]), [(float(b), float(e)) for b, e, *_ in rows], rows[0][3]


def remember_voice(con: duckdb.DuckDBPyConnection, db_path, recording_id: str, speaker: str, name: str):
    """Enrol ``speaker``'s segments of a stored recording as ``name``'s voiceprint, with the speaker
    model the recording was diarized with ("remember this voice" on the timeline); the Voiceprint."""
    from pathlib import Path

    from ingest.speakers.voices import enrol_recording_speaker

    path, channel, spans, model = speaker_spans(con, recording_id, speaker)
    return enrol_recording_speaker(db_path, name, Path(path), channel, spans, model)


def add_arguments(p) -> None:
    """``toneboard speakers``'s options."""
    p.add_argument("recording", help="recording id (or its first characters)")
    p.add_argument("speaker", nargs="?", help="S1, S2, ... (omit to list)")
    p.add_argument("--role", help="the speaker's role (agent, customer, teacher, student, ...)")
    p.add_argument("--name", help="the speaker's name")
    p.add_argument("--swap", action="store_true", help="swap the roles of the two speakers")
    p.add_argument("--by", default="")
