"""Export: any result to CSV (UTF-8 with BOM, so Excel shows Chinese correctly), and the HTML
report a manager can mail around (Plotly charts inlined: it opens offline)."""
from __future__ import annotations

import html
import json
from dataclasses import replace
from datetime import datetime
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


REPORT_WORDS = {  # the report's own sentences: (English, Chinese)
    "title": ("toneboard report", "toneboard 报告"),
    "generated": ("generated {at}; {n} recordings", "生成于 {at}；{n} 条录音"),
    "since": (" since {at}", "（自 {at} 起）"),
    "noise": ("<b>{n} of these recordings were analysed with a random-weight stand-in model</b> (the real model could "
              "not be loaded): their emotions, events and text are noise, not findings.",
              "<b>其中 {n} 条录音是用随机权重的替代模型分析的</b>（真实模型无法加载）：其情绪、事件和文字都是噪声，不是结论。"),
    "mood": ("Mood over each recording, start to end (n = {n})", "每条录音从头到尾的情绪（n = {n}）"),
    "part": ("part of the recording", "录音的第几段"),
    "mood_scale": ("mood", "情绪值"),
    "minutes": ("Speech minutes per emotion (n = {n} recordings)", "各情绪的语音分钟数（n = {n} 条录音）"),
    "minutes_axis": ("minutes", "分钟"),
    "weekly": ("Calls with an angry customer, week by week (hover: n)", "客户生气的通话占比，按周（悬停查看 n）"),
    "week": ("week", "周"),
    "share": ("% of calls", "通话占比（%）"),
    "recordings": ("Recordings", "录音"),
    "tickets": ("Open risk tickets", "待处理风险工单"),
    "won_lost": ("Won vs lost demos", "赢单与丢单的演示对比"),
    "stuck": ("Classroom stuck points", "课堂卡点"),
    "nothing": ("nothing in this period", "此期间没有内容"),
    "more": ("… and {n} more rows (the CSV export has them all)", "…… 另有 {n} 行（CSV 导出包含全部）"),
}


def _w(key: str, lang: str, **kw) -> str:
    en, zh = REPORT_WORDS[key]
    text = zh if lang == "zh" else en
    return text.format(**kw) if kw else text


def humanize(df: pd.DataFrame, lang: str = "en", rule_names: dict | None = None) -> pd.DataFrame:
    """The frame as text a manager reads: column labels in ``lang``, m:ss, percentages, rounded
    figures, product words named, ids left out, "–" where a value is missing."""
    import pandas as pd

    from .words import ENUMS, MISSING, MMSS, PERCENT, cell_name, label, mmss, tag_name

    out = {}
    for c in df.columns:
        if c in ("recording_id", "ticket_id", "batch_id", "rule_id"):
            continue
        s = df[c]
        if c == "rule_name" and rule_names and "rule_id" in df:
            vals = [rule_names.get(i, v) for i, v in zip(df["rule_id"], s)]
        elif c in ENUMS:
            vals = [cell_name(ENUMS[c], v, lang) for v in s]
        elif c in MMSS:
            vals = [mmss(v) for v in s]
        elif pd.api.types.is_bool_dtype(s):
            vals = ["✓" if v else "" for v in s]
        elif pd.api.types.is_datetime64_any_dtype(s):
            vals = [MISSING if pd.isna(v) else f"{v:%Y-%m-%d %H:%M}" for v in s]
        elif c in PERCENT:
            vals = [MISSING if pd.isna(v) else f"{v:.0%}" for v in s]
        elif pd.api.types.is_float_dtype(s):
            unit = (" 秒" if lang == "zh" else " s") if c.endswith("_s") else ""
            vals = [MISSING if pd.isna(v) else (f"{v:.2g}" if c.startswith("p_") or c.endswith("_p") else f"{v:,.2f}") + unit
                    for v in s]
        else:
            vals = [MISSING if v is None or (not isinstance(v, (list, tuple)) and pd.isna(v)) else
                    ", ".join(tag_name(str(x), lang) for x in v) if isinstance(v, (list, tuple)) else str(v) for v in s]
        out[label(c, lang)] = vals
    return pd.DataFrame(out)


def _table(df: pd.DataFrame, lang: str = "en", max_rows: int = 30, rule_names: dict | None = None) -> str:
    if df is None or df.empty:
        return f"<p class='muted'>{_w('nothing', lang)}</p>"
    more = f"<p class='muted'>{_w('more', lang, n=len(df) - max_rows)}</p>" if len(df) > max_rows else ""
    return "<div class='wide'>" + humanize(df.head(max_rows), lang, rule_names).to_html(index=False, escape=True, border=0) \
        + "</div>" + more


def html_report(con: duckdb.DuckDBPyConnection, flt: Filter | None = None, title: str | None = None,
                lang: str = "en", rule_names: dict | None = None) -> str:
    """A self-contained HTML report for the filter in ``lang`` (en or zh): summary, charts, the
    recordings, open tickets (``rule_names``: each rule's name in that language), won against lost,
    stuck points. It fits the window: tables scroll inside their own box, charts resize."""
    import plotly.express as px
    import plotly.graph_objects as go

    from .classroom import stuck_points
    from .compare import compare_cohorts
    from .filters import FilterError
    from .heatmaps import time_profile
    from .metrics import recording_summary
    from .options import noise_recordings
    from .rules import tickets
    from .trends import trend
    from .words import EMOTION_COLORS, tag_name

    flt = flt or Filter()
    title = title or _w("title", lang)
    recs = recording_summary(con, flt)
    parts = [f"<h1>{html.escape(title)}</h1>",
             f"<p class='muted'>{_w('generated', lang, at=f'{datetime.now():%Y-%m-%d %H:%M}', n=len(recs))}"
             + (_w("since", lang, at=f"{flt.since:%Y-%m-%d %H:%M}") if flt.since else "") + "</p>"]
    noise = noise_recordings(con, flt)
    if noise:  # honest about the model, as the dashboard is
        parts.append(f"<p class='noise'>{_w('noise', lang, n=noise)}</p>")
    figs = []
    if not recs.empty:
        v = time_profile(con, flt, bins=10, value="valence")
        if not v.empty:
            grid = v.assign(part=v["bin"] + 1).pivot_table(index="filename", columns="part", values="valence")
            fig = go.Figure(go.Heatmap(z=grid.to_numpy(dtype=float), x=list(grid.columns), y=list(grid.index),
                                       colorscale="RdYlGn", zmin=-1, zmax=1,
                                       colorbar={"title": {"text": _w("mood_scale", lang)}}))
            fig.update_layout(title=_w("mood", lang, n=v["recording_id"].nunique()), height=120 + 18 * len(grid),
                              xaxis={"title": _w("part", lang), "dtick": 1}, yaxis={"automargin": True, "type": "category"})
            figs.append(fig)
        emo = con.execute("SELECT s.emotion, sum(s.duration_s) / 60 AS minutes FROM seg s JOIN recordings r USING "
                          "(recording_id) WHERE r.recording_id IN (SELECT unnest(?::VARCHAR[])) GROUP BY 1 ORDER BY 2 DESC",
                          [list(recs["recording_id"])]).df()
        emo["name"] = [tag_name(e, lang) for e in emo["emotion"]]  # each emotion in its dashboard colour
        figs.append(px.bar(emo, x="name", y="minutes", color="emotion", color_discrete_map=EMOTION_COLORS,
                           labels={"name": "", "minutes": _w("minutes_axis", lang)},
                           title=_w("minutes", lang, n=len(recs))).update_layout(showlegend=False))
        weeks = trend(con, "angry_share", "week", None, flt).dropna(subset=["value"])
        if not weeks.empty:  # the trend, with n on every point
            figs.append(px.line(weeks.assign(share=weeks["value"] * 100), x="period", y="share", markers=True,
                                hover_data={"n": True}, labels={"period": _w("week", lang), "share": _w("share", lang)},
                                title=_w("weekly", lang)).update_xaxes(tickformat="%Y-%m-%d"))
    for i, fig in enumerate(figs):
        fig.update_layout(autosize=True, margin={"l": 10, "r": 10})
        parts.append(fig.to_html(full_html=False, include_plotlyjs="inline" if i == 0 else False,
                                 default_width="100%", config={"responsive": True, "displaylogo": False}))
    parts.append(f"<h2>{_w('recordings', lang)}</h2>" + _table(recs, lang))
    parts.append(f"<h2>{_w('tickets', lang)}</h2>"
                 + _table(tickets(con, flt, ["open"]).drop(columns=["evidence"]), lang, rule_names=rule_names))
    try:
        cmp = compare_cohorts(con, replace(flt, kinds=["sales"], outcomes=["won"]),
                              replace(flt, kinds=["sales"], outcomes=["lost"]))
        cols = [c for c in cmp.columns if c in ("feature", "n_won", "n_lost", "mean_won", "mean_lost", "difference",
                                                  "ci_low", "ci_high", "cliffs_delta", "p_adjusted", "small_n")]
        shown = cmp[cols]
        won, lost = ("赢单", "丢单") if lang == "zh" else ("won", "lost")
        shown = shown.rename(columns={"n_won": f"n ({won})", "n_lost": f"n ({lost})",
                                      "mean_won": f"{'平均' if lang == 'zh' else 'average'} ({won})",
                                      "mean_lost": f"{'平均' if lang == 'zh' else 'average'} ({lost})"})
        parts.append(f"<h2>{_w('won_lost', lang)}</h2>" + _table(shown, lang, 12))
    except FilterError as e:
        parts.append(f"<h2>{_w('won_lost', lang)}</h2><p class='muted'>{html.escape(str(e))}</p>")
    parts.append(f"<h2>{_w('stuck', lang)}</h2>" + _table(stuck_points(con, replace(flt, kinds=["class"])), lang))
    style = ("body{font-family:system-ui,'PingFang SC','Microsoft YaHei',sans-serif;margin:2em auto;max-width:1200px;"
             "padding:0 1em;color:#222}"
             ".wide{overflow-x:auto;max-width:100%}"
             "table{border-collapse:collapse;font-size:13px}td,th{padding:4px 8px;border-bottom:1px solid #ddd;"
             "text-align:left;white-space:nowrap}"
             ".muted{color:#777}.noise{background:#fde8e8;border:1px solid #d62728;padding:8px;color:#7a1010}")
    return (f"<!doctype html><html lang='{'zh-CN' if lang == 'zh' else 'en'}'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{html.escape(title)}</title>"
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>")


# -- what `toneboard export WHAT` writes ---------------------------------------------------------
EXPORTS = {"sessions", "segments", "metrics", "compare", "reactions", "mentions", "stuck-points", "course-findings", "tickets",
           "search", "timeline", "heatmap-time", "heatmap-hours", "heatmap-metadata", "cooccurrence", "agreement"}
EXPORT_PARAMS = ("cohorts", "phrase", "speaker_role", "window", "group_by", "regex", "query", "recording", "heat_tag", "key")


def add_report_arguments(p) -> None:
    """``toneboard report``'s options (the filter's are ``filters.add_arguments``)."""
    import os

    p.add_argument("--out", type=Path, required=True, help="HTML file to write")
    p.add_argument("--title", help="the report's title (default: 'toneboard report' in its language)")
    p.add_argument("--lang", choices=["en", "zh"], default=os.environ.get("TONEBOARD_LANG", "en"),
                   help="the report's language (default: $TONEBOARD_LANG, else en)")


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
    from . import classroom, compare, corrections, heatmaps, metrics, reactions, rules, search, timeline
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
        return rules.tickets(con, flt, types=None)  # every type, with its rule_type column
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
