"""The dashboard's sentences in English and Chinese: ``t(key)`` in the language chosen in the
sidebar. The product's own words (tags, roles, kinds, column labels …) and the emotion colours are
in analytics/words.py, shared with the HTML report; they are re-exported here for the pages."""
from __future__ import annotations

import re

from analytics.words import (  # noqa: F401 - the pages' one import for words
    EMOTION_COLORS,
    EVENT_NAMES,
    emotion_name,
    feature_name,
    feature_value,
    meta_key_name,
    meta_key_of,
    role_name,
    role_source,
    tag_name,
    value_name,
)
from dashboard.i18n_access import ACCESS_STRINGS
from dashboard.i18n_pages import PAGE_STRINGS
from dashboard.i18n_qa import QA_STRINGS
from dashboard.i18n_talk import TALK_STRINGS

STRINGS: dict[str, dict[str, str]] = {
    "app_title": {"en": "toneboard", "zh": "toneboard 语气看板"},
    "language": {"en": "Language / 语言", "zh": "Language / 语言"},
    "overview": {"en": "Overview", "zh": "概览"},
    "upload": {"en": "Upload", "zh": "上传"},
    "sessions": {"en": "Sessions", "zh": "会话"},
    "timeline": {"en": "Timeline", "zh": "时间线"},
    "heatmaps": {"en": "Heatmaps", "zh": "热力图"},
    "compare": {"en": "Compare", "zh": "对比"},
    "risk": {"en": "Risk queue", "zh": "风险工单"},
    "classroom": {"en": "Classroom", "zh": "课堂"},
    "live": {"en": "Live calls", "zh": "实时通话"},
    "live_help": {"en": "Calls in progress on `toneboard live`; refreshes every 2 s. Finished calls appear on every other page.",
                  "zh": "`toneboard live` 上正在进行的通话，每 2 秒刷新；结束的通话会出现在其他所有页面。"},
    "live_none": {"en": "No call in progress. Start `toneboard live`, then stream a call (e.g. `toneboard live-send call.wav`).",
                  "zh": "当前没有进行中的通话。先启动 `toneboard live`，再推送通话（例如 `toneboard live-send call.wav`）。"},
    "live_supervisor": {"en": "All calls (alerts first)", "zh": "全部通话（有提醒的在前）"},
    "live_dropped": {"en": "Connection dropped: waiting for the call to reconnect, then it is stored.",
                     "zh": "连接已断开：等待通话重连，之后保存。"},
    "export": {"en": "Export", "zh": "导出"},
    "filters": {"en": "Filters", "zh": "筛选"},
    "since": {"en": "Since (e.g. 24h, 7d, 2026-11-01)", "zh": "起始(如 24h、7d、2026-11-01)"},
    "kind": {"en": "Kind", "zh": "类型"},
    "outcome": {"en": "Outcome", "zh": "结果"},
    "lang_filter": {"en": "Spoken language", "zh": "说话语言"},
    "role": {"en": "Role", "zh": "角色"},
    "tags": {"en": "Has tag", "zh": "包含标签"},
    "text": {"en": "Transcript contains", "zh": "转写包含"},
    "meta": {"en": "Metadata", "zh": "元数据"},
    "meta_input": {"en": "Metadata (key=value, key=value)", "zh": "元数据（名称=值，多个用逗号分隔）"},
    "meta_example": {"en": "e.g. agent=Li, team=Shenzhen", "zh": "例如：坐席=王芳, 团队=深圳"},
    "meta_bad": {"en": "Metadata: write key=value pairs separated by commas (e.g. agent=Li, team=Shenzhen).",
                 "zh": "元数据：请写成“名称=值”，多个用逗号分隔（例如：坐席=王芳, 团队=深圳）。"},
    "url_ignored": {"en": "Not in this data, so left out of the filters: {what}", "zh": "数据中没有，已从筛选中略去：{what}"},
    "first_run": {"en": "No recordings yet", "zh": "还没有录音"},
    "first_run_body": {
        "en": "Upload recordings on the **Upload** page, run `toneboard ingest FOLDER`, or load demo data to look around.",
        "zh": "在**上传**页上传录音,或运行 `toneboard ingest 文件夹`,也可以先加载演示数据看看。"},
    "load_demo": {"en": "Load demo data", "zh": "加载演示数据"},
    "remove_demo": {"en": "Remove demo data", "zh": "删除演示数据"},
    "demo_banner": {"en": "Demo data: {n} synthetic recordings (no audio). Remove them on the Overview page.",
                    "zh": "演示数据:{n} 条合成录音(无音频)。可在概览页删除。"},
    "recordings": {"en": "Recordings", "zh": "录音"},
    "audio_hours": {"en": "Audio hours", "zh": "音频小时"},
    "segments": {"en": "Segments", "zh": "语音片段"},
    "errors": {"en": "Files that failed", "zh": "失败文件"},
    "n_note": {"en": "n = {n} recordings", "zh": "n = {n} 条录音"},
    "all_sessions": {"en": "Every session (CSV)", "zh": "全部会话（CSV）"},
    "sessions_shown": {"en": "Showing the newest {shown:,} of {n:,} recordings: narrow the filters to see others; "
                             "the CSV below the table holds them all.",
                       "zh": "显示最新的 {shown:,} 条（共 {n:,} 条录音）：收窄筛选条件可查看其他录音；表格下方的 CSV 包含全部。"},
    "rows_shown": {"en": "The newest {shown:,} of {n:,} rows: the CSV below the table holds every one.",
                   "zh": "最新的 {shown:,} 行（共 {n:,} 行）：表格下方的 CSV 包含全部。"},
    "metrics_shown": {"en": "The newest {shown:,} of {n:,} recordings: the CSV below the table holds every one.",
                      "zh": "最新的 {shown:,} 条录音（共 {n:,} 条）：表格下方的 CSV 包含全部。"},
    "mentions_shown": {"en": "The newest {shown:,} of {n:,} mentions (the summary counts them all): "
                             "`toneboard export mentions` writes every one.",
                       "zh": "最新的 {shown:,} 次提及（共 {n:,} 次；上方汇总已全部计入）：`toneboard export mentions` 可导出全部。"},
    "few_note": {"en": "few recordings: rates are uncertain", "zh": "录音较少:比率不确定"},
    "no_match": {"en": "Nothing matches these filters.", "zh": "没有符合筛选条件的结果。"},
    "download_csv": {"en": "Download CSV", "zh": "下载 CSV"},
    "open_timeline": {"en": "Open timeline of", "zh": "打开时间线:"},
    "recording": {"en": "Recording", "zh": "录音"},
    "transcript": {"en": "Tagged transcript", "zh": "带标签的转写"},
    "no_audio": {"en": "No audio for this recording (demo data, or the file moved).",
                 "zh": "此录音没有音频(演示数据,或文件已移动)。"},
    "segment": {"en": "Segment", "zh": "片段"},
    "correct": {"en": "Correct this segment", "zh": "更正此片段"},
    "emotion": {"en": "Emotion", "zh": "情绪"},
    "events": {"en": "Events", "zh": "事件"},
    "save": {"en": "Save", "zh": "保存"},
    "saved": {"en": "Saved.", "zh": "已保存。"},
    "speakers_title": {"en": "Who spoke", "zh": "谁在说话"},
    "speakers_help": {"en": "Speakers told apart by voice. Wrong? Swap the roles, or name a speaker; every analysis uses the correction.",
                      "zh": "按声音区分的说话人。不对？可交换角色或为说话人命名；所有分析都会使用更正。"},
    "speaker_line": {"en": "**{s}** · {role} · {name} · {talk} · {n} segments · role: {source}",
                     "zh": "**{s}** · {role} · {name} · {talk} · {n} 个片段 · 角色来源：{source}"},
    "unnamed": {"en": "unnamed", "zh": "未命名"},
    # why the speakers were counted so (ingest.speakers.count.REASONS); {n} speakers, {sep}: voice separation
    "count_given": {"en": "{n} speakers: the count was given at ingest.", "zh": "{n} 位说话人：导入时指定了人数。"},
    "count_voices": {"en": "{n} speakers: clearly different voices (voice separation {sep}; one voice scores under 0.8).",
                     "zh": "{n} 位说话人：声音明显不同（声音区分度 {sep}；同一个声音低于 0.8）。"},
    "count_one_voice": {"en": "1 speaker: one voice throughout (voice separation {sep}; two voices score 0.85 or more).",
                        "zh": "1 位说话人：自始至终是同一个声音（声音区分度 {sep}；两个声音在 0.85 以上）。"},
    "count_two_party": {"en": "{n} speakers: a call between two parties, and nothing shows only one voice "
                              "(the voices are alike: separation {sep}).",
                        "zh": "{n} 位说话人：双方通话，没有迹象表明只有一个声音（声音相近：区分度 {sep}）。"},
    "count_little_speech": {"en": "1 speaker: too little speech to tell voices apart.",
                            "zh": "1 位说话人：语音太少，无法区分声音。"},
    "swap_roles": {"en": "Swap the roles", "zh": "交换角色"},
    "fix_speaker": {"en": "Speaker", "zh": "说话人"},
    "speaker_role": {"en": "Role (agent, customer, teacher, student …)", "zh": "角色（agent、customer、teacher、student…）"},
    "speaker_name": {"en": "This speaker is …", "zh": "此说话人是…"},
    "remember_voice": {"en": "Remember this voice (a voiceprint: names this person in new recordings)",
                       "zh": "记住此声音（声纹：在新录音中识别此人）"},
    "voice_saved": {"en": "Voiceprint of {name} saved ({s:.0f} s of speech).", "zh": "已保存 {name} 的声纹（{s:.0f} 秒语音）。"},
    "accuracy": {"en": "Accuracy", "zh": "准确率"},
    "accuracy_model": {"en": "Model accuracy on your data", "zh": "模型在您数据上的准确率"},
    "accuracy_few": {"en": "Not enough corrections yet to say how accurate the model is: {n} corrected segments "
                            "(at least {min} are needed). With these, its accuracy is somewhere between {lo} and {hi}.",
                     "zh": "更正还不够，暂时无法判断模型准确率：已更正 {n} 个片段（至少需要 {min} 个）。"
                           "按现有更正，准确率在 {lo} 到 {hi} 之间。"},
    "accuracy_n": {"en": "n = {n} corrected segments · 95 % interval {lo}–{hi}", "zh": "n = {n} 个已更正片段 · 95% 区间 {lo}–{hi}"},
    "confusion": {"en": "Your corrections (rows) against what the model said (columns)", "zh": "您的更正（行）与模型判断（列）"},
    "accuracy_none": {"en": "No corrections yet: correct segments on the Timeline page to measure it.",
                      "zh": "还没有更正:在时间线页更正片段即可评估。"},
    # how sure the model was of a tag (analytics.confidence); {rule}: thresholds_rule
    "weak_tags": {"en": "Faded, hatched bars: the model was less sure of that emotion than your team's threshold ({rule}); such a tag "
                        "does not count in rules or live alerts. Hover a segment to see how sure it was.",
                  "zh": "淡色斜纹条：模型对该情绪的把握低于团队设定的阈值（{rule}）；这样的标签不计入规则和实时提醒。"
                        "将鼠标悬停在片段上可查看把握程度。"},
    "thresholds_rule": {"en": "a tag counts from p ≥ {default}{others}", "zh": "标签在 p ≥ {default} 时计入{others}"},
    "thresholds_other": {"en": "; {tags}", "zh": "；{tags}"},
    "how_sure": {"en": "{tag}: p = {p}{alt}", "zh": "{tag}：p = {p}{alt}"},
    "how_alt": {"en": " (next: {tag} {p})", "zh": "（其次：{tag} {p}）"},
    "how_weak": {"en": " · under the threshold {t}: not counted", "zh": " · 低于阈值 {t}：不计入"},
    "how_corrected": {"en": "set by a person", "zh": "由人工设定"},
    "second_opinion": {"en": "A second model (emotion2vec+) heard {n} of these segments again and named another emotion "
                             "for {d}: those tags are uncertain (faded) and not counted. Hover over a segment for both.",
                       "zh": "第二个情绪模型复核了其中 {n} 个片段，{d} 个判断不同：这些标签不确定（淡色显示），不计入统计。"
                             "将鼠标悬停在片段上可查看两个模型的判断。"},
    "how_overlap": {"en": "<br>the other party spoke at the same time for {s} s", "zh": "<br>与对方同时说话 {s} 秒"},
    "overlap_note": {"en": "Outlined bars: both parties talked at once for most of that segment ({n}). Talking at the same "
                           "time ({s} s in all) counts for neither party's talk share: it is overtalk.",
                     "zh": "加框的条：该片段大部分时间双方同时说话（{n} 个）。同时说话的时间（共 {s} 秒）不计入任何一方的"
                           "说话占比，计为抢话。"},
    "second_opinion_ask": {"en": "Ask a second model about the emotions (slower)", "zh": "请第二个模型复核情绪（较慢）"},
    "second_opinion_help": {"en": "emotion2vec+ hears again every segment tagged with an emotion; where it hears another "
                                  "emotion, the tag is uncertain and not counted. It adds up to 2.6 times the analysis "
                                  "time and needs the model (from the model hub, or TONEBOARD_EMOTION2VEC=DIR).",
                            "zh": "由 emotion2vec+ 复核每个带情绪标签的片段；判断不同时，该标签视为不确定，不计入统计。"
                                  "最多增加 2.6 倍分析时间，需要该模型（从模型库下载，或设置 TONEBOARD_EMOTION2VEC=目录）。"},
    "how_second": {"en": " · the second model (emotion2vec+) heard {tag} ({p})", "zh": " · 第二个模型判断为 {tag}（{p}）"},
    "how_disputed": {"en": ": the two disagree, not counted", "zh": "：两个模型不一致，不计入"},
    "how_none": {"en": "no probability stored for this tag", "zh": "此标签没有存储概率"},
    "model_probs": {"en": "The model said: {probs}", "zh": "模型判断：{probs}"},
    "raised_voice": {"en": "raised voice", "zh": "声音升高"},
    "raised_hover": {"en": "raised voice: pitch {st:+.1f} semitones ({pct:+.0f} %), {db:+.0f} dB louder than their start",
                     "zh": "声音升高：音高 {st:+.1f} 个半音（{pct:+.0f}%），比开头响 {db:+.0f} 分贝"},
    "raised_sentence": {"en": "▲ The {role}'s voice rose {pct} % above their start at {at} ({st} semitones higher, {db} dB louder).",
                        "zh": "▲ {role}的声音在 {at} 比开头升高了 {pct}%（高 {st} 个半音，响 {db} 分贝）。"},
    "click_segment": {"en": "click a segment to play it and correct it", "zh": "点击片段即可播放并修正"},
    "click_cell": {"en": "Click a cell to list the recordings behind it.", "zh": "点击格子查看其背后的录音。"},
    "cell_recordings": {"en": "Recordings behind {cell}", "zh": "{cell} 背后的录音"},
    "password": {"en": "Password", "zh": "密码"},
    "login": {"en": "Log in", "zh": "登录"},
    "logout": {"en": "Log out", "zh": "退出登录"},
    "login_sso": {"en": "Log in with your company account", "zh": "使用公司账号登录"},
    "bad_password": {"en": "Wrong password.", "zh": "密码错误。"},
    "ticket": {"en": "Ticket", "zh": "工单"},
    "ticket_line": {"en": "**{rule}** — {file} at {at} · assigned to {who}", "zh": "**{rule}** — {file}，{at} · 负责人：{who}"},
    "nobody": {"en": "nobody yet", "zh": "暂无"},
    "assign_to": {"en": "Assign to", "zh": "指派给"},
    "comment": {"en": "Comment", "zh": "备注"},
    "playlists": {"en": "Playlists", "zh": "播放列表"},
    "no_playlists": {"en": "No playlist yet: save moments from the Moments page.", "zh": "还没有播放列表：可在“时刻”页保存时刻。"},
    "playlist_name": {"en": "Playlist", "zh": "播放列表"},
    "playlist_default": {"en": "to coach", "zh": "辅导素材"},
    "save_moment": {"en": "Save", "zh": "保存"},
    "saved_to": {"en": "Saved to “{name}”.", "zh": "已保存到“{name}”。"},
    "remove_moment": {"en": "Remove", "zh": "移除"},
    "playlist_count": {"en": "{n} moments from {r} recordings", "zh": "来自 {r} 条录音的 {n} 个时刻"},
    "playlist_html": {"en": "Download as HTML (with the audio)", "zh": "下载为 HTML（含音频）"},
    "moments": {"en": "Moments", "zh": "时刻"},
    "moments_query": {"en": "Words said", "zh": "说过的话"},
    "moments_placeholder": {"en": "e.g. order number, pricing, go live", "zh": "例如：订单号、价格、上线"},
    "moments_help": {"en": "Narrow it down with the tags and role in the filters (e.g. tag ANGRY, role customer); without words, the tags or role alone find moments.",
                     "zh": "可用筛选中的标签和角色缩小范围（如标签“生气”、角色“客户”）；不输入文字时，仅凭标签或角色也能找到时刻。"},
    "moments_need": {"en": "Type words to look for, or pick tags or a role in the filters on the left.",
                     "zh": "请输入要查找的话，或在左侧筛选中选择标签或角色。"},
    "moments_found": {"en": "{n} moments in {r} recordings", "zh": "{r} 条录音中共 {n} 个时刻"},
    "moments_found_more": {"en": "{n} moments in {r} recordings (the {shown} newest shown)",
                           "zh": "{r} 条录音中共 {n} 个时刻（显示最新 {shown} 个）"},
    "moments_none": {"en": "No moment says “{q}” in the recordings these filters select.",
                     "zh": "所选录音中没有说到“{q}”的时刻。"},
    "tickets_n": {"en": "n = {n} tickets in {r} recordings", "zh": "n = {r} 条录音中的 {n} 个工单"},
    "no_stuck": {"en": "No stuck points in these classes: after every question someone answered within the wait.",
                 "zh": "这些课堂中没有卡点：每个提问之后都有人在等待时间内回答。"},
    "no_course": {"en": "(no course)", "zh": "（未标注课程）"},
    "finding_noisy": {"en": "noisy listening environment", "zh": "听课环境嘈杂"},
    "finding_many_stuck": {"en": "many stuck points", "zh": "卡点偏多"},
    "detail_noisy": {"en": "{what} in {n} consecutive classes", "zh": "连续 {n} 节课有{what}"},
    "detail_many_stuck": {"en": "{n} stuck points (the course's median is {median})", "zh": "{n} 个卡点（该课程中位数为 {median}）"},
    "heard_bgm": {"en": "background music", "zh": "背景音乐"},
    "heard_noise": {"en": "background noise", "zh": "背景噪声"},
    "no_course_findings": {"en": "No finding for these courses yet: too few classes, or nothing stood out.",
                           "zh": "这些课程暂无发现：课堂太少，或没有突出的问题。"},
    "no_classes": {"en": "The filters leave out classes (Kind): choose Class, or clear Kind.",
                   "zh": "筛选排除了课堂（类型）：请选择“课堂”，或清空类型。"},
    "trends": {"en": "Trends", "zh": "趋势"},
    "figure": {"en": "Figure", "zh": "指标"},
    "period": {"en": "By", "zh": "按"},
    "period_day": {"en": "day", "zh": "天"},
    "period_week": {"en": "week", "zh": "周"},
    "period_month": {"en": "month", "zh": "月"},
    "split_by": {"en": "Split by", "zh": "拆分"},
    "not_given": {"en": "(not given)", "zh": "（未填写）"},
    "split_none": {"en": "(all together)", "zh": "（全部）"},
    "split_kind": {"en": "kind", "zh": "类型"},
    "split_team": {"en": "team", "zh": "团队"},
    "split_agent": {"en": "agent", "zh": "坐席"},
    "split_teacher": {"en": "teacher", "zh": "老师"},
    "trend_note": {"en": "Hover a point for its n. Hollow points stand on fewer than 3 recordings. The address of this page keeps the view: share it.",
                   "zh": "悬停查看每个点的 n。空心点少于 3 条录音。本页地址保存了当前视图，可直接分享。"},
}
for _more in (PAGE_STRINGS, ACCESS_STRINGS, QA_STRINGS, TALK_STRINGS):
    assert not STRINGS.keys() & _more.keys(), STRINGS.keys() & _more.keys()  # one key, one place
    STRINGS |= _more


# English counts: "1 segment", not "1 segments" (the sentences are written for many). Only the
# sentence's own words after a count of one change, never the values put into it.
_NOUNS = r"(?:corrected |new |synthetic )?(?:segment|recording|moment|file|ticket|mention|session|call|speaker|question)"


def _singular(text: str, key: str) -> str:
    pattern = re.compile(r"\{" + key + r"(:[^}]*)?\} (" + _NOUNS + r")s\b( were\b| are\b)?")
    return pattern.sub(lambda m: "{" + key + (m.group(1) or "") + "} " + m.group(2)
                       + {" were": " was", " are": " is"}.get(m.group(3) or "", ""), text)


def t(key: str, lang: str = "en", **kw) -> str:
    text = STRINGS[key].get(lang) or STRINGS[key]["en"]
    if not kw:
        return text
    if lang == "en":
        for k, v in kw.items():
            if v == 1 and not isinstance(v, bool):
                text = _singular(text, k)
    return text.format(**kw)
