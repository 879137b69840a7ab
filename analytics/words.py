"""The product's own words in English and Chinese — emotion, event and role names, kinds, outcomes,
statuses, metadata keys, column labels — and one colour per emotion: the one source the dashboard,
the HTML report and the command line name things from. Pure Python (no Streamlit)."""
from __future__ import annotations

MISSING = "–"  # shown where a value is missing (never None / NaN / NaT)

EMOTION_COLORS = {  # the same on every chart
    "HAPPY": "#2ca02c", "NEUTRAL": "#b0b0b0", "SAD": "#1f77b4", "ANGRY": "#d62728",
    "FEARFUL": "#9467bd", "DISGUSTED": "#8c564b", "SURPRISED": "#ff7f0e", "UNKNOWN": "#e0e0e0",
}
EMOTION_NAMES = {
    "zh": {"HAPPY": "开心", "NEUTRAL": "中性", "SAD": "悲伤", "ANGRY": "生气", "FEARFUL": "害怕",
           "DISGUSTED": "厌恶", "SURPRISED": "惊讶", "UNKNOWN": "未知",
           "OTHER": "其他情绪"},  # OTHER: emotion2vec+'s (a second opinion), not SenseVoice's
    "en": {},
}


ROLE_NAMES = {"zh": {"agent": "坐席", "customer": "客户", "teacher": "老师", "student": "学生", "seller": "销售",
                    "mixed": "混合", "all": "所有人"}, "en": {"all": "everyone"}}
ROLE_SOURCES = {  # why a speaker has their role (speakers.role_source)
    "en": {"manifest": "the manifest", "voiceprint": "a voiceprint match", "opening": "an opening line",
           "dominant": "speaks most", "first": "speaks first", "other": "the other speaker",
           "channel": "the channel", "single": "one speaker"},
    "zh": {"manifest": "清单指定", "voiceprint": "声纹匹配", "opening": "开场白", "dominant": "说话最多",
           "first": "最先说话", "other": "另一方", "channel": "声道", "single": "单一说话人"},
}


EVENT_NAMES = {"zh": {"LAUGHTER": "笑声", "APPLAUSE": "掌声", "BGM": "背景音乐", "COUGH": "咳嗽", "CRY": "哭声",
                      "SNEEZE": "喷嚏", "BREATH": "呼吸声", "SING": "唱歌", "SPEECH_NOISE": "噪声"},
               "en": {"LAUGHTER": "laughs", "APPLAUSE": "applause", "BGM": "background music", "COUGH": "coughs",
                      "CRY": "crying", "SNEEZE": "sneezes", "BREATH": "breaths", "SING": "singing",
                      "SPEECH_NOISE": "noise"}}
SIGNAL_NAMES = {  # compare's signals: (en, zh, unit)
    "loudness_dbfs": ("loudness", "音量", "dBFS"), "speaking_rate": ("speaking rate", "语速", "/s"),
    "pauses_per_min": ("pauses a minute", "每分钟停顿", ""), "longest_pause_s": ("longest pause", "最长停顿", "s"),
    "speech_share": ("share with speech", "有语音的占比", "%"), "talk_share": ("talk share", "说话占比", "%"),
    "longest_monologue_s": ("longest monologue", "最长独白", "s"),
    "switches_per_min": ("speaker switches a minute", "每分钟轮换", ""),
    "response_s": ("time before anyone answers", "任何一方应答前的间隔", "s"), "questions_per_min": ("questions a minute", "每分钟提问", ""),
}


def feature_name(feature: str, lang: str = "en", role: str | None = None) -> str:
    """A compare feature as a manager reads it: 'laughs a minute', '每分钟笑声', 'time before anyone
    answers'; with ``role`` (the speaker measured), whose: 'time before the agent answers'."""
    if feature == "response_s" and role:  # whose answer (without a role: anyone's, as SIGNAL_NAMES says)
        return f"{role_name(role, lang)}应答前的间隔" if lang == "zh" else f"time before the {role} answers"
    if feature in SIGNAL_NAMES:
        en, zh, _ = SIGNAL_NAMES[feature]
    else:
        name = EVENT_NAMES.get(lang, {}).get(feature) or EMOTION_NAMES.get(lang, {}).get(feature) or \
            EVENT_NAMES["en"].get(feature) or f"{feature.lower()} moments"
        en, zh = f"{name} a minute", f"每分钟{name}"
    if role and feature != "switches_per_min":  # measured on the role's segments only
        return f"{role_name(role, lang)}的{zh}" if lang == "zh" else f"{en} ({role_name(role, lang)})"
    return zh if lang == "zh" else en


def feature_value(feature: str, v: float, lang: str = "en") -> str:
    if v != v:
        return "–"
    unit = SIGNAL_NAMES.get(feature, ("", "", ""))[2]
    if unit == "%":
        return f"{v:.0%}"
    if feature not in SIGNAL_NAMES and v == 0:
        return "无" if lang == "zh" else "none"
    return f"{v:.2g}{' ' + unit if unit and unit != '/s' else unit}"


def role_name(role: str, lang: str = "en") -> str:
    return ROLE_NAMES.get(lang, {}).get(role, role)


def role_source(source: str, lang: str = "en") -> str:
    return ROLE_SOURCES.get(lang, ROLE_SOURCES["en"]).get(source, source)


def emotion_name(emotion: str, lang: str = "en") -> str:
    return EMOTION_NAMES.get(lang, {}).get(emotion, emotion)


META_KEYS = {"zh": {"agent": "坐席", "teacher": "老师", "team": "团队", "course": "课程", "class": "课次",
                    "customer": "客户", "student": "学生", "store": "门店", "region": "区域", "campaign": "活动",
                    "product": "产品", "channel": "渠道", "language": "语言", "original_name": "原文件名"},
             "en": {}}
VALUES = {  # enumerated values of the product (kinds, outcomes, statuses …) in Chinese; English keeps the word
    "kind": {"service": "客服", "sales": "销售", "class": "课堂", "other": "其他", "live": "实时"},
    "outcome": {"won": "赢单", "lost": "丢单", "open": "未定"},
    "status": {"open": "待处理", "acknowledged": "已确认", "resolved": "已解决", "ingested": "已导入",
               "skipped": "已跳过", "failed": "失败"},
    "severity": {"high": "高", "medium": "中", "low": "低"},
    "trajectory": {"improving": "好转", "worsening": "变差", "steady": "平稳", "unknown": "–"},
    "type": {"tag": "标签", "signal": "信号"},
    "item": {"segment": "语音片段", "pause": "停顿"},
    "rule_type": {"risk": "风险", "opportunity": "机会", "info": "信息"},
    "language": {"zh": "中文", "en": "英语", "yue": "粤语", "ja": "日语", "ko": "韩语", "nospeech": "无语音"},
    "why": {"fatal": "一票否决", "low": "低于合格线", "sample": "随机抽检"},
    "state": {"acknowledge": "已确认", "dispute": "申诉中", "accept": "申诉通过", "reject": "申诉驳回"},
    "stage": {"decode": "解码", "vad": "语音检测", "recognize": "识别", "parse": "解析", "signals": "信号",
              "store": "保存", "probe": "读取"},
}
VALUES_EN = {  # the few values whose stored word reads badly in English
    "why": {"fatal": "auto-fail", "low": "below the pass mark", "sample": "random sample"},
    "state": {"acknowledge": "acknowledged", "dispute": "disputed", "accept": "accepted", "reject": "rejected"},
}
TAG_EXTRA = {"zh": {"SILENCE": "沉默", "SILENCE>2s": "沉默 >2 秒", "SPEECH": "语音"}, "en": {}}


def tag_name(tag: str, lang: str = "en") -> str:
    """An emotion, event or silence tag in the chosen language (English keeps SenseVoice's own tag)."""
    if lang != "zh":
        return tag
    return EMOTION_NAMES["zh"].get(tag) or EVENT_NAMES["zh"].get(tag) or TAG_EXTRA["zh"].get(tag, tag)


def meta_key_name(key: str, lang: str = "en") -> str:
    """A metadata key as a heading: the product's own keys (agent, team, course …) in Chinese."""
    return META_KEYS.get(lang, {}).get(key, key)


def value_name(kind: str, value: str, lang: str = "en") -> str:
    """A value of the product's own vocabulary (``kind``: kind, outcome, status, severity …)."""
    return (VALUES if lang == "zh" else VALUES_EN).get(kind, {}).get(value, value)


def meta_key_of(name: str) -> str:
    """The metadata key a name stands for: 坐席 → agent (a key in any other form is kept as given)."""
    return next((k for k, zh in META_KEYS["zh"].items() if zh == name), name)


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
    "files": ("Classes", "涉及课堂"),
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
    "failed_at": ("When", "时间"), "item": ("Item", "项目"), "rule_type": ("Ticket type", "工单类型"),
    "person": ("Name", "姓名"), "hours": ("Hours", "时长（小时）"), "angry_interval": ("95 % interval", "95% 区间"),
    "silences_per_call": ("Silences ≥ 5 s per call", "每通 ≥5 秒沉默"), "talk_share": ("Their talk share", "本人说话占比"),
    "open_tickets": ("Open tickets", "待处理工单"), "strength": ("How clear", "差异程度"), "rate_unit": ("Unit", "单位"),
    "call_id": ("Call", "通话"), "agent": ("Agent", "坐席"), "teacher": ("Teacher", "老师"), "team": ("Team", "团队"),
    "customer": ("Customer", "客户"), "student": ("Student", "学生"), "minutes": ("Minutes", "分钟"),
    "connected": ("Connected", "在线"), "recent_emotions": ("Customer's last emotions", "客户最近情绪"),
    "angry_recently": ("Angry lately", "最近生气次数"), "alerts": ("Alerts", "提醒数"), "latest_alert": ("Latest alert", "最新提醒"),
    "speaker": ("Speaker", "说话人"), "file": ("File", "文件"), "error": ("Error", "错误"),
    "pitch_hz": ("Pitch (Hz)", "音高（赫兹）"), "pitch_change_st": ("Pitch vs their start (semitones)", "音高较开头（半音）"),
    "loudness_change_db": ("Loudness vs their start (dB)", "音量较开头（分贝）"), "raised_voice": ("Raised voice", "声音升高"),
    "second_emotion": ("Second model heard", "第二个模型判断"),
    "overlap_s": ("Spoken over (s)", "同时说话（秒）"), "overlap": ("Both at once", "双方同时说话"),
    "second_emotion_confidence": ("Second model's p", "第二个模型概率"),
    "login": ("Login", "登录名"), "account_role": ("Role", "角色"), "scope": ("Sees", "可见范围"),
    "own_recordings": ("Their own recordings", "本人录音"), "disabled": ("Disabled", "已停用"),
    "changed_at": ("Changed", "更改时间"), "changed_by": ("Changed by", "更改人"), "happened_at": ("When", "时间"),
    "action": ("What", "操作"), "recording_id": ("Recording id", "录音编号"), "address": ("Address", "地址"),
    # quality forms (analytics.qa)
    "form_id": ("Form", "评分表"), "score": ("Score", "得分"), "failed_fatal": ("Auto-fail", "一票否决"),
    "missed": ("Items missed", "未达标项"), "waiting": ("Waiting for a person", "待人工评分"),
    "reviewed_items": ("Items reviewed", "已复核项"), "why": ("Why in the queue", "入队原因"), "calls": ("Calls", "通话数"),
    "pass_rate": ("Passed", "合格率"), "fatal": ("Auto-fails", "一票否决数"), "answered": ("Answered", "已评"),
    "miss_rate": ("Missed", "未达标率"), "missed_reviewed": ("Missed, confirmed by a person", "经人工确认的未达标"),
    "agreement": ("Reviewers agree", "评分员一致率"), "kappa": ("Kappa", "Kappa 系数"), "kappa_method": ("Kappa by", "Kappa 方法"),
    "machine_match": ("Machine matches reviewers", "自动判定一致率"), "machine_calls": ("Calls compared", "比较通话数"),
    "state": ("State", "状态"), "raised_by": ("Raised by", "提出人"), "raised_at": ("Raised", "提出时间"),
    "decided_by": ("Decided by", "处理人"), "decided_at": ("Decided", "处理时间"), "decision_reason": ("Decision", "处理意见"),
    "round": ("Round", "校准轮次"), "reviewers": ("Reviewers", "评分员数"), "created_by": ("Made by", "创建人"),
    "answer_from": ("From", "原答案"), "answer_to": ("To", "新答案"), "comment": ("Comment", "备注"),
    "week": ("Week", "周"), "grp": ("Who", "对象"),
}
# Moments in a recording and the lengths of recordings and turns: m:ss. Other seconds (pauses,
# answers, silences) are short and read as "1.2 s".
MMSS = {"duration_s", "first_evidence_s", "at_s", "start_s", "end_s", "talk_s", "longest_monologue_s", "speech_s"}
PERCENT = {"talk_ratio_ch0", "lead_talk_share", "talk_ratio", "happy_share", "sad_share", "angry_share",
           "neutral_share", "other_share", "share", "emotion_confidence", "second_emotion_confidence", "share_won", "share_lost", "talk_share",
           "pass_rate", "miss_rate", "agreement", "machine_match"}
ENUMS = {  # columns whose values are words of the product, named in the chosen language
    "kind": "kind", "outcome": "outcome", "role": "role", "status": "status", "severity": "severity",
    "dominant_emotion": "tag", "emotion": "tag", "model_emotion": "tag", "second_emotion": "tag", "tag": "tag", "tag_a": "tag", "tag_b": "tag",
    "reaction": "tag", "trajectory": "trajectory", "type": "type", "stage": "stage", "feature": "feature",
    "recent_emotions": "tags", "item": "item", "rule_type": "rule_type", "language": "language", "why": "why", "state": "state",
}

def cell_name(kind: str, value, lang: str = "en") -> str:
    """A value of an enumerated column in the chosen language."""
    if value is None or (isinstance(value, float) and value != value):
        return MISSING
    v = str(value)
    if kind == "tag":
        return tag_name(v, lang)
    if kind == "tags":
        return " ".join(tag_name(x, lang) for x in v.split())
    if kind == "role":
        return role_name(v, lang)
    if kind == "feature":
        return feature_name(v, lang)
    return value_name(kind, v, lang)


def label(column: str, lang: str = "en") -> str:
    """A column's label; a column not listed is a metadata key a user chose (named if it is one of ours)."""
    en, zh = COLUMNS.get(column, (None, None))
    if en is None:
        return meta_key_name(column, lang)
    return zh if lang == "zh" else en


def mmss(seconds) -> str:
    """Seconds as m:ss (h:mm:ss from an hour), as people read durations; "–" where missing."""
    if seconds is None or seconds != seconds:
        return MISSING
    s = int(round(float(seconds)))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def mmss_series(s):
    """``mmss`` of a whole column at once (20,000 values in milliseconds, not a Python call each)."""
    import numpy as np
    import pandas as pd

    secs = pd.to_numeric(pd.Series(s), errors="coerce").round()
    out = pd.Series(MISSING, index=secs.index, dtype=object)
    ok = secs.notna()
    if ok.any():
        x = secs[ok].astype("int64")
        sec = (x % 60).astype(str).str.zfill(2)
        short = (x // 60).astype(str) + ":" + sec
        long = (x // 3600).astype(str) + ":" + (x % 3600 // 60).astype(str).str.zfill(2) + ":" + sec
        out[ok] = np.where(x >= 3600, long, short)
    return out
