"""Export: any result to CSV (UTF-8 with BOM, so Excel shows Chinese correctly; cells a
spreadsheet would run as formulas neutralised) and what ``toneboard export WHAT`` writes. The HTML
report is ``analytics.report``."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from .filters import Filter

if TYPE_CHECKING:  # pandas and duckdb load where a table is made: `toneboard --help` stays quick
    import duckdb
    import pandas as pd


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what Excel and LibreOffice read as a formula


def neutral(text: str) -> str:
    """Text that a spreadsheet shows as text: a leading ``'`` before a formula's first character
    (OWASP's advice against CSV injection: a file name ``=HYPERLINK(...)`` stays a name)."""
    return "'" + text if text.startswith(FORMULA_START) else text


def _cell(v):
    if hasattr(v, "tolist") and not isinstance(v, (str, bytes)):
        v = v.tolist()
    if isinstance(v, (list, tuple, dict)):
        v = json.dumps(v, ensure_ascii=False, default=str)
    return neutral(v) if isinstance(v, str) else v


def to_csv(df: pd.DataFrame, path: str | Path | None = None) -> bytes:
    """CSV bytes (UTF-8 with BOM); lists and dicts as JSON; text that a spreadsheet would run as a
    formula neutralised, in the headers too (every CSV toneboard writes comes from here). Written
    to ``path`` if given."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or str(out[col].dtype) in ("string", "str", "category"):
            out[col] = out[col].astype(object).map(_cell)
    out.columns = [neutral(c) if isinstance(c, str) else c for c in out.columns]
    data = out.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")  # RFC 4180: a field with
    # a carriage return is quoted too (with "\n" alone it was not, and Excel starts a new row there)
    if path is not None:
        Path(path).write_bytes(data)
    return data


# -- what `toneboard export WHAT` writes ---------------------------------------------------------
EXPORTS = {"sessions", "segments", "metrics", "compare", "reactions", "mentions", "stuck-points", "course-findings", "tickets",
           "search", "timeline", "heatmap-time", "heatmap-hours", "heatmap-metadata", "cooccurrence", "agreement"}
EXPORT_PARAMS = ("cohorts", "phrase", "speaker_role", "window", "group_by", "regex", "query", "recording", "heat_tag", "key")


def add_export_arguments(p) -> None:
    """``toneboard export``'s options: what, where, and each export's own parameters (``EXPORT_PARAMS``)."""
    p.add_argument("what", choices=sorted(EXPORTS), help="what to export")
    p.add_argument("--csv", type=Path, required=True, help="CSV file to write ('-' for standard output)")
    p.add_argument("--query", help="search: the text to find")
    p.add_argument("--phrase", help="reactions, mentions: the phrase (or regex with --regex)")
    p.add_argument("--regex", action="store_true", help="reactions: the phrase is a regular expression")
    p.add_argument("--speaker-role", help="reactions: only mentions by this role (e.g. agent)")
    p.add_argument("--window", type=float, default=10.0, help="reactions: seconds after a mention (default: %(default)s)")
    p.add_argument("--group-by", default="outcome", help="reactions: outcome, kind or meta:KEY (default: %(default)s)")
    p.add_argument("--recording", help="timeline: the recording id")
    p.add_argument("--key", help="heatmap-metadata: the metadata key (agent, team, ...)")
    p.add_argument("--heat-tag", help="heatmap-hours: the emotion or event")
    p.add_argument("--cohorts", nargs=2, metavar=("A", "B"), default=("won", "lost"),
                   help="compare: two outcomes (default: won lost)")


def export_frame(what: str, con: duckdb.DuckDBPyConnection, flt: Filter, *, cohorts=("won", "lost"), phrase=None,
                 speaker_role=None, window: float = 10.0, group_by: str = "outcome", regex: bool = False, query=None,
                 recording=None, heat_tag=None, key=None) -> pd.DataFrame:
    """The table ``what`` (one of EXPORTS) for the filter; a parameter it needs and lacks is a
    FilterError naming the command-line option."""
    from . import classroom, compare, corrections, heatmaps, metrics, reactions, search, tickets, timeline
    from .filters import FilterError, recording_where

    def need(value, option: str):
        if not value:
            raise FilterError(f"{what} needs {option}")
        return value

    if what == "sessions":
        return metrics.recording_summary(con, flt)
    if what == "segments":
        where, params = recording_where(flt)
        return con.execute(f"SELECT s.* FROM seg s JOIN recordings r USING (recording_id) WHERE {where} "
                           "ORDER BY s.recording_id, s.start_s", params).df()
    if what == "metrics":
        return metrics.conversation_metrics(con, flt)
    if what == "compare":
        a, b = cohorts
        return compare.compare_cohorts(con, replace(flt, outcomes=[a]), replace(flt, outcomes=[b]), labels=(a, b))
    if what in ("reactions", "mentions"):  # the summary, or every mention with what followed it
        per, summary = reactions.phrase_reactions(con, need(phrase, "--phrase"), flt, speaker_role, window, group_by=group_by,
                                                  regex=regex, limit=None if what == "mentions" else 0)
        return summary if what == "reactions" else per
    if what == "stuck-points":
        return classroom.stuck_points(con, replace(flt, kinds=flt.kinds or ["class"]))
    if what == "course-findings":
        return classroom.course_findings(con, replace(flt, kinds=flt.kinds or ["class"]))[0]
    if what == "tickets":
        return tickets.tickets(con, flt, types=None)  # every type, with its rule_type column
    if what == "search":
        return search.search(con, need(query, "--query"), flt)
    if what == "timeline":
        return timeline.timeline(con, need(recording, "--recording ID"))
    if what == "heatmap-time":
        return heatmaps.time_profile(con, flt)
    if what == "heatmap-hours":
        return heatmaps.hour_weekday(con, need(heat_tag, "--heat-tag (an emotion or event)"), flt)
    if what == "heatmap-metadata":
        return heatmaps.by_metadata(con, need(key, "--key (agent, team, ...)"), flt)
    if what == "cooccurrence":
        return heatmaps.cooccurrence(con, flt)
    if what != "agreement":
        raise FilterError(f"unknown export {what!r}: one of {', '.join(sorted(EXPORTS))}")
    r = corrections.agreement(con, flt)
    return r["per_class"].assign(n=r["n"], accuracy=r["accuracy"], ci_low=r["ci_low"], ci_high=r["ci_high"])
