"""The HTML report a manager can mail around (``toneboard report``, the Export page): a summary in
the reader's language, the tables and charts of the filter's recordings, Plotly charts inlined so
it opens offline; demo and stand-in recordings marked."""
from __future__ import annotations

import html
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .filters import Filter

if TYPE_CHECKING:  # pandas and duckdb load where a table is made: `toneboard --help` stays quick
    import duckdb
    import pandas as pd

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
    "demo": ("<b>{n} of these {total} recordings are synthetic demo data</b>, not your calls (marked “demo” in the "
             "tables); remove them on the dashboard's Overview page.",
             "<b>这 {total} 条录音中有 {n} 条是合成的演示数据</b>，不是您的通话（表格中标为“演示”）；可在看板的概览页删除。"),
    "demo_mark": ("demo", "演示"),
    "summary": ("Summary", "摘要"),
    "week_vs_last": ("This week against last week", "本周与上周"),
    "this_week": ("this week", "本周"), "last_week": ("last week", "上周"), "figure": ("", ""),
    "fig_recordings": ("Recordings", "录音数"),
    "fig_angry_share": ("Calls with an angry customer", "客户生气的通话占比"),
    "fig_long_silences": ("Silences ≥ 5 s per call", "每通 ≥5 秒沉默次数"),
    "fig_lead_talk_share": ("Agent / teacher talk share", "坐席/老师说话占比"),
    "fig_won_rate": ("Demos won", "演示赢单率"),
    "attention": ("What needs attention: {n} open risk tickets ({high} high, {medium} medium, {low} low)",
                  "需要关注：{n} 个待处理风险工单（高 {high}，中 {medium}，低 {low}）"),
    "ticket_line": ("{rule} — {file}{who}, at {at}", "{rule} — {file}{who}，位置 {at}"),
    "movers": ("Who moved most (calls with an angry customer, last 7 days against the 7 before)",
               "变化最大的人（客户生气的通话占比，最近 7 天对比之前 7 天）"),
    "mover_line": ("{who}: {now} (n = {now_n}) against {before} (n = {before_n})",
                   "{who}：{now}（n = {now_n}），之前 {before}（n = {before_n}）"),
    "no_movers": ("Nobody with at least 3 calls in both weeks moved.", "两周内各至少 3 通的人中没有明显变化。"),
    "findings": ("Won against lost: what differs", "赢单与丢单：有何不同"),
    "finding": ("{feature} — won: {va}, lost: {vb} ({na} against {nb} recordings): {strength}.",
                "{feature} — 赢单：{va}，丢单：{vb}（{na} 对 {nb} 条录音）：{strength}。"),
    "strength_clear": ("a clear difference", "差异明显"),
    "strength_likely": ("probably a real difference", "很可能确有差异"),
    "strength_unclear": ("could be chance", "可能只是偶然"),
    "details": ("Details", "详细内容"),
    "people": ("People", "人员"),
    "stats_note": ("The numbers behind the sentences: p is the chance of a difference this large by luck alone "
                   "(after Holm's correction for many comparisons); δ (Cliff's delta) runs from −1 to 1, 0 meaning "
                   "no difference.",
                   "句子背后的数字：p 是仅凭偶然出现这么大差异的概率（已按 Holm 方法校正多重比较）；δ（Cliff's delta）"
                   "取值 −1 到 1，0 表示没有差异。"),
    "mood_newest": ("Mood over each recording, start to end: the {n} newest", "每条录音从头到尾的情绪：最新 {n} 条"),
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


MOOD_ROWS = 40  # the mood heatmap's rows: the newest recordings


table_html = _table  # the report's table, for the sections other rooms add (analytics.qa.trends.report_html)


def _demo_ids(con: duckdb.DuckDBPyConnection, recs: pd.DataFrame) -> set[str]:
    from ingest.batch.demo import DEMO_MODEL

    if recs.empty:
        return set()
    return {r for (r,) in con.execute("SELECT recording_id FROM recordings WHERE model_id = ? AND recording_id IN "
                                      "(SELECT unnest(?::VARCHAR[]))", [DEMO_MODEL, list(recs["recording_id"])]).fetchall()}


def _marked(df: pd.DataFrame, demo: set[str], lang: str) -> pd.DataFrame:
    """``df`` with its demo recordings' file names marked (the report says demo rows are there)."""
    if df.empty or not demo or "filename" not in df.columns:
        return df
    mark = _w("demo_mark", lang)
    return df.assign(filename=[f"{f} ({mark})" if r in demo else f for f, r in zip(df["filename"], df["recording_id"])])


def _finding(r, lang: str) -> str:
    from .words import feature_name, feature_value

    return _w("finding", lang, feature=feature_name(r.feature, lang), va=feature_value(r.feature, r.mean_a, lang),
              vb=feature_value(r.feature, r.mean_b, lang), na=int(r.n_a), nb=int(r.n_b),
              strength=_w(f"strength_{r.strength}", lang))


def _summary(con: duckdb.DuckDBPyConnection, flt: Filter, lang: str, open_risks: pd.DataFrame, rule_names: dict | None,
             demo: set[str]) -> str:
    """What the Overview says, in sentences and one small table: this week against last, what needs
    attention, who moved most."""
    from . import home
    from .words import mmss

    out = []
    week = home.this_week_vs_last(home.weekly(con, flt, weeks=2))
    if not week.empty:
        rows = []
        for r in week.itertuples():
            fmt = (lambda v: "–" if v is None or v != v else f"{v:.0%}") if r.figure in ("angry_share", "lead_talk_share", "won_rate") \
                else (lambda v: "–" if v is None or v != v else f"{v:,.1f}".rstrip("0").rstrip("."))
            rows.append(f"<tr><td>{_w('fig_' + r.figure, lang)}</td><td>{fmt(r.value)} (n = {r.n})</td>"
                        f"<td>{fmt(r.last_value)} (n = {r.last_n})</td></tr>")
        out.append(f"<h3>{_w('week_vs_last', lang)}</h3><div class='wide'><table><tr><th></th>"
                   f"<th>{_w('this_week', lang)}</th><th>{_w('last_week', lang)}</th></tr>{''.join(rows)}</table></div>")
    counts = {s: int((open_risks["severity"] == s).sum()) if not open_risks.empty else 0 for s in ("high", "medium", "low")}
    out.append(f"<h3>{_w('attention', lang, n=len(open_risks), **counts)}</h3>")
    if not open_risks.empty:
        lines = []
        for t in open_risks.head(5).itertuples():
            who = f" ({t.agent})" if isinstance(getattr(t, "agent", None), str) else ""
            name = (rule_names or {}).get(t.rule_id, t.rule_name)
            file = f"{t.filename} ({_w('demo_mark', lang)})" if t.recording_id in demo else t.filename
            lines.append(f"<li>{html.escape(_w('ticket_line', lang, rule=name, file=file, who=who, at=mmss(t.first_evidence_s)))}</li>")
        out.append(f"<ul>{''.join(lines)}</ul>")
    moved = home.movers(con, "agent", flt)
    out.append(f"<h3>{_w('movers', lang)}</h3>")
    if moved.empty:
        out.append(f"<p class='muted'>{_w('no_movers', lang)}</p>")
    else:
        out.append("<ul>" + "".join(
            f"<li>{'▲' if m.change > 0 else '▼'} " + html.escape(_w("mover_line", lang, who=m.who, now=f"{m.now_share:.0%}",
                                                                 now_n=m.now_n, before=f"{m.before_share:.0%}",
                                                                 before_n=m.before_n)) + "</li>"
            for m in moved.itertuples()) + "</ul>")
    return "".join(out)


def html_report(con: duckdb.DuckDBPyConnection, flt: Filter | None = None, title: str | None = None,
                lang: str = "en", rule_names: dict | None = None, extra: str = "") -> str:
    """A self-contained HTML report for the filter in ``lang`` (en or zh), to mail to a boss. It opens
    with what the Overview says (this week against last, what needs attention, who moved) and which
    rows are demo data; then the details: charts, people, the recordings and open risk tickets with
    their agent and team (``rule_names``: each rule's name in that language), won against lost in
    sentences before the statistics, stuck points, ``extra`` (HTML: the quality forms' section), the
    newest recordings' mood. It fits the window:
    tables scroll inside their own box, charts resize."""
    import plotly.express as px
    import plotly.graph_objects as go

    from .classroom import stuck_points
    from .compare import compare_cohorts, findings, strengths
    from .filters import FilterError
    from .heatmaps import time_profile
    from .metrics import recording_summary
    from .options import noise_recordings
    from .people import people
    from .tickets import tickets
    from .trends import trend
    from .words import EMOTION_COLORS, feature_name, tag_name

    flt = flt or Filter()
    title = title or _w("title", lang)
    recs = recording_summary(con, flt)
    demo = _demo_ids(con, recs)
    parts = [f"<h1>{html.escape(title)}</h1>",
             f"<p class='muted'>{_w('generated', lang, at=f'{datetime.now():%Y-%m-%d %H:%M}', n=len(recs))}"
             + (_w("since", lang, at=f"{flt.since:%Y-%m-%d %H:%M}") if flt.since else "") + "</p>"]
    if demo:  # said wherever demo rows are counted: here, and marked in every table
        parts.append(f"<p class='noise'>{_w('demo', lang, n=len(demo), total=len(recs))}</p>")
    noise = noise_recordings(con, flt)
    if noise:  # honest about the model, as the dashboard is
        parts.append(f"<p class='noise'>{_w('noise', lang, n=noise)}</p>")
    open_risks = tickets(con, flt, ["open"])
    try:
        cmp, cmp_error = compare_cohorts(con, replace(flt, kinds=["sales"], outcomes=["won"]),
                                         replace(flt, kinds=["sales"], outcomes=["lost"])), None
    except FilterError as e:
        cmp, cmp_error = None, str(e)
    sentences = "".join(f"<li>{html.escape(_finding(r, lang))}</li>" for r in findings(cmp, ("won", "lost")).itertuples()) \
        if cmp is not None else ""
    parts.append(f"<h2>{_w('summary', lang)}</h2>" + _summary(con, flt, lang, open_risks, rule_names, demo)
                 + (f"<h3>{_w('findings', lang)}</h3><ul>{sentences}</ul>" if sentences else ""))
    parts.append(f"<h2>{_w('details', lang)}</h2>")
    figs = []
    if not recs.empty:
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
    crowd = people(con, "agent", flt) if not recs.empty else None
    if crowd is not None and not crowd.empty:
        shown = crowd.assign(angry_interval=[f"{lo:.0%}–{hi:.0%}" for lo, hi in zip(crowd["angry_low"], crowd["angry_high"])])
        parts.append(f"<h3>{_w('people', lang)}</h3>" + _table(shown[["person", "team", "recordings", "hours", "angry_share",
                                                                       "angry_interval", "silences_per_call", "talk_share",
                                                                       "open_tickets"]], lang))
    parts.append(f"<h3>{_w('recordings', lang)}</h3>" + _table(_marked(recs, demo, lang), lang))
    parts.append(f"<h3>{_w('tickets', lang)}</h3>"
                 + _table(_marked(open_risks, demo, lang).drop(columns=["evidence"]), lang, rule_names=rule_names))
    if cmp is not None:  # the numbers behind the sentences of the summary, in words first
        won, lost = ("赢单", "丢单") if lang == "zh" else ("won", "lost")
        avg = "平均" if lang == "zh" else "average"
        shown = cmp.assign(strength=[_w(f"strength_{x}", lang) for x in strengths(cmp["significant"], cmp["cliffs_delta"])]) \
            if not cmp.empty else cmp
        shown = shown[[c for c in ("feature", "strength", "n_won", "n_lost", "mean_won", "mean_lost", "difference",
                                   "ci_low", "ci_high", "p_adjusted", "cliffs_delta") if c in shown.columns]]
        if not shown.empty:
            shown = shown.assign(feature=[feature_name(f, lang) for f in shown["feature"]])
        shown = shown.rename(columns={"n_won": f"n ({won})", "n_lost": f"n ({lost})", "mean_won": f"{avg} ({won})",
                                      "mean_lost": f"{avg} ({lost})", "p_adjusted": "p", "cliffs_delta": "δ"})
        parts.append(f"<h3>{_w('won_lost', lang)}</h3>" + _table(shown, lang, 12)
                     + f"<p class='muted'>{_w('stats_note', lang)}</p>")
    else:
        parts.append(f"<h3>{_w('won_lost', lang)}</h3><p class='muted'>{html.escape(cmp_error or '')}</p>")
    parts.append(f"<h3>{_w('stuck', lang)}</h3>" + _table(stuck_points(con, replace(flt, kinds=["class"])), lang))
    parts.append(extra)
    if not recs.empty:  # last: the newest recordings' mood, a row each (a year of rows was unreadable first)
        newest = set(recs["recording_id"].head(MOOD_ROWS))
        v = time_profile(con, flt, bins=10, value="valence")
        v = v[v["recording_id"].isin(newest)] if not v.empty else v
        if not v.empty:
            grid = v.assign(part=v["bin"] + 1).pivot_table(index="filename", columns="part", values="valence")
            fig = go.Figure(go.Heatmap(z=grid.to_numpy(dtype=float), x=list(grid.columns), y=list(grid.index),
                                       colorscale="RdYlGn", zmin=-1, zmax=1,
                                       colorbar={"title": {"text": _w("mood_scale", lang)}}))
            fig.update_layout(title=_w("mood_newest", lang, n=v["recording_id"].nunique()), height=120 + 18 * len(grid),
                              xaxis={"title": _w("part", lang), "dtick": 1}, yaxis={"automargin": True, "type": "category"},
                              autosize=True, margin={"l": 10, "r": 10})
            parts.append(fig.to_html(full_html=False, include_plotlyjs=False if figs else "inline", default_width="100%",
                                     config={"responsive": True, "displaylogo": False}))
    style = ("body{font-family:system-ui,'PingFang SC','Microsoft YaHei',sans-serif;margin:2em auto;max-width:1200px;"
             "padding:0 1em;color:#222}"
             ".wide{overflow-x:auto;max-width:100%}"
             "table{border-collapse:collapse;font-size:13px}td,th{padding:4px 8px;border-bottom:1px solid #ddd;"
             "text-align:left;white-space:nowrap}"
             ".muted{color:#777}.noise{background:#fde8e8;border:1px solid #d62728;padding:8px;color:#7a1010}")
    return (f"<!doctype html><html lang='{'zh-CN' if lang == 'zh' else 'en'}'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{html.escape(title)}</title>"
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>")


def add_report_arguments(p) -> None:
    """``toneboard report``'s options (the filter's are ``filters.add_arguments``)."""
    import os

    p.add_argument("--out", type=Path, required=True, help="HTML file to write")
    p.add_argument("--title", help="the report's title (default: 'toneboard report' in its language)")
    p.add_argument("--lang", choices=["en", "zh"], default=os.environ.get("TONEBOARD_LANG", "en"),
                   help="the report's language (default: $TONEBOARD_LANG, else en)")
