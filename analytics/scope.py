"""What one viewer may see, enforced below every query: a ``Scope`` becomes a schema of views named
like the reader's own (``recordings``, ``seg``, ``role_stats``, ``ticket_status``, the ``SAYING``
macro …), each holding only the rows of the recordings in scope, and a cursor whose search path
puts that schema first. Every page, export, report, search and audio lookup runs its unchanged SQL on
such a cursor, so none can reach a recording outside the scope, and a recording id outside it is
"not found" exactly as an id that does not exist.

Which relations are scoped is read from the reader itself, not listed: every relation of schema
``main`` with a ``recording_id`` column is limited to the recordings in scope; one with a
``ticket_id`` (and no recording) to the tickets in scope; the upload bookkeeping (``batches``,
``ingest_errors``) to those who may upload. A relation added later is scoped by the same rule
(``tests/reliability/test_scope.py`` checks that nothing with a recording id is left unscoped).
"""
from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass

import duckdb

from ingest.store import sql_path

from .filters import SAYING

UPLOADS = ("batches", "ingest_errors")
MACROS = (SAYING,)  # table macros over segments (the phrase search's), scoped the same way
_lock = threading.Lock()


@dataclass(frozen=True)
class Scope:
    """Every recording (``everything``), or those whose metadata holds one of ``pairs`` (key, value)
    and those where a speaker is one of ``voices`` (a voiceprint's name, or a name a person gave the
    speaker); ``uploads``: whether the upload bookkeeping (batches, failed files) is visible."""

    pairs: tuple[tuple[str, str], ...] = ()
    everything: bool = False
    uploads: bool = False
    voices: tuple[str, ...] = ()

    def admits(self, metadata: dict) -> bool:
        """Whether a recording (or a live call) with this metadata is in scope."""
        return self.everything or any(str(metadata.get(k)) == v for k, v in self.pairs)

    def name(self) -> str:
        digest = hashlib.sha1(repr((sorted(self.pairs), self.uploads, sorted(self.voices))).encode()).hexdigest()[:16]
        return f"scope_{digest}"


EVERYTHING = Scope(everything=True, uploads=True)
NOTHING = Scope()


def cursor(con: duckdb.DuckDBPyConnection, scope: Scope | None) -> duckdb.DuckDBPyConnection:
    """A cursor of the reader ``con`` that sees only ``scope`` (None: nothing)."""
    cur = con.cursor()
    scope = scope or NOTHING
    if not scope.everything:
        cur.execute(f"SET search_path = '{prepare(con, scope)},main'")
    return cur


def prepare(con: duckdb.DuckDBPyConnection, scope: Scope) -> str:
    """The schema of ``scope``'s views on the reader ``con`` (made once; views bind late, so the
    reader's refreshes show through)."""
    name = scope.name()
    with _lock:
        con = con.cursor()  # a connection of its own: the reader's may be busy in another session's thread
        if con.execute("SELECT count(*) FROM duckdb_schemas() WHERE schema_name = ?", [name]).fetchone()[0]:
            return name
        con.execute(f"CREATE SCHEMA {name}")
        pairs = " OR ".join(f"(key = {sql_path(k)} AND value = {sql_path(v)})" for k, v in scope.pairs) or "FALSE"
        voices = ", ".join(sql_path(v) for v in scope.voices)
        by_voice = f" UNION SELECT recording_id FROM main.speakers WHERE name IN ({voices})" if voices else ""
        con.execute(f"CREATE VIEW {name}._in_scope AS SELECT DISTINCT recording_id FROM main.metadata WHERE {pairs}{by_voice}")
        columns = relation_columns(con)
        ordered = sorted(columns, key=lambda r: "recording_id" not in columns[r])  # tickets before their events
        for rel in ordered:
            cols = columns[rel]
            if "recording_id" in cols:
                where = f"recording_id IN (SELECT recording_id FROM {name}._in_scope)"
            elif "ticket_id" in cols and "tickets" in columns:
                where = f"ticket_id IN (SELECT ticket_id FROM {name}.tickets)"
            elif rel in UPLOADS:
                where = "TRUE" if scope.uploads else "FALSE"
            else:
                continue
            con.execute(f"CREATE VIEW {name}.{rel} AS SELECT * FROM main.{rel} WHERE {where}")
        for macro in MACROS:
            con.execute(f"CREATE MACRO {name}.{macro}(needle) AS TABLE SELECT * FROM main.{macro}(needle) "
                        f"WHERE recording_id IN (SELECT recording_id FROM {name}._in_scope)")
    return name


def relation_columns(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """Each table and view of schema ``main`` with its columns."""
    out: dict[str, set[str]] = {}
    for rel, col in con.execute("SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = 'main' "
                                "AND database_name = current_database()").fetchall():
        out.setdefault(rel, set()).add(col)
    return out
