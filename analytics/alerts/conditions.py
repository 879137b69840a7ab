"""The conditions a rule can hold: a table (``CONDITIONS``), one entry per kind of condition with
the fields it takes, how it is checked when a rules file is read, how it is evaluated on one
recording, and what it asks in English and Chinese. A new kind of condition is one entry here
(and a line in the format described in ``analytics.alerts.rules`` and data/rules.yaml).

Every kind shares the window (``first``, ``last``, ``from``, ``to``, ``after_first`` … ``before_last``)
and ``not``; what each field means, in both languages, is ``FIELDS``. Rules (``analytics.alerts.rules``)
and quality forms (``analytics.qa.forms``) hold the same conditions.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from ingest.models.tags import EMOTIONS, EVENTS

from ..talk.trackers import TrackerError
from .selectors import Masks, as_list, scene_segments, tracker_of

TAGS = set(EMOTIONS) | set(EVENTS) | {"UNKNOWN"}
SEG_FIELDS = {"emotion", "event", "tags", "min_confidence", "both_models", "raised_voice", "role", "channel", "text", "tracker",
              "question",
              "loudness_above", "loudness_below", "rate_above", "rate_below", "longer_than"}
PAUSE_FIELDS = {"longer_than", "role"}
DYNAMICS = ("talk_share", "longest_monologue_s", "switches_per_min", "response_s", "questions", "turns", "overtalk_s",
            "interruptions")
ANCHORS = ("after_first", "after_last", "before_first", "before_last")  # a window bounded by another segment
COMMON = {"first", "last", "from", "to", "not", *ANCHORS}  # the window, and negation: every kind
MAX_EVIDENCE = 20  # moments kept per condition


class RuleError(ValueError):
    """An invalid rules file; the message names the rule and the field."""


@dataclass(frozen=True)
class Scene:
    """One recording, as a condition sees it; ``masks``: its chunk's (its segments are the chunk's
    rows ``lo`` .. ``lo + len(segs)``), and ``memo``: each condition's result, once per call."""
    segs: pd.DataFrame
    pauses: pd.DataFrame
    duration: float
    stereo: bool
    dyn: dict  # (role, metric) -> value (DYNAMICS; role '*': the whole conversation)
    masks: Masks | None = None
    lo: int = 0
    memo: dict = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Condition:
    fields: frozenset[str]  # what it takes besides its own key and COMMON
    check: Callable[[dict, str], None]  # raises RuleError naming ``where``
    evaluate: Callable[[dict, Scene], tuple[bool, list[dict]]]  # (holds, evidence moments)
    words: tuple[str, str]  # what it asks (English, Chinese)


# -- selectors: which segments or pauses -------------------------------------------------------
def check_selector(sel, allowed: set, where: str) -> None:
    if not isinstance(sel, dict):
        raise RuleError(f"{where}: a selector must be a mapping")
    unknown = set(sel) - allowed
    if unknown:
        raise RuleError(f"{where}: unknown field {sorted(unknown)[0]!r}")
    for f in ("emotion", "event", "tags"):
        for v in as_list(sel.get(f, [])):
            if str(v).upper() not in TAGS:
                raise RuleError(f"{where}: {f}: unknown tag {v!r}")
    if "emotion" in sel and any(str(v).upper() not in set(EMOTIONS) | {"UNKNOWN"} for v in as_list(sel["emotion"])):
        raise RuleError(f"{where}: emotion: {sel['emotion']!r} is an event, not an emotion")
    if "event" in sel and any(str(v).upper() not in EVENTS for v in as_list(sel["event"])):
        raise RuleError(f"{where}: event: {sel['event']!r} is not an event")
    if "min_confidence" in sel:
        floor = sel["min_confidence"]
        if isinstance(floor, bool) or not isinstance(floor, (int, float)) or not 0 <= floor <= 1:
            raise RuleError(f"{where}: min_confidence must be a probability from 0 to 1")
        if not {"emotion", "event", "tags"} & set(sel):
            raise RuleError(f"{where}: min_confidence needs a tag to apply to (emotion, event or tags)")
    if "both_models" in sel:
        if not isinstance(sel["both_models"], bool):
            raise RuleError(f"{where}: both_models must be true or false")
        if not {"emotion", "tags"} & set(sel):
            raise RuleError(f"{where}: both_models needs an emotion to apply to (emotion or tags)")
    for f in ("raised_voice", "question"):
        if f in sel and not isinstance(sel[f], bool):
            raise RuleError(f"{where}: {f} must be true or false")
    if "text" in sel:
        try:
            re.compile(str(sel["text"]))
        except re.error as e:
            raise RuleError(f"{where}: text: not a valid regular expression ({e})") from None
    if "tracker" in sel:
        try:
            tracker_of(sel["tracker"])
        except TrackerError as e:
            raise RuleError(f"{where}: tracker: {e}") from None
    for f in ("loudness_above", "loudness_below", "rate_above", "rate_below", "longer_than", "channel"):
        if f in sel and not isinstance(sel[f], (int, float)):
            raise RuleError(f"{where}: {f} must be a number")


def _select_pauses(pauses: pd.DataFrame, sel: dict, stereo: bool) -> pd.DataFrame:
    role = sel.get("role", "all")
    p = pauses[pauses["role"] == role] if (role != "all" or stereo) else pauses[pauses["channel"] == 0]
    return p[p["duration_s"] > sel.get("longer_than", 0)]


def window(c: dict, scene: Scene) -> tuple[float, float]:
    """The part of the recording a condition looks at: [start, end) of an item's start time."""
    b, e = 0.0, scene.duration
    if "first" in c:
        e = min(e, c["first"])
    if "last" in c:
        b = max(b, scene.duration - c["last"])
    if "from" in c:
        b = max(b, c["from"])
    if "to" in c:
        e = min(e, c["to"])
    for f in (a for a in ANCHORS if a in c):  # no such segment: no bound (``after_last``, the rules' use)
        anchor = scene_segments(scene, c[f])
        if len(anchor):
            if f.startswith("after"):
                b = max(b, float(anchor["end_s"].min() if f == "after_first" else anchor["end_s"].max()))
            else:
                e = min(e, float(anchor["start_s"].min() if f == "before_first" else anchor["start_s"].max()))
    return b, e


def _items(c: dict, scene: Scene) -> pd.DataFrame:
    b, e = window(c, scene)
    if "segments" in c:
        return scene_segments(scene, c["segments"], b, e)
    items = _select_pauses(scene.pauses, c["pauses"], scene.stereo)
    return items[(items["start_s"] >= b) & (items["start_s"] < e)]


def _evidence(items: pd.DataFrame, what: str) -> list[dict]:
    return [{"start_s": round(float(b), 3), "end_s": round(float(e), 3), "what": what}
            for b, e in zip(items["start_s"], items["end_s"])][:MAX_EVIDENCE]


def kind_of(c: dict) -> str:
    return next(k for k in CONDITIONS if k in c)


def describe(c: dict) -> str:
    key = kind_of(c)
    return f"{key} {json.dumps(c[key], ensure_ascii=False, default=str)}"


# -- the kinds -----------------------------------------------------------------------------------
def _check_counted(allowed: set) -> Callable[[dict, str], None]:
    def check(c: dict, where: str) -> None:
        check_selector(c[kind_of(c)], allowed, where)
    return check


def _counted(c: dict, scene: Scene) -> tuple[bool, list[dict]]:
    """Items (segments or pauses) in the window, at least / at most / none."""
    items = _items(c, scene)
    count = len(items)
    at_most = 0 if c.get("none") else c.get("at_most")
    at_least = c.get("at_least", 0 if at_most is not None else 1)
    ok = count >= at_least and (at_most is None or count <= at_most)
    ev = _evidence(items, describe(c)) if count else []
    if ok and not count:  # an absence: the evidence is the span that was checked
        b, e = window(c, scene)
        ev = [{"start_s": round(b, 3), "end_s": round(e, 3), "what": f"no {describe(c)}", "absence": True}]
    return ok, ev


def _check_share(c: dict, where: str) -> None:
    check_selector(c["share"], {"emotion", "event", "tags", "role"}, where)
    if ("over" in c) == ("under" in c):
        raise RuleError(f"{where}: share needs exactly one of over or under (a fraction 0..1)")
    v = c.get("over", c.get("under"))
    if not isinstance(v, (int, float)) or not 0 <= v <= 1:
        raise RuleError(f"{where}: over/under must be a fraction between 0 and 1")


def _share(c: dict, scene: Scene) -> tuple[bool, list[dict]]:
    sel = scene_segments(scene, c["share"])
    share = float(sel["duration_s"].sum()) / max(scene.duration, 1e-9)
    ok = share > c["over"] if "over" in c else share < c["under"]
    return ok, _evidence(sel, f"{describe(c)}: {share:.0%} of the recording")


def _check_near(c: dict, where: str) -> None:
    near = c["near"]
    if not isinstance(near, dict) or not {"a", "b", "within"} <= set(near):
        raise RuleError(f"{where}: near needs a, b and within")
    if not isinstance(near["within"], (int, float)) or near["within"] < 0:
        raise RuleError(f"{where}: near.within must be a number of seconds")
    if near.get("order", "any") not in ("any", "a_first"):
        raise RuleError(f"{where}: near.order must be any or a_first")
    for side in ("a", "b"):
        check_condition(near[side], f"{where}, near.{side}")


def _near(c: dict, scene: Scene) -> tuple[bool, list[dict]]:
    n = c["near"]
    a, b = _items(n["a"], scene), _items(n["b"], scene)
    ev, ok = [], False
    for ab, ae in zip(a["start_s"], a["end_s"]):
        for bb, be in zip(b["start_s"], b["end_s"]):
            if max(bb - ae, ab - be, 0.0) <= n["within"] and (n.get("order", "any") == "any" or ab <= bb):
                ok = True
                ev += [{"start_s": round(float(ab), 3), "end_s": round(float(ae), 3), "what": describe(n["a"])},
                       {"start_s": round(float(bb), 3), "end_s": round(float(be), 3), "what": describe(n["b"])}]
                break
        if len(ev) >= MAX_EVIDENCE:
            break
    return ok, ev


def _check_dynamics(c: dict, where: str) -> None:
    d = c["dynamics"]
    if not isinstance(d, dict) or set(d) - {"metric", "role"} or d.get("metric") not in DYNAMICS:
        raise RuleError(f"{where}: dynamics needs metric (one of {', '.join(DYNAMICS)}) and optionally role")
    if ("over" in c) == ("under" in c) or not isinstance(c.get("over", c.get("under")), (int, float)):
        raise RuleError(f"{where}: dynamics needs exactly one of over or under (a number)")


def _dynamics(c: dict, scene: Scene) -> tuple[bool, list[dict]]:
    d = c["dynamics"]
    value = scene.dyn.get((d.get("role", "*"), d["metric"]))
    ok = value is not None and not pd.isna(value) and (value > c["over"] if "over" in c else value < c["under"])
    return ok, [{"start_s": 0.0, "end_s": round(scene.duration, 3), "what": f"{describe(c)}: {value:.3g}"}] if ok else []


COUNTED = frozenset({"at_least", "at_most", "none"})
CONDITIONS: dict[str, Condition] = {
    "segments": Condition(COUNTED, _check_counted(SEG_FIELDS), _counted, (
        "segments that match (emotion, event, tags, role, channel, text, loudness, speaking rate, length), counted",
        "符合条件的语音段（情绪、事件、标签、角色、声道、文字、音量、语速、时长）的数量")),
    "pauses": Condition(COUNTED, _check_counted(PAUSE_FIELDS), _counted, (
        "silences longer than N seconds (nobody speaking, or one role), counted",
        "超过 N 秒的静默（无人说话，或某一方）的数量")),
    "share": Condition(frozenset({"over", "under"}), _check_share, _share, (
        "the share of the recording's time with a tag or a role, over or under a fraction",
        "某标签或某一方占录音时长的比例，高于或低于某值")),
    "near": Condition(frozenset({"within", "order"}), _check_near, _near, (
        "two conditions within N seconds of each other (optionally in that order)",
        "两个条件在 N 秒之内相继出现（可要求先后顺序）")),
    "dynamics": Condition(frozenset({"over", "under"}), _check_dynamics, _dynamics, (
        "a conversation measure (talk share, longest monologue, switches, response time, questions, turns, "
        "overtalk, interruptions) over or under a value",
        "对话指标（说话占比、最长独白、轮换、响应时间、提问、轮次、抢话时长、打断次数）高于或低于某值")),
}
# what each field of a condition or a segment selector means (English, Chinese): the form editor and
# ``toneboard qa conditions`` show it
FIELDS: dict[str, tuple[str, str]] = {
    "role": ("said by this role (agent, customer, teacher, student)", "由该角色说出（坐席、客户、老师、学生）"),
    "text": ("the words, as a regular expression (a|b: either)", "说出的词语（正则表达式，a|b 表示任一）"),
    "tracker": ("says a tracker's phrases, in any of their spellings (data/trackers.yaml: its id)",
                "说出某个追踪话题的任一说法（data/trackers.yaml 中的 id）"),
    "question": ("true: said as a question (?, 吗, 呢 …)", "true：以问句说出（?、吗、呢 …）"),
    "emotion": ("the emotion heard (ANGRY, HAPPY, SAD …)", "听到的情绪（ANGRY、HAPPY、SAD …）"),
    "event": ("an audio event (LAUGHTER, BGM, CRY …)", "音频事件（LAUGHTER、BGM、CRY …）"),
    "tags": ("an emotion or an event", "情绪或事件"),
    "min_confidence": ("how sure the model must be of the tag (0–1)", "模型对该标签的最低把握（0–1）"),
    "both_models": ("true: a second model heard the same emotion", "true：第二个模型听到相同情绪"),
    "raised_voice": ("true: pitch and loudness well above the speaker's start", "true：音高和音量明显高于说话人开始时"),
    "channel": ("the channel (0, 1)", "声道（0、1）"),
    "loudness_above": ("louder than this (dBFS)", "音量高于此值（dBFS）"),
    "loudness_below": ("quieter than this (dBFS)", "音量低于此值（dBFS）"),
    "rate_above": ("faster than this (characters or words per second)", "语速高于此值（每秒字数或词数）"),
    "rate_below": ("slower than this", "语速低于此值"),
    "longer_than": ("longer than this many seconds", "长于此秒数"),
    "first": ("within the first N seconds", "前 N 秒之内"),
    "last": ("within the last N seconds", "最后 N 秒之内"),
    "from": ("from second N on", "从第 N 秒起"),
    "to": ("up to second N", "到第 N 秒为止"),
    "after_first": ("after the first segment that matches this", "在第一次符合此条件的语音段之后"),
    "after_last": ("after the last segment that matches this", "在最后一次符合此条件的语音段之后"),
    "before_first": ("before the first segment that matches this", "在第一次符合此条件的语音段之前"),
    "before_last": ("before the last segment that matches this", "在最后一次符合此条件的语音段之前"),
    "at_least": ("at least N times (default 1)", "至少 N 次（默认 1）"),
    "at_most": ("at most N times", "至多 N 次"),
    "none": ("true: not once", "true：一次也没有"),
    "not": ("true: the opposite of the condition", "true：条件取反"),
    "over": ("more than this", "高于此值"),
    "under": ("less than this", "低于此值"),
    "within": ("within N seconds of each other", "相隔 N 秒之内"),
    "order": ("a_first: a comes before b", "a_first：a 在 b 之前"),
    "metric": ("talk_share, longest_monologue_s, switches_per_min, response_s, questions, turns, overtalk_s, interruptions",
               "说话占比、最长独白、每分钟轮换、响应时间、提问数、轮次、抢话时长、打断次数"),
}
# every field a condition may hold (any kind: a rules file that gives a field another kind ignores
# is read as before)
COND_FIELDS = set(CONDITIONS) | COMMON | set().union(*(k.fields for k in CONDITIONS.values()))


def check_condition(c, where: str) -> None:
    if not isinstance(c, dict):
        raise RuleError(f"{where}: must be a mapping")
    unknown = set(c) - COND_FIELDS
    if unknown:
        raise RuleError(f"{where}: unknown field {sorted(unknown)[0]!r}")
    kinds = [k for k in CONDITIONS if k in c]
    if len(kinds) != 1:
        raise RuleError(f"{where}: give exactly one of {', '.join(list(CONDITIONS)[:-1])} or {list(CONDITIONS)[-1]}")
    CONDITIONS[kinds[0]].check(c, where)
    for f in ANCHORS:
        if f in c:
            check_selector(c[f], SEG_FIELDS, f"{where}, {f}")
    for f in ("first", "last", "from", "to", "at_least", "at_most", "within"):
        if f in c and (not isinstance(c[f], (int, float)) or c[f] < 0):
            raise RuleError(f"{where}: {f} must be a non-negative number")
    for f in ("none", "not"):
        if f in c and not isinstance(c[f], bool):
            raise RuleError(f"{where}: {f} must be true or false")


def evaluated(c: dict, scene: Scene) -> tuple[bool, list[dict]]:
    """Condition ``c``'s own result on the scene (before ``not``), once per scene."""
    key = json.dumps(c, sort_keys=True, default=str)
    if key not in scene.memo:
        scene.memo[key] = CONDITIONS[kind_of(c)].evaluate(c, scene)
    return scene.memo[key]


def holds(c: dict, scene: Scene) -> tuple[bool, list[dict]]:
    """Whether condition ``c`` holds on the recording, with the moments that decided it."""
    ok, ev = evaluated(c, scene)
    if c.get("not"):
        ok = not ok
    return ok, ev if ok else []
