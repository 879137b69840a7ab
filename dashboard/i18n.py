"""The dashboard's words in English and Chinese, and one colour and name per emotion for every
page and chart. ``t(key)`` in the language chosen in the sidebar."""
from __future__ import annotations

EMOTION_COLORS = {  # the same on every chart
    "HAPPY": "#2ca02c", "NEUTRAL": "#b0b0b0", "SAD": "#1f77b4", "ANGRY": "#d62728",
    "FEARFUL": "#9467bd", "DISGUSTED": "#8c564b", "SURPRISED": "#ff7f0e", "UNKNOWN": "#e0e0e0",
}
EMOTION_NAMES = {
    "zh": {"HAPPY": "开心", "NEUTRAL": "中性", "SAD": "悲伤", "ANGRY": "生气", "FEARFUL": "害怕",
           "DISGUSTED": "厌恶", "SURPRISED": "惊讶", "UNKNOWN": "未知"},
    "en": {},
}

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
    "swap_roles": {"en": "Swap the roles", "zh": "交换角色"},
    "fix_speaker": {"en": "Speaker", "zh": "说话人"},
    "speaker_role": {"en": "Role (agent, customer, teacher, student …)", "zh": "角色（agent、customer、teacher、student…）"},
    "speaker_name": {"en": "This speaker is …", "zh": "此说话人是…"},
    "remember_voice": {"en": "Remember this voice (a voiceprint: names this person in new recordings)",
                       "zh": "记住此声音（声纹：在新录音中识别此人）"},
    "voice_saved": {"en": "Voiceprint of {name} saved ({s:.0f} s of speech).", "zh": "已保存 {name} 的声纹（{s:.0f} 秒语音）。"},
    "accuracy": {"en": "Model accuracy on your data", "zh": "模型在您数据上的准确率"},
    "accuracy_few": {"en": "Not enough corrections yet to say how accurate the model is: {n} corrected segments "
                            "(at least {min} are needed). With these, its accuracy is somewhere between {lo} and {hi}.",
                     "zh": "更正还不够，暂时无法判断模型准确率：已更正 {n} 个片段（至少需要 {min} 个）。"
                           "按现有更正，准确率在 {lo} 到 {hi} 之间。"},
    "accuracy_n": {"en": "n = {n} corrected segments · 95 % interval {lo}–{hi}", "zh": "n = {n} 个已更正片段 · 95% 区间 {lo}–{hi}"},
    "confusion": {"en": "Your corrections (rows) against what the model said (columns)", "zh": "您的更正（行）与模型判断（列）"},
    "accuracy_none": {"en": "No corrections yet: correct segments on the Timeline page to measure it.",
                      "zh": "还没有更正:在时间线页更正片段即可评估。"},
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
    "moments_placeholder": {"en": "e.g. refund, custom dashboards", "zh": "例如：退款、自定义维度"},
    "moments_help": {"en": "Narrow it down with the tags and role in the filters (e.g. tag ANGRY, role customer); without words, the tags or role alone find moments.",
                     "zh": "可用筛选中的标签和角色缩小范围（如标签“生气”、角色“客户”）；不输入文字时，仅凭标签或角色也能找到时刻。"},
    "moments_need": {"en": "Type words to look for, or pick tags or a role in the filters on the left.",
                     "zh": "请输入要查找的话，或在左侧筛选中选择标签或角色。"},
    "moments_found": {"en": "{n} moments in {r} recordings (the 50 newest shown)", "zh": "{r} 条录音中共 {n} 个时刻（显示最新 50 个）"},
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
    "people": {"en": "People", "zh": "人员"},
    "no_people": {"en": "No recording names an agent or a teacher yet: add them as metadata (agent=Li) or enrol voices.",
                  "zh": "还没有录音标注坐席或老师：请在元数据中添加（agent=Li）或登记声纹。"},
    "people_kind": {"en": "Who", "zh": "人员类型"},
    "key_agent": {"en": "Agents", "zh": "坐席"},
    "key_teacher": {"en": "Teachers", "zh": "老师"},
    "col_person": {"en": "Name", "zh": "姓名"},
    "col_team": {"en": "Team", "zh": "团队"},
    "col_recordings": {"en": "Recordings", "zh": "录音数"},
    "col_hours": {"en": "Hours", "zh": "时长（小时）"},
    "col_angry_share": {"en": "Calls with an angry customer", "zh": "客户生气的通话占比"},
    "col_angry_interval": {"en": "95 % interval", "zh": "95% 区间"},
    "col_silences_per_call": {"en": "Silences ≥ 5 s per call", "zh": "每通 ≥5 秒沉默"},
    "col_talk_share": {"en": "Their talk share", "zh": "本人说话占比"},
    "col_open_tickets": {"en": "Open tickets", "zh": "待处理工单"},
    "col_trend": {"en": "Trend (4 weeks)", "zh": "趋势（4 周）"},
    "people_note": {"en": "Trend: the angry-customer share of the last 4 weeks against the 4 before (▲ up, ▼ down, → steady, – too few calls). The interval shows how sure the share is with this many calls.",
                    "zh": "趋势：近 4 周客户生气的占比对比之前 4 周（▲ 上升，▼ 下降，→ 持平，– 通话太少）。区间表示在这么多通话下该占比的可信范围。"},
    "scorecard_of": {"en": "Scorecard of", "zh": "查看成绩单"},
    "scorecard": {"en": "{who}, week by week against the team", "zh": "{who} 每周表现与团队对比"},
    "their_team": {"en": "team {team} (others)", "zh": "团队 {team}（其他人）"},
    "best_moments": {"en": "Best moments (customer happy or laughing)", "zh": "最佳时刻（客户开心或笑）"},
    "worst_moments": {"en": "Worst moments (customer angry)", "zh": "最差时刻（客户生气）"},
    "no_moments": {"en": "None in these recordings.", "zh": "这些录音中没有。"},
    "finding": {"en": "**{feature}** — {a}: {va}, {b}: {vb} ({na} against {nb} recordings): {strength}.",
                "zh": "**{feature}** — {a}：{va}，{b}：{vb}（{na} 对 {nb} 条录音）：{strength}。"},
    "strength_clear": {"en": "a clear difference", "zh": "差异明显"},
    "strength_likely": {"en": "probably a real difference", "zh": "很可能确有差异"},
    "strength_unclear": {"en": "could be chance", "zh": "可能只是偶然"},
    "findings": {"en": "What differs", "zh": "有何不同"},
    "stats_table": {"en": "The statistics behind it", "zh": "背后的统计表"},
    "no_findings": {"en": "No difference between these cohorts.", "zh": "两组之间没有差异。"},
    "col_n": {"en": "n", "zh": "n"},
    "col_mean": {"en": "Average", "zh": "平均"},
    "col_low": {"en": "From", "zh": "区间下限"},
    "col_high": {"en": "To", "zh": "区间上限"},
    "col_share": {"en": "Share of mentions", "zh": "提及后出现的占比"},
    "cohort_none": {"en": "No outcome given", "zh": "未标注结果"},
    "reaction_line": {"en": "**{cohort}**: after “{phrase}”, the most common reaction within {s} s is **{reaction}** "
                            "({share} of {m} mentions in {r} recordings).",
                      "zh": "**{cohort}**：说出“{phrase}”后 {s} 秒内最常见的反应是**{reaction}**（{m} 次提及中占 {share}，"
                            "来自 {r} 条录音）。"},
    "choose": {"en": "Choose", "zh": "请选择"},
    "this_week": {"en": "This week against last week", "zh": "本周与上周对比"},
    "fig_recordings": {"en": "Recordings", "zh": "录音数"},
    "fig_angry_share": {"en": "Calls with an angry customer", "zh": "客户生气的通话占比"},
    "fig_long_silences": {"en": "Silences ≥ 5 s per call", "zh": "每通 ≥5 秒沉默次数"},
    "fig_lead_talk_share": {"en": "Agent / teacher talk share", "zh": "坐席/老师说话占比"},
    "fig_won_rate": {"en": "Demos won", "zh": "演示赢单率"},
    "pp": {"en": "{d} pp", "zh": "{d} 个百分点"},
    "n_week": {"en": "n = {n} this week, {last} last week", "zh": "本周 n = {n}，上周 {last}"},
    "open_tickets": {"en": "Open tickets ({n})", "zh": "待处理工单（{n}）"},
    "sev_high": {"en": "high", "zh": "高"},
    "sev_medium": {"en": "medium", "zh": "中"},
    "sev_low": {"en": "low", "zh": "低"},
    "no_open_tickets": {"en": "No open tickets.", "zh": "没有待处理工单。"},
    "open_moment": {"en": "Open", "zh": "打开"},
    "unresolved_anger": {"en": "Customer anger not resolved, last 24 h ({n})", "zh": "近 24 小时未平息的客户怒气（{n}）"},
    "no_anger": {"en": "No unresolved customer anger in the last 24 h.", "zh": "近 24 小时没有未平息的客户怒气。"},
    "anger_line": {"en": "**{file}** · agent {agent} · angry {n}× · last at {at}", "zh": "**{file}** · 坐席 {agent} · 生气 {n} 次 · 最后一次 {at}"},
    "movers": {"en": "Who moved most (angry-customer calls, last 7 days against the 7 before)",
               "zh": "变化最大（客户生气的通话，近 7 天对比之前 7 天）"},
    "no_movers": {"en": "Not enough recordings per person in both weeks (3 each) to compare.",
                  "zh": "两周内每人的录音都不足 3 条，无法比较。"},
    "mover_line": {"en": "{arrow} **{who}**: {now} (n = {now_n}) against {before} (n = {before_n})",
                   "zh": "{arrow} **{who}**：{now}（n = {now_n}），之前 {before}（n = {before_n}）"},
    "failed_files": {"en": "Files that failed ({n})", "zh": "失败文件（{n}）"},
    "no_failed": {"en": "No file failed.", "zh": "没有失败的文件。"},
    "noise_banner": {"en": "{n} recordings were analysed with a RANDOM-WEIGHT stand-in model (the real model could not be "
                           "loaded): their emotions, events and text are noise, not findings. Ingest them again with "
                           "SenseVoiceSmall (toneboard ingest --force --model iic/SenseVoiceSmall).",
                     "zh": "有 {n} 条录音是用随机权重的替代模型分析的（真实模型无法加载）：其情绪、事件和文字都是噪声，"
                           "不是结论。请用 SenseVoiceSmall 重新分析（toneboard ingest --force --model iic/SenseVoiceSmall）。"},
    "demo_model": {"en": "demo data (synthetic, no audio)", "zh": "演示数据（合成，无音频）"},
    "recording_model": {"en": "Analysed with {model}", "zh": "分析模型：{model}"},
    "recording_noise": {"en": "This recording was analysed with a random-weight stand-in model: its tags and text are noise.",
                        "zh": "此录音使用随机权重的替代模型分析：其标签和文字都是噪声。"},
    "upload_failed": {"en": "The upload could not be kept: {why}", "zh": "上传未能保存：{why}"},
    "locked_out": {"en": "Too many wrong passwords from your address: try again in {m} min.",
                   "zh": "您的地址密码错误次数过多：请 {m} 分钟后再试。"},
    "exposed_no_login": {"en": "This dashboard is reachable beyond this machine but has no login, so it shows nothing. "
                               "Set TONEBOARD_PASSWORD_HASH (make one with `toneboard hash-password`) or OIDC in "
                               ".streamlit/secrets.toml, or serve on 127.0.0.1 only (see SECURITY.md).",
                         "zh": "此看板可从本机以外访问，但未设置登录，因此不显示任何内容。请设置 TONEBOARD_PASSWORD_HASH"
                               "（用 `toneboard hash-password` 生成）或在 .streamlit/secrets.toml 中配置 OIDC，"
                               "或仅在 127.0.0.1 上提供服务（见 SECURITY.md）。"},
    "interrupted": {"en": "Interrupted: {name} ({n} files; the server stopped before it finished)",
                    "zh": "已中断:{name}(共 {n} 个文件;服务器在完成前停止)"},
    "resume": {"en": "Resume", "zh": "继续分析"},
    "pii_muted": {"en": "{n} segments with personal data are muted in playback.",
                  "zh": "{n} 个含个人信息的片段在播放时已静音。"},
    "latest_only": {"en": "Showing the {n} most recent recordings: narrow the filters to see others.",
                    "zh": "仅显示最近的 {n} 条录音:缩小筛选范围可查看其他录音。"},
    "hm_speech": {"en": "{s} s of speech", "zh": "{s} 秒语音"},
    "hm_part": {"en": "part of the recording (1 … {n}, start to end)", "zh": "录音的第几段（1…{n}，从头到尾）"},
    "hm_part_n": {"en": "part {n}", "zh": "第 {n} 段"},
    "hm_mood": {"en": "mood", "zh": "情绪值"},
    "weekdays": {"en": "Mon Tue Wed Thu Fri Sat Sun", "zh": "周一 周二 周三 周四 周五 周六 周日"},
    "hm_of": {"en": "{k} of {n} recordings", "zh": "{n} 条录音中 {k} 条"},
    "hm_too_few": {"en": "too few recordings (under {min}) to colour", "zh": "录音少于 {min} 条，不着色"},
    "hm_hour": {"en": "hour of the day", "zh": "时段（点）"},
    "hm_min_note": {"en": "Share of recordings with the tag. Cells with fewer than {min} recordings stay blank: one call is not a hotspot.",
                    "zh": "含该标签的录音占比。少于 {min} 条录音的格子留空：一通电话不算热点。"},
    "hm_rate": {"en": "{rate} a minute ({k}× in {m} min of speech, n = {n})", "zh": "每分钟 {rate} 次（{m} 分钟语音中 {k} 次，n = {n}）"},
    "hm_relative": {"en": "against the tag's highest", "zh": "相对该标签最高值"},
    "hm_scale_note": {"en": "Each tag has its own scale: the darkest cell is that tag's highest rate a minute (hover for the figure). Values with fewer than {min} recordings stay blank.",
                      "zh": "每个标签单独着色：最深的格子是该标签每分钟次数最高的值（悬停查看具体数字）。少于 {min} 条录音的值留空。"},
    "hm_together": {"en": "{k} segments with both ({a}: {na}, {b}: {nb})", "zh": "{k} 个片段同时出现（{a}：{na}，{b}：{nb}）"},
    "heat_profile": {"en": "Emotion over the course of each recording", "zh": "每条录音内的情绪变化"},
    "heat_hour": {"en": "Hour × weekday", "zh": "小时 × 星期"},
    "heat_meta": {"en": "By metadata", "zh": "按元数据"},
    "heat_co": {"en": "Tags that occur together", "zh": "标签共现"},
    "cohort_a": {"en": "Cohort A outcome", "zh": "第一组结果"},
    "cohort_b": {"en": "Cohort B outcome", "zh": "第二组结果"},
    "phrase": {"en": "Phrase (any language)", "zh": "关键词(任意语言)"},
    "speaker": {"en": "Said by role", "zh": "说话角色"},
    "window": {"en": "Window (s)", "zh": "时间窗(秒)"},
    "evaluate": {"en": "Evaluate rules", "zh": "运行规则"},
    "new_tickets": {"en": "{n} new tickets", "zh": "新增 {n} 个工单"},
    "status": {"en": "Status", "zh": "状态"},
    "set_status": {"en": "Set status", "zh": "设置状态"},
    "rules_editor": {"en": "Rules (YAML)", "zh": "规则(YAML)"},
    "rules_saved": {"en": "Rules are valid and saved.", "zh": "规则有效,已保存。"},
    "stuck": {"en": "Stuck points", "zh": "卡点"},
    "course": {"en": "Across the course", "zh": "整门课程"},
    "conversation_metrics": {"en": "Figures per recording and speaker", "zh": "每条录音、每位说话人的指标"},
    "report": {"en": "HTML report for these filters", "zh": "当前筛选的 HTML 报告"},
    "files": {"en": "Recordings to analyse", "zh": "要分析的录音"},
    "mic": {"en": "Or record a quick try", "zh": "或现场录一段试试"},
    "manifest": {"en": "Manifest CSV (optional)", "zh": "清单 CSV(可选)"},
    "batch": {"en": "Batch name", "zh": "批次名称"},
    "analyse": {"en": "Analyse", "zh": "开始分析"},
    "progress": {"en": "{done} of {total} files", "zh": "已完成 {done}/{total} 个文件"},
    "batch_done": {"en": "Done: {ok} ingested, {skip} skipped, {fail} failed",
                   "zh": "完成:导入 {ok},跳过 {skip},失败 {fail}"},
    "worker_busy": {"en": "A batch is being analysed; this one is queued.", "zh": "正在分析另一批,此批已排队。"},
    "bad_filter": {"en": "Filter problem: {e}", "zh": "筛选有误:{e}"},
}


def t(key: str, lang: str = "en", **kw) -> str:
    text = STRINGS[key].get(lang) or STRINGS[key]["en"]
    return text.format(**kw) if kw else text


ROLE_NAMES = {"zh": {"agent": "坐席", "customer": "客户", "teacher": "老师", "student": "学生", "seller": "销售",
                    "mixed": "混合"}, "en": {}}
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
    "response_s": ("time to answer", "应答时间", "s"), "questions_per_min": ("questions a minute", "每分钟提问", ""),
}


def feature_name(feature: str, lang: str = "en") -> str:
    """A compare feature as a manager reads it: 'laughs a minute', '每分钟笑声', 'time to answer'."""
    if feature in SIGNAL_NAMES:
        en, zh, _ = SIGNAL_NAMES[feature]
        return zh if lang == "zh" else en
    name = EVENT_NAMES.get(lang, {}).get(feature) or EMOTION_NAMES.get(lang, {}).get(feature) or \
        EVENT_NAMES["en"].get(feature) or f"{feature.lower()} moments"
    return f"每分钟{name}" if lang == "zh" else f"{name} a minute"


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
    "stage": {"decode": "解码", "vad": "语音检测", "recognize": "识别", "parse": "解析", "signals": "信号",
              "store": "保存", "probe": "读取"},
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
    return VALUES.get(kind, {}).get(value, value) if lang == "zh" else value


def meta_key_of(name: str) -> str:
    """The metadata key a name stands for: 坐席 → agent (a key in any other form is kept as given)."""
    return next((k for k, zh in META_KEYS["zh"].items() if zh == name), name)
