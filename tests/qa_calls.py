"""Calls written straight into a store for the quality forms' tests: what a call said, by whom and
when (a test double at the recogniser's boundary: the words and tags ingest would have stored),
then scored on the shipped forms through the product's own path (``analytics.qa.scoring``)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from ingest.records import Recording, Segment, now
from ingest.signals import find_pauses
from ingest.store import Store

STEREO = {0: "agent", 1: "customer"}
CHANNEL = {"agent": 0, "customer": 1, "teacher": 0, "student": 0}


@dataclass(frozen=True)
class Line:
    at: float
    end: float
    role: str
    text: str
    emotion: str = "NEUTRAL"
    events: tuple[str, ...] = ()
    raised: bool = False


@dataclass(frozen=True)
class Call:
    name: str
    kind: str
    lines: tuple[Line, ...]
    duration_s: float
    stereo: bool = True
    outcome: str | None = None
    meta: dict = field(default_factory=dict, hash=False, compare=False)
    recorded_at: datetime | None = field(default=None, hash=False, compare=False)  # None: now
    audio: str | None = field(default=None, hash=False, compare=False)  # a file the pages play (None: none)

    def without(self, *texts: str) -> Call:
        """The call without the lines that say any of ``texts``."""
        return replace(self, lines=tuple(ln for ln in self.lines if not any(t in ln.text for t in texts)))

    def plus(self, *lines: Line, name: str | None = None) -> Call:
        return replace(self, lines=tuple(sorted(self.lines + lines, key=lambda ln: ln.at)), name=name or self.name)

    def changed(self, saying: str, /, **kw) -> Call:
        """The call with the line saying ``saying`` changed (its text, emotion, times ...)."""
        return replace(self, lines=tuple(replace(ln, **kw) if saying in ln.text else ln for ln in self.lines))

    @property
    def recording_id(self) -> str:
        return hashlib.sha256(repr((self.name, self.lines)).encode()).hexdigest()


def write(db: Path, calls: list[Call]) -> Store:
    store = Store(db)
    store.init()
    for call in calls:
        rid = call.recording_id
        roles = STEREO if call.stereo else {0: "mixed"}
        segs = [Segment(recording_id=rid, channel=CHANNEL[ln.role] if call.stereo else 0, role=ln.role, seg_index=i,
                        start_s=ln.at, end_s=ln.end, language="zh", emotion=ln.emotion, emotion_confidence=0.9,
                        events=list(ln.events), itn=True, text=ln.text, raw_text=ln.text, loudness_dbfs=-20.0,
                        speaking_rate=4.0, rate_unit="chars/s", raised_voice=ln.raised)
                for i, ln in enumerate(sorted(call.lines, key=lambda ln: ln.at))]
        rec = Recording(recording_id=rid, path=call.audio or f"test://{call.name}", filename=f"{call.name}.wav", size_bytes=1,
                        format="wav", codec=None, duration_s=call.duration_s, sample_rate=16000,
                        channels=2 if call.stereo else 1, analysed_channels=2 if call.stereo else 1, mixed=False,
                        kind=call.kind, outcome=call.outcome, batch_id="qa-test", recorded_at=call.recorded_at or now(),
                        recorded_at_source="option",
                        language_requested="auto", model_id="test-double", model_revision=None, pipeline_version="1",
                        vad="test", ingested_at=now(), n_segments=len(segs),
                        speech_s=sum(s.duration_s for s in segs), metadata=call.meta)
        store.write_recording(rec, segs, find_pauses(segs, 0.5, rid, roles), replace=True)
    return store


def L(at: float, end: float, role: str, text: str, **kw) -> Line:  # noqa: N802 - reads as a script line
    return Line(at, end, role, text, **kw)


# -- a call that does everything each shipped form asks ---------------------------------------------
SERVICE = Call("service-good", "service", (
    L(0.5, 4.0, "agent", "您好，我是客服小王，工号一零二四，很高兴为您服务。"),
    L(4.5, 9.0, "customer", "我的订单三天了还没到，我真的很生气！", emotion="ANGRY"),
    L(9.5, 12.0, "agent", "非常抱歉，请问您的手机号是多少？"),
    L(12.5, 16.0, "customer", "一三八零零一二三四五六，你们快点处理。"),
    L(16.5, 19.0, "agent", "好的，我查到了您的订单。"),
    L(19.5, 27.0, "customer", "我买的是给孩子的生日礼物，周末就要用，现在一点消息都没有，物流也查不到。"),
    L(27.5, 31.0, "agent", "明白，我们会在两小时内回电给您，并加急处理。"),
    L(31.5, 34.0, "agent", "请问还有其他问题吗？"),
    L(34.5, 36.0, "customer", "没有了，谢谢。"),
    L(36.5, 38.5, "agent", "感谢您的来电，再见。"),
), duration_s=39.0)

SALES = Call("sales-good", "sales", (
    L(0.5, 4.0, "agent", "Hi, this is Anna from Toneboard, thanks for joining."),
    L(4.5, 9.0, "agent", "Today we will look at your call reviews and then plan next steps."),
    L(9.5, 13.0, "customer", "Great, we review about three hundred calls a week by hand right now."),
    L(13.5, 16.0, "agent", "How many people do the reviews today?"),
    L(16.5, 21.0, "customer", "Two team leads, and they only manage a small sample of the calls."),
    L(21.5, 24.0, "agent", "Which calls matter most to you?"),
    L(24.5, 30.0, "customer", "The angry ones, and the ones where a customer mentions cancelling the contract."),
    L(30.5, 33.0, "agent", "Would Chinese and English both be needed?"),
    L(33.5, 38.0, "customer", "Yes, both, our stores are in Shenzhen and Singapore.", emotion="HAPPY", events=("LAUGHTER",)),
    L(38.5, 44.0, "customer", "What does it cost for twenty agents? Our budget is tight."),
    L(45.0, 52.0, "agent", "For twenty agents it is one flat price per month, and the first month is free."),
    L(52.5, 57.0, "agent", "Shall we schedule a trial for next week with your two leads?"),
    L(57.5, 60.0, "customer", "Yes, next Tuesday works."),
), duration_s=61.0)

def _middle() -> tuple[Line, ...]:
    """Five minutes of practice: the teacher explains, a student answers (no question, no praise)."""
    out = []
    for t in range(52, 392, 10):
        out += [L(t, t + 5, "teacher", "我们再看下一题，这里要注意分母。"), L(t + 5.5, t + 8.5, "student", "分母不变，分子相加。")]
    return tuple(out)


CLASS = Call("class-good", "class", (
    L(0.5, 3.0, "teacher", "同学们好！"),
    L(3.5, 8.0, "teacher", "今天我们学习分数的加法，这节课的目标是会算同分母分数。"),
    L(8.5, 10.5, "teacher", "二分之一加二分之一等于多少？"),
    L(11.0, 14.0, "student", "等于一！"),
    L(14.5, 16.0, "teacher", "很好！"),
    L(16.5, 19.0, "teacher", "那三分之一加三分之一呢？"),
    L(19.5, 23.0, "student", "三分之二。"),
    L(23.5, 26.0, "teacher", "为什么分母不变？"),
    L(26.5, 32.0, "student", "因为是同样大小的块，只是块数变多了。"),
    L(32.5, 35.0, "teacher", "谁能举个例子？"),
    L(35.5, 40.0, "student", "一个披萨切成四块，我吃一块你吃一块。"),
    L(40.5, 43.0, "teacher", "一共吃了几分之几？"),
    L(43.5, 46.0, "student", "四分之二。"),
) + _middle() + (
    L(400.0, 408.0, "teacher", "今天我们学了同分母分数加法，作业是练习册第五页。"),
), duration_s=410.0, stereo=False)
