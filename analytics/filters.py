"""The one filter object every analysis takes, turned into parameterised SQL (never spliced)."""
from __future__ import annotations

import argparse
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from ingest.models.tags import EMOTIONS, EVENTS
from ingest.options import DEFAULT_DB, KINDS, OUTCOMES, meta_pair

TAGS = EMOTIONS + ("UNKNOWN",) + EVENTS


class FilterError(ValueError):
    """A filter that cannot be applied; the message names the field."""


@dataclass
class Filter:
    since: datetime | None = None
    until: datetime | None = None
    kinds: list[str] = field(default_factory=list)
    outcomes: list[str] = field(default_factory=list)
    metadata: dict[str, list[str]] = field(default_factory=dict)  # key -> accepted values
    languages: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    channels: list[int] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)  # recordings with any of these emotions/events
    text: str | None = None  # recordings whose transcript contains this (case-insensitive)
    batch_ids: list[str] = field(default_factory=list)
    recording_ids: list[str] = field(default_factory=list)
    models_out: list[str] = field(default_factory=list)  # leave out recordings analysed by these models (demo, stand-in)


# How text is normalised for search, as a DuckDB macro: lower case, every run of non-letters/digits
# one space, a space at both ends. A segment's text is normalised this way when it is tested
# (text_test; its signature was made from it at load) and a query by the same macro, so a
# whole-word search is a plain substring test.
NORM_TEXT_MACRO = r"CREATE MACRO norm_text(x) AS ' ' || trim(regexp_replace(lower(coalesce(x, '')), '[^\pL\pN]+', ' ', 'g')) || ' '"

# A 64-bit signature of a text: one bit per pair of adjacent characters (hashed). Every pair of a
# substring is a pair of the text, so "text contains needle" implies "sig(text) has every bit of
# sig(needle)": an integer test that rules out most segments before the substring test reads them
# (2M segments: ~6 ms instead of ~30 ms for the scan). The snapshot stores it as text_sig.
TEXT_SIG_MACRO = ("CREATE MACRO text_sig(t) AS coalesce(list_aggregate(list_transform(range(greatest(length(t) - 1, 0)), "
                  "lambda i: 1::UBIGINT << (hash(substr(t, i + 1, 2)) % 64)::INTEGER), 'bit_or'), 0)::UBIGINT")


def sig_test(alias: str, needle: str) -> str:
    """SQL: segment ``alias``'s signature has every bit of the signature of ``needle`` (an SQL
    expression of normalised text): true of every segment that says it, and of few others."""
    return f"({alias}.text_sig & text_sig({needle})) = text_sig({needle})"


def text_test(alias: str, needle: str) -> str:
    """SQL: segment ``alias``'s normalised text contains ``needle`` (normalised). A needle without
    spaces (CJK text, or one word's letters inside a longer word) is a run of letters and digits,
    which the lower-cased text holds exactly when the normalised text does: no regular expression.
    A needle of whole words needs the normalised text, made only where each of its words is in
    the lower-cased text (normalising every candidate's text cost more than reading it)."""
    lower = f"lower({alias}.text)"
    return (f"CASE WHEN NOT contains({needle}, ' ') THEN contains({lower}, {needle}) "
            f"WHEN list_bool_and(list_transform(string_split(trim({needle}), ' '), lambda w: contains({lower}, w))) "
            f"THEN contains(norm_text({alias}.text), {needle}) ELSE FALSE END")


# The segments that say a needle, as a table: ``FROM segments_saying(?) s`` (the needle normalised
# by norm_text, trimmed or not). The reader (analytics.db.Data) defines it, with the signature test
# on the store's files themselves, where DuckDB pushes it into the scan (see Data._saying_macro).
SAYING = "segments_saying"


MAX_TEXT = 300  # characters of a search, phrase, text filter or name, typed or in a link
MAX_NOTE = 2000  # characters of a comment


def limit_text(value: str | None, what: str, limit: int = MAX_TEXT) -> str | None:
    """``value`` if it is at most ``limit`` characters, else a FilterError that says so (a text of
    100,000 characters in a link tied a page up for a minute)."""
    if value is not None and len(value) > limit:
        raise FilterError(f"{what}: at most {limit:,} characters (this one has {len(value):,})")
    return value


def parse_since(value: str, now: datetime | None = None) -> datetime:
    """'24h', '7d', '2w', '30m' or an ISO date/time."""
    now = now or datetime.now()
    limit_text(value, "since", 40)
    m = re.fullmatch(r"\s*(\d+)\s*([mhdw])\s*", value or "")
    if m:
        units = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
        try:
            return now - timedelta(**{units[m.group(2)]: int(m.group(1))})
        except OverflowError:
            raise FilterError(f"since: {value.strip()} reaches back before the year 1 (use 24h, 7d, 2w or a date "
                              "like 2026-11-01)") from None
    try:
        return datetime.fromisoformat(value.strip())
    except (ValueError, AttributeError):
        raise FilterError(f"since: cannot read {value!r} (use 24h, 7d, 2w or a date like 2026-11-01)") from None


def validate(f: Filter, con=None) -> None:
    limit_text(f.text, "text")
    bad = [t for t in f.tags if t.upper() not in TAGS]
    if bad:
        raise FilterError(f"tags: unknown tag {bad[0]!r}; known: {', '.join(TAGS)}")
    if f.since and f.until and f.since > f.until:
        raise FilterError("since is after until")
    if con is not None and f.metadata:
        keys = {k for (k,) in con.execute("SELECT DISTINCT key FROM metadata").fetchall()}
        unknown = [k for k in f.metadata if k not in keys]
        if unknown:
            raise FilterError(f"metadata: no recording has the key {unknown[0]!r}"
                              + (f"; keys: {', '.join(sorted(keys))}" if keys else " (the database has no metadata)"))


def recording_where(f: Filter | None, alias: str = "r") -> tuple[str, list]:
    """SQL condition on recordings (alias ``alias``) and its parameters."""
    f = f or Filter()
    validate(f)
    a = alias
    period, params = time_conditions(f, a)
    conds = ["TRUE"] + period
    for col, values in (("kind", f.kinds), ("outcome", f.outcomes), ("batch_id", f.batch_ids),
                        ("recording_id", f.recording_ids)):
        if values:
            conds.append(f"{a}.{col} IN (SELECT unnest(?::VARCHAR[]))")
            params.append(list(values))
    if f.models_out:
        conds.append(f"coalesce({a}.model_id, '') NOT IN (SELECT unnest(?::VARCHAR[]))")
        params.append(list(f.models_out))
    for key, values in f.metadata.items():
        conds.append(f"{a}.recording_id IN (SELECT recording_id FROM metadata WHERE key = ? "
                     "AND value IN (SELECT unnest(?::VARCHAR[])))")
        params += [key, list(values)]
    seg_conds, seg_params = segment_conditions(f, "s2", time=False)
    if f.tags and not (f.languages or f.channels):
        # per-recording tag counts were computed when the snapshot loaded the recording
        any_tag = " OR ".join(f'"n_{t.upper()}" > 0' for t in f.tags)  # names checked by validate()
        conds.append(f"{a}.recording_id IN (SELECT recording_id FROM role_stats "
                     f"WHERE role IN (SELECT unnest(?::VARCHAR[])) AND ({any_tag}))")
        params.append(list(f.roles) or ["*"])
    elif f.tags:
        seg_conds.append("(s2.emotion IN (SELECT unnest(?::VARCHAR[])) OR len(list_intersect(s2.events, ?::VARCHAR[])) > 0)")
        tags = [t.upper() for t in f.tags]
        seg_params += [tags, tags]
    source = "seg s2"
    if f.text:  # the FROM's parameter comes before the WHERE's
        source, seg_params = f"{SAYING}(trim(norm_text(?))) s2", [f.text] + seg_params
    if len(seg_conds) > 1 or f.text:
        conds.append(f"{a}.recording_id IN (SELECT s2.recording_id FROM {source} WHERE {' AND '.join(seg_conds)})")
        params += seg_params
    return " AND ".join(conds), params


def time_conditions(f: Filter | None, alias: str = "s") -> tuple[list[str], list]:
    """The filter's period on the segments' own copy of recorded_at: redundant with the recordings'
    condition, but it lets DuckDB skip the compacted row groups outside the period (segments are
    sorted by it). Keep them outside a CASE, or they are not pushed into the scan."""
    f = f or Filter()
    conds, params = [], []
    if f.since:
        conds.append(f"{alias}.recorded_at >= ?")
        params.append(f.since)
    if f.until:
        conds.append(f"{alias}.recorded_at < ?")
        params.append(f.until)
    return conds, params


def segment_conditions(f: Filter | None, alias: str = "s", time: bool = True) -> tuple[list[str], list]:
    """Conditions that restrict which segments count (language, role, channel), and with ``time``
    the filter's period (``time_conditions``)."""
    f = f or Filter()
    conds, params = ["TRUE"], []
    if time:
        period, params = time_conditions(f, alias)
        conds += period
    for col, values, typ in (("language", f.languages, "VARCHAR"), ("role", f.roles, "VARCHAR"),
                             ("channel", f.channels, "INTEGER")):
        if values:
            conds.append(f"{alias}.{col} IN (SELECT unnest(?::{typ}[]))")
            params.append(list(values))
    return conds, params


# -- the command line (report, export, tickets) --------------------------------------------------
def add_arguments(p: argparse.ArgumentParser) -> None:
    """The filter's options, and ``--db``."""
    g = p.add_argument_group("filter")
    g.add_argument("--db", type=Path, default=DEFAULT_DB, help="database file (default: %(default)s)")
    g.add_argument("--since", help="24h, 7d, 2w or a date (recorded_at)")
    g.add_argument("--until", help="a date (recorded_at, exclusive)")
    g.add_argument("--kind", action="append", default=[], choices=KINDS)
    g.add_argument("--outcome", action="append", default=[], choices=OUTCOMES)
    g.add_argument("--meta", type=meta_pair, action="append", default=[], metavar="KEY=VALUE")
    g.add_argument("--language", action="append", default=[])
    g.add_argument("--role", action="append", default=[], help="count only segments of this role")
    g.add_argument("--tag", action="append", default=[], help="recordings with this emotion or event")
    g.add_argument("--text", help="recordings whose transcript contains this")


def from_args(a: argparse.Namespace, con=None) -> Filter:
    """The ``Filter`` of parsed arguments; with ``con``, checked against the data (an unknown
    metadata key is the same error here as in heatmaps and group-by)."""
    meta: dict[str, list[str]] = {}
    for k, v in a.meta:
        meta.setdefault(k, []).append(v)
    flt = Filter(since=parse_since(a.since) if a.since else None, until=parse_since(a.until) if a.until else None,
                 kinds=a.kind, outcomes=a.outcome, metadata=meta, languages=a.language, roles=a.role,
                 tags=[t.upper() for t in a.tag], text=a.text)
    if con is not None:
        validate(flt, con)
    return flt
