"""Tables as a manager reads them: human column labels in the chosen language, m:ss for moments
and lengths, percentages for shares, rounded figures, names not ids, and "–" where a value is
missing (never None / NaN / NaT). Only what is *shown* changes: the data behind a table (and its
CSV download, which keeps the field names and full precision for spreadsheets and scripts) is the
query's own."""
from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from analytics.words import ENUMS, MISSING, MMSS, PERCENT, cell_name, label, mmss, mmss_series, tag_name

HIDDEN = {"recording_id", "ticket_id"}  # kept behind the table (a click opens it), never shown: a name is beside it
SHORT_IDS = {"batch_id"}
MAX_SHOWN = 2000  # rows drawn; sending 20,000 rows to the browser took most of a second


def each_distinct(s: pd.Series, fn) -> pd.Series:
    """``fn`` of each value, computed once per distinct value ("–" where missing)."""
    keep = s.notna()
    out = pd.Series(MISSING, index=s.index, dtype=object)
    if keep.any():
        vals = s[keep].astype(object)
        names = {v: fn(v) for v in pd.unique(vals.to_numpy())}
        out[keep] = vals.map(names)
    return out


def evidence_text(raw) -> str:
    """A ticket's evidence (JSON spans) as the moments it points at: 0:10–0:12 · 0:15–0:16 (+3)."""
    try:
        spans = json.loads(raw) if isinstance(raw, str) else list(raw)
    except (ValueError, TypeError):
        return str(raw)
    parts = [f"{mmss(x.get('start_s'))}–{mmss(x.get('end_s'))}" for x in spans[:3] if isinstance(x, dict)]
    return " · ".join(parts) + (f" (+{len(spans) - 3})" if len(spans) > 3 else "") if parts else MISSING


def shown(df: pd.DataFrame, lang: str, rule_names: dict | None = None) -> tuple[pd.DataFrame, dict]:
    """The frame to draw and its column configuration (labels and formats)."""
    out = df.copy()
    config: dict = {}
    for c in out.columns:
        s = out[c]
        name = label(c, lang)
        if c in HIDDEN:
            config[c] = None
        elif c in SHORT_IDS:
            out[c] = each_distinct(s, lambda v: str(v)[:8])
            config[c] = st.column_config.TextColumn(name)
        elif c == "rule_id" and "rule_name" in out:
            config[c] = None  # the rule's name is beside it
        elif c == "rule_name" and rule_names:
            ids = out["rule_id"] if "rule_id" in out else [None] * len(out)
            out[c] = [rule_names.get(i, v) for i, v in zip(ids, s)]
            config[c] = st.column_config.TextColumn(name)
        elif c == "evidence":
            out[c] = each_distinct(s, evidence_text)
            config[c] = st.column_config.TextColumn(name)
        elif c in ENUMS:
            out[c] = each_distinct(s, lambda v, kind=ENUMS[c]: cell_name(kind, v, lang))
            config[c] = st.column_config.TextColumn(name)
        elif c in MMSS:
            out[c] = mmss_series(s)
            config[c] = st.column_config.TextColumn(name)
        elif pd.api.types.is_bool_dtype(s):
            config[c] = st.column_config.CheckboxColumn(name)
        elif pd.api.types.is_datetime64_any_dtype(s):
            config[c] = st.column_config.DatetimeColumn(name, format="YYYY-MM-DD HH:mm")
        elif c in PERCENT:
            out[c] = s * 100
            config[c] = st.column_config.NumberColumn(name, format="%.0f%%")
        elif pd.api.types.is_float_dtype(s) and c.endswith("_s"):
            config[c] = st.column_config.NumberColumn(name, format="%.1f 秒" if lang == "zh" else "%.1f s")
        elif pd.api.types.is_float_dtype(s):
            config[c] = st.column_config.NumberColumn(name, format="%.3g" if c.startswith("p_") or c.endswith("_p")
                                                      else "%.2f")
        elif pd.api.types.is_numeric_dtype(s):
            config[c] = st.column_config.NumberColumn(name, format="%d")
        elif s.dtype == object and len(s) and isinstance(s.dropna().iloc[0] if s.notna().any() else None, (list, tuple)):
            out[c] = [MISSING if not isinstance(v, (list, tuple)) or not len(v) else
                      ", ".join(tag_name(str(x), lang) for x in v) for v in s]
            config[c] = st.column_config.TextColumn(name)
        else:
            config[c] = st.column_config.TextColumn(name)
    return out, config


def draw(df: pd.DataFrame, lang: str, rule_names: dict | None = None, **kw):
    """st.dataframe of ``df`` as a manager reads it (``kw`` as for st.dataframe); the first
    MAX_SHOWN rows of a longer one (the page says so; its CSV has them all)."""
    if len(df) > MAX_SHOWN:
        st.caption(("只显示前 {n:,} 行（共 {total:,} 行）：CSV 下载包含全部。" if lang == "zh" else
                    "The first {n:,} of {total:,} rows: the CSV download has them all.").format(n=MAX_SHOWN, total=len(df)))
        df = df.head(MAX_SHOWN)
    out, config = shown(df, lang, rule_names)
    config.update(kw.pop("column_config", {}) or {})
    return st.dataframe(out, width="stretch", hide_index=True, column_config=config, placeholder=MISSING, **kw)
