"""Rules evaluated while a call is going on, segment by segment, each giving the agent (or a
supervisor) an alert with a suggested action, at most once per rule per cooldown.

    angry_twice           the customer sounded ANGRY twice within 60 s (each at least as sure as the
                          team's threshold for ANGRY, read when the call starts)
    faster                the customer speaks > 30 % faster than in their own first minute
    louder                the customer is > 6 dB louder than in their own first minute
    raised_voice          the customer's voice is raised: pitch >= 3 semitones and loudness >= 5 dB
                          above their own first minute (ingest.prosody's measure, whatever the model heard)
    silence_after_question nobody has spoken for > 5 s after the agent's question
    phrase                the customer said a watched phrase ("speak to a manager", "找你们经理" …)

On a mono call (one channel, both parties) a segment the live server could attribute (to the
agent's enrolled voiceprint, or clearly not) counts as that party's; any other segment counts as
the customer's and any question as the agent's. Pure logic: no I/O, no clock (times are seconds into the call).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .. import prosody
from ..models.header import DEFAULT_THRESHOLD

MESSAGES = {
    "angry_twice": ("The customer sounds angry again: acknowledge it and offer a concrete next step.",
                    "客户再次出现愤怒情绪：先安抚，再给出明确的解决方案。"),
    "faster": ("The customer is speaking faster, possibly anxious: slow down and reassure.",
               "客户语速加快，可能焦虑：放慢语速，先安抚。"),
    "louder": ("The customer is getting louder: lower your voice and let them finish.",
               "客户音量升高：降低音量，让客户说完。"),
    "raised_voice": ("The customer's voice is raised (higher and louder than at the start): stay calm, "
                     "acknowledge how they feel, then offer a concrete next step.",
                     "客户声音升高（比开头更高更响）：保持冷静，先认可对方感受，再给出明确的下一步。"),
    "silence_after_question": ("Long silence after your question: rephrase it or check they are still there.",
                               "提问后长时间沉默：换个说法再问，或确认对方是否还在。"),
    "phrase": ("The customer asked for escalation: consider bringing in a supervisor.",
               "客户要求升级处理：考虑请主管介入。"),
}
PHRASES = ("speak to a manager", "talk to a manager", "your supervisor", "cancel my account",
           "找你们经理", "叫你们领导", "我要投诉", "投诉你们")


@dataclass
class LiveRuleSettings:
    customer_role: str = "customer"
    agent_role: str = "agent"
    angry_window_s: float = 60.0
    # ANGRY counts from this probability on (the team's threshold, analytics.confidence; a segment
    # without a probability counts)
    min_confidence: float = DEFAULT_THRESHOLD
    baseline_s: float = 60.0  # the customer's own first minute is their baseline
    faster_ratio: float = 1.3
    louder_db: float = 6.0
    raised_st: float = prosody.RAISED_ST
    raised_db: float = prosody.RAISED_DB
    silence_s: float = 5.0
    phrases: tuple[str, ...] = PHRASES
    cooldown_s: float = 60.0
    language: str = "en"  # en | zh: the language of the suggested actions
    messages: dict[str, tuple[str, str]] = field(default_factory=lambda: dict(MESSAGES))


@dataclass
class Alert:
    rule: str
    at_s: float
    message: str
    detail: str


class LiveRules:
    """Feed every recognised segment (``on_segment``) and the passing time (``on_time``)."""

    def __init__(self, settings: LiveRuleSettings | None = None, mono: bool = False):
        self.s = settings or LiveRuleSettings()
        self.mono = mono
        self.angry: list[float] = []
        self.base_rates: list[float] = []
        self.base_loud: list[float] = []
        self.base_pitch: list[float] = []
        self.question_end: float | None = None  # the agent's last question, while nobody answered
        self.last_fired: dict[str, float] = {}

    def _alert(self, rule: str, at_s: float, detail: str) -> list[Alert]:
        last = self.last_fired.get(rule)
        if last is not None and at_s - last < self.s.cooldown_s:
            return []
        self.last_fired[rule] = at_s
        en, zh = self.s.messages[rule]
        return [Alert(rule, round(at_s, 3), zh if self.s.language == "zh" else en, detail)]

    def on_segment(self, role: str, start_s: float, end_s: float, emotion: str | None, text: str,
                   loudness_dbfs: float | None, speaking_rate: float | None,
                   emotion_confidence: float | None = None, pitch_hz: float | None = None) -> list[Alert]:
        s, out = self.s, []
        # mono: a segment attributed to one party (the agent's enrolled voice) counts as theirs;
        # one that is not ("mixed") counts as either
        customer = role == s.customer_role or (self.mono and role != s.agent_role)
        agent = role == s.agent_role or (self.mono and role != s.customer_role)
        if self.question_end is not None and start_s > self.question_end:
            gap = start_s - self.question_end  # answered (or not) now; on_time may have fired already
            if gap > s.silence_s:
                out += self._alert("silence_after_question", self.question_end + s.silence_s,
                                   f"{gap:.1f} s of silence after the question")
            self.question_end = None
        if customer:
            if emotion == "ANGRY" and (emotion_confidence is None or emotion_confidence >= s.min_confidence):
                self.angry = [t for t in self.angry if end_s - t <= s.angry_window_s] + [end_s]
                if len(self.angry) >= 2:
                    out += self._alert("angry_twice", end_s, f"ANGRY {len(self.angry)} times in {s.angry_window_s:g} s")
            in_baseline = start_s < s.baseline_s
            if speaking_rate:
                if in_baseline:
                    self.base_rates.append(speaking_rate)
                elif len(self.base_rates) >= 2:
                    base = sum(self.base_rates) / len(self.base_rates)
                    if speaking_rate > base * s.faster_ratio:
                        out += self._alert("faster", end_s, f"{speaking_rate:.1f} vs {base:.1f} in the first minute")
            if loudness_dbfs is not None:
                if in_baseline:
                    self.base_loud.append(loudness_dbfs)
                elif len(self.base_loud) >= 2:
                    base = sum(self.base_loud) / len(self.base_loud)
                    if loudness_dbfs > base + s.louder_db:
                        out += self._alert("louder", end_s, f"{loudness_dbfs:.1f} dBFS vs {base:.1f} in the first minute")
            if pitch_hz:
                if in_baseline:
                    self.base_pitch.append(pitch_hz)
                elif len(self.base_pitch) >= 2 and len(self.base_loud) >= 2 and loudness_dbfs is not None:
                    st = prosody.semitones(pitch_hz, sorted(self.base_pitch)[len(self.base_pitch) // 2])
                    db = loudness_dbfs - sum(self.base_loud) / len(self.base_loud)
                    if st >= s.raised_st and db >= s.raised_db:
                        out += self._alert("raised_voice", end_s, f"pitch {st:+.1f} semitones, {db:+.1f} dB against the first minute")
            low = (text or "").lower()
            said = [p for p in s.phrases if p.lower() in low]
            if said:
                out += self._alert("phrase", end_s, f"said “{said[0]}”")
        if agent and text and text.rstrip().endswith(("?", "？")):
            self.question_end = end_s
        return out

    def on_time(self, now_s: float, someone_speaking: bool) -> list[Alert]:
        """Silence after the agent's question, while it is happening."""
        if self.question_end is None or someone_speaking or now_s - self.question_end <= self.s.silence_s:
            return []
        return self._alert("silence_after_question", self.question_end + self.s.silence_s,
                           f"no answer {now_s - self.question_end:.1f} s after the question")
