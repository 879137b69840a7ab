"""Tables as a manager reads them: human column labels in the chosen language, m:ss for moments
and lengths, percentages for shares, rounded figures, names not ids, and "–" where a value is
missing (never None / NaN / NaT). Only what is *shown* changes: the data behind a table (and its
CSV download, which keeps the field names and full precision for spreadsheets and scripts) is the
query's own."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from . import i18n

MISSING = "–"

# Column labels: (English, Chinese). A column not listed keeps its name (a metadata key a user chose).
COLUMNS: dict[str, tuple[str, str]] = {
    "filename": ("Recording", "录音"), "recording": ("Recording", "录音"), "path": ("File", "文件"),
    "kind": ("Kind", "类型"), "outcome": ("Outcome", "结果"), "recorded_at": ("Recorded", "录制时间"),
    "duration_s": ("Length", "时长"), "n_segments": ("Segments", "片段数"), "segments": ("Segments", "片段数"),
    "dominant_emotion": ("Main emotion", "主要情绪"), "angry_min": ("Angry speech (min)", "生气时长（分钟）"),
    "longest_pause_s": ("Longest pause", "最长停顿"), "talk_ratio_ch0": ("Talk share, channel 1", "声道 1 说话占比"),
    "n_speakers": ("Speakers", "说话人数"), "lead_talk_share": ("Agent / teacher talk share", "坐席/老师说话占比"),
    "longest_monologue_s": ("Longest monologue", "最长独白"), "switches_per_min": ("Speaker switches / min", "每分钟轮换"),
    "lead_response_s": ("Agent / teacher answers after", "坐席/老师应答时间"), "batch_id": ("Batch", "批次"),
    "batch": ("Batch", "批次"), "ticket_id": ("Ticket", "工单"), "status": ("Status", "状态"),
    "severity": ("Severity", "严重程度"), "rule_id": ("Rule id", "规则编号"), "rule_name": ("Rule", "规则"),
    "first_evidence_s": ("At", "位置"), "evidence": ("Evidence", "依据"), "created_at": ("Opened", "创建时间"),
    "status_changed_at": ("Status changed", "状态更新时间"), "status_changed_by": ("Changed by", "更新人"),
    "assignee": ("Assigned to", "负责人"), "comments": ("Comments", "备注数"), "course": ("Course", "课程"),
    "class": ("Class", "课次"), "at_s": ("At", "位置"), "silence_s": ("Silence", "沉默"), "coughed": ("Coughs", "有咳嗽"),
    "question": ("Question asked", "提出的问题"), "finding": ("Finding", "发现"), "detail": ("Detail", "详情"),
    "recordings": ("Recordings", "录音数"), "bgm": ("Background music", "背景音乐"), "noise": ("Noise", "噪声"),
    "stuck_points": ("Stuck points", "卡点数"), "role": ("Role", "角色"), "channel": ("Channel", "声道"),
    "talk_s": ("Talk time", "说话时长"), "talk_ratio": ("Talk share", "说话占比"), "turns": ("Turns", "发言次数"),
    "response_s": ("Answers after", "应答时间"), "overtalk_s": ("Talking over", "抢话时长"),
    "interruptions": ("Interruptions", "打断次数"), "questions": ("Questions", "提问数"),
    "questions_per_min": ("Questions / min", "每分钟提问"), "pause_s": ("Pauses", "停顿时长"),
    "happy_share": ("Happy", "开心占比"), "sad_share": ("Sad", "悲伤占比"), "angry_share": ("Angry", "生气占比"),
    "neutral_share": ("Neutral", "中性占比"), "other_share": ("Other emotions", "其他情绪占比"),
    "speaking_rate": ("Speaking rate (/s)", "语速（每秒）"), "loudness_dbfs": ("Loudness (dBFS)", "音量（dBFS）"),
    "valence_first": ("Mood at the start", "开头情绪值"), "valence_last": ("Mood at the end", "结尾情绪值"),
    "trajectory": ("Mood over the call", "情绪走向"), "feature": ("What", "指标"), "type": ("Type", "类别"),
    "measure": ("Measured as", "度量"), "difference": ("Difference", "差值"), "ci_low": ("Interval from", "区间下限"),
    "ci_high": ("Interval to", "区间上限"), "cliffs_delta": ("Effect size (Cliff's δ)", "效应量（Cliff δ）"),
    "p_value": ("p", "p 值"), "fisher_p": ("p (share)", "p 值（占比）"), "p_adjusted": ("p adjusted", "校正后 p 值"),
    "significant": ("Clear difference", "差异明显"), "small_n": ("Few recordings", "录音较少"),
    "cohort": ("Cohort", "分组"), "reaction": ("Reaction", "反应"), "mentions_with": ("Mentions followed by it", "之后出现的次数"),
    "mentions": ("Mentions", "提及次数"), "share": ("Share", "占比"), "seg_index": ("Segment", "片段"),
    "start_s": ("From", "开始"), "end_s": ("To", "结束"), "text": ("Said", "内容"),
    "response_gap_s": ("Answered after", "应答间隔"), "silence": ("Silence after", "之后沉默"),
    "emotions": ("Emotions after", "之后情绪"), "events": ("Events", "事件"), "bin": ("Part", "段"),
    "valence": ("Mood (−1 … 1)", "情绪值（−1…1）"), "speech_s": ("Speech", "语音时长"), "hour": ("Hour", "小时"),
    "weekday": ("Weekday", "星期"), "with_tag": ("With the tag", "含该标签"), "value": ("Value", "数值"),
    "tag": ("Tag", "标签"), "count": ("Times", "次数"), "speech_min": ("Speech (min)", "语音（分钟）"),
    "rate_per_min": ("Per minute", "每分钟"), "tag_a": ("Tag", "标签"), "tag_b": ("With tag", "共现标签"),
    "together": ("Segments with both", "同时出现的片段"), "emotion": ("Emotion", "情绪"),
    "emotion_confidence": ("Confidence", "置信度"), "corrected": ("Corrected", "已更正"), "pii": ("Personal data", "个人信息"),
    "model_emotion": ("Model said", "模型判断"), "language": ("Language", "语言"), "period": ("Period", "时段"),
    "group": ("Group", "分组"), "n": ("n", "n"), "stage": ("Failed at", "失败环节"), "reason": ("Why", "原因"),
    "failed_at": ("When", "时间"), "item": ("Item", "项目"), "rate_unit": ("Unit", "单位"),
    "call_id": ("Call", "通话"), "agent": ("Agent", "坐席"), "teacher": ("Teacher", "老师"), "team": ("Team", "团队"),
    "customer": ("Customer", "客户"), "student": ("Student", "学生"), "minutes": ("Minutes", "分钟"),
    "connected": ("Connected", "在线"), "recent_emotions": ("Customer's last emotions", "客户最近情绪"),
    "angry_recently": ("Angry lately", "最近生气次数"), "alerts": ("Alerts", "提醒数"), "latest_alert": ("Latest alert", "最新提醒"),
    "speaker": ("Speaker", "说话人"), "file": ("File", "文件"), "error": ("Error", "错误"),
}
# Moments in a recording and the lengths of recordings and turns: m:ss. Other seconds (pauses,
# answers, silences) are short and read as "1.2 s".
MMSS = {"duration_s", "first_evidence_s", "at_s", "start_s", "end_s", "talk_s", "longest_monologue_s", "speech_s"}
PERCENT = {"talk_ratio_ch0", "lead_talk_share", "talk_ratio", "happy_share", "sad_share", "angry_share",
           "neutral_share", "other_share", "share", "emotion_confidence", "share_won", "share_lost"}
ENUMS = {  # columns whose values are words of the product, named in the chosen language
    "kind": "kind", "outcome": "outcome", "role": "role", "status": "status", "severity": "severity",
    "dominant_emotion": "tag", "emotion": "tag", "model_emotion": "tag", "tag": "tag", "tag_a": "tag", "tag_b": "tag",
    "reaction": "tag", "trajectory": "trajectory", "type": "type", "stage": "stage", "feature": "feature",
    "recent_emotions": "tags",
}
HIDDEN = {"recording_id", "ticket_id"}  # kept behind the table (a click opens it), never shown: a name is beside it
SHORT_IDS = {"batch_id"}


def label(column: str, lang: str) -> str:
    en, zh = COLUMNS.get(column, (None, None))
    if en is None:
        return i18n.meta_key_name(column, lang)
    return zh if lang == "zh" else en


def value_name(kind: str, value, lang: str) -> str:
    """A value of an enumerated column in the chosen language."""
    if value is None or (isinstance(value, float) and value != value):
        return MISSING
    v = str(value)
    if kind == "tag":
        return i18n.tag_name(v, lang)
    if kind == "tags":
        return " ".join(i18n.tag_name(x, lang) for x in v.split())
    if kind == "role":
        return i18n.role_name(v, lang)
    if kind == "feature":
        return i18n.feature_name(v, lang)
    return i18n.value_name(kind, v, lang)


def _seconds(v: float, lang: str) -> str:
    return f"{v:.1f} 秒" if lang == "zh" else f"{v:.1f} s"


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
            out[c] = [MISSING if pd.isna(v) else str(v)[:8] for v in s]
            config[c] = st.column_config.TextColumn(name)
        elif c == "rule_name" and rule_names:
            ids = out["rule_id"] if "rule_id" in out else [None] * len(out)
            out[c] = [rule_names.get(i, v) for i, v in zip(ids, s)]
            config[c] = st.column_config.TextColumn(name)
        elif c in ENUMS:
            out[c] = [value_name(ENUMS[c], v, lang) for v in s]
            config[c] = st.column_config.TextColumn(name)
        elif c in MMSS:
            out[c] = [mmss(v) for v in s]
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
                      ", ".join(i18n.tag_name(str(x), lang) for x in v) for v in s]
            config[c] = st.column_config.TextColumn(name)
        else:
            config[c] = st.column_config.TextColumn(name)
    return out, config


def mmss(seconds) -> str:
    """Seconds as m:ss (h:mm:ss from an hour), as people read durations."""
    if seconds is None or seconds != seconds:
        return MISSING
    s = int(round(float(seconds)))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def draw(df: pd.DataFrame, lang: str, rule_names: dict | None = None, **kw):
    """st.dataframe of ``df`` as a manager reads it (``kw`` as for st.dataframe)."""
    out, config = shown(df, lang, rule_names)
    config.update(kw.pop("column_config", {}) or {})
    return st.dataframe(out, width="stretch", hide_index=True, column_config=config, placeholder=MISSING, **kw)
