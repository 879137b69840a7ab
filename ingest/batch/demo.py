"""Demo data: a seeded, realistic synthetic dataset with planted patterns, written to the store
like ingested recordings (no audio) and marked as demo data on its batch, so one command removes it.

Planted patterns (what the analytics tests recover):
  * sales demos, won vs lost: right after the agent mentions the custom-dashboard feature, won
    prospects answer within 0.8–1.8 s SURPRISED with LAUGHTER; lost ones stay silent 2.5–4 s, then
    answer NEUTRAL. Nothing else differs between the cohorts.
  * service calls: ``complaint`` calls have the customer ANGRY at least twice and never HAPPY after
    the last ANGRY; ``relief`` calls start ANGRY and end HAPPY; in ``no_greeting`` calls the agent's
    first words carry no greeting. Other customers are never ANGRY.
  * classes (teacher on channel 0, students on channel 1): some teacher questions are followed by
    more than 5 s of silence and a student COUGH (stuck points); others are answered at once.
    Classes 3–5 of the second course have BGM.
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from .. import PIPELINE_VERSION, ids
from ..models.header import EMOTION_CLASSES, EVENT_CLASSES
from ..records import Batch, Recording, Segment, now
from ..signals import find_pauses, speaking_rate
from ..store import Store

DEMO_MODEL = "demo-data (synthetic, no audio)"

FEATURE = {"zh": "我们的数据看板支持自定义维度", "en": "our dashboard supports custom dimensions",
           "yue": "我哋嘅數據看板支援自定義維度", "ja": "ダッシュボードはカスタム次元に対応しています",
           "ko": "대시보드는 사용자 정의 차원을 지원합니다"}
GREETING = {"zh": "您好，很高兴为您服务", "en": "hello, thank you for calling", "yue": "你好，好高興為你服務",
            "ja": "こんにちは、お電話ありがとうございます", "ko": "안녕하세요, 전화 주셔서 감사합니다"}
CHATTER = {
    "zh": ["请问您的订单号是多少", "我帮您查一下", "这个问题我们会尽快处理", "好的明白了", "还有其他问题吗",
           "价格方面可以再谈", "我们下周可以安排上线", "这个功能很多客户在用"],
    "en": ["could you give me your order number", "let me check that for you", "we will fix this quickly",
           "okay I understand", "anything else I can help with", "we can talk about pricing",
           "we could go live next week", "many customers use this feature"],
    "yue": ["你張單號碼係幾多", "我幫你睇下", "我哋會盡快處理", "好明白", "仲有冇其他問題"],
    "ja": ["ご注文番号を教えてください", "確認いたします", "すぐに対応します", "承知しました", "他にご質問はありますか"],
    "ko": ["주문 번호를 알려주세요", "확인해 드리겠습니다", "빨리 처리하겠습니다", "알겠습니다", "다른 질문 있으세요"],
}
COMPLAINT = {"zh": "已经三天了还没收到", "en": "it has been three days and nothing arrived", "yue": "三日都未收到",
             "ja": "三日経ってもまだ届きません", "ko": "삼 일이 지났는데 아직 안 왔어요"}
QUESTION = {"zh": "谁能解释这个循环的逻辑？", "en": "who can explain this loop?"}
TEAMS = [("Shenzhen", "Li", "zh"), ("Shenzhen", "Zhang", "zh"), ("Beijing", "Wang", "zh"),
         ("Hong Kong", "Chan", "yue"), ("Tokyo", "Sato", "ja"), ("Seoul", "Kim", "ko"), ("Singapore", "Tan", "en")]


@dataclass
class Planted:
    """What was planted, for tests and for the curious."""

    won: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    feature_at: dict[str, float] = field(default_factory=dict)  # recording -> end of the phrase
    complaints: list[str] = field(default_factory=list)
    relief: list[str] = field(default_factory=list)
    no_greeting: list[str] = field(default_factory=list)
    stuck: dict[str, list[float]] = field(default_factory=dict)  # class -> end times of the questions
    answered: dict[str, list[float]] = field(default_factory=dict)
    bgm_classes: list[str] = field(default_factory=list)
    recent_complaints: list[str] = field(default_factory=list)  # within the last 24 h


def _spread(rng: random.Random, classes, given: dict[str, float]) -> dict[str, float]:
    """A made-up distribution over ``classes`` with the ``given`` probabilities, the rest spread at random."""
    rest = [c for c in classes if c not in given]
    weights = [rng.random() for _ in rest]
    left = max(0.0, 1.0 - sum(given.values()))
    return {c: round(given[c] if c in given else left * weights[rest.index(c)] / sum(weights), 4) for c in classes}


def _events_given(rng: random.Random, events) -> dict[str, float]:
    """The probabilities a made-up segment gives its events: one event sure enough to count
    (analytics.confidence's default, 0.5), two sharing the whole; none: plain speech."""
    if not events:
        return {"SPEECH": rng.uniform(0.7, 0.97)}
    return {events[0]: rng.uniform(0.5, 0.95)} if len(events) == 1 else dict.fromkeys(events, round(1 / len(events), 4))


class _Call:
    def __init__(self, label: str, rng: random.Random, lang: str):
        # the id has a real recording id's shape (64 hex): the label names the file
        self.label, self.rid = label, ids.made_up(label)
        self.rng, self.lang, self.t, self.segs = rng, lang, 0.5, []
        self.prob_rng = random.Random(f"{label} probabilities")  # its own stream: the calls stay as they were

    def say(self, ch: int, role: str, text: str, emotion: str = "NEUTRAL", events=(), gap: float | None = None,
            dur: float | None = None, loud: float | None = None, conf: float | None = None) -> tuple[float, float]:
        r = self.rng
        self.t += r.uniform(0.15, 0.45) if gap is None else gap
        d = dur or max(1.0, len(text) * (0.22 if self.lang in ("zh", "yue", "ja", "ko") else 0.07) * r.uniform(0.85, 1.2))
        b, e = round(self.t, 3), round(self.t + d, 3)
        rate, unit = speaking_rate(text, d)
        lvl = loud if loud is not None else r.uniform(-28, -20) + (6 if emotion == "ANGRY" else 0)
        header = f"<|{self.lang}|><|{emotion}|><|{(list(events) or ['Speech'])[0].title()}|><|withitn|>"
        conf = conf if conf is not None else round(r.uniform(0.55, 0.98), 3)
        pr = self.prob_rng
        self.segs.append(Segment(recording_id=self.rid, channel=ch, role=role, seg_index=len(self.segs), start_s=b, end_s=e,
                                 language=self.lang, emotion=emotion, emotion_confidence=conf, events=list(events),
                                 itn=True, text=text, raw_text=header + text, loudness_dbfs=round(lvl, 2), speaking_rate=rate,
                                 rate_unit=unit, emotion_probs=_spread(pr, EMOTION_CLASSES, {emotion: conf}),
                                 event_probs=_spread(pr, EVENT_CLASSES, _events_given(pr, events)),
                                 language_confidence=round(pr.uniform(0.8, 0.99), 3)))
        self.t = e
        return b, e

    def chatter(self, n: int, roles=((0, "agent"), (1, "customer")), emotions=("NEUTRAL",) * 6 + ("HAPPY", "SAD")):
        for _ in range(n):
            ch, role = self.rng.choice(roles)
            self.say(ch, role, self.rng.choice(CHATTER.get(self.lang, CHATTER["en"])), self.rng.choice(emotions),
                     gap=self.rng.uniform(0.2, 1.2))


def build(db_path: str | Path, seed: int = 7, now_: datetime | None = None) -> Planted:
    """Write the demo dataset into the store of ``db_path``; returns what was planted. (The product
    calls ``analytics.workflow.after_batch.build_demo``, which also compacts it and opens its tickets.)"""
    rng = random.Random(seed)
    anchor = (now_ or datetime.now()).replace(microsecond=0)
    store = Store(db_path)
    store.init()
    batch = Batch(batch_id=f"demo-{seed}", name="demo data (synthetic)", started_at=now(), finished_at=None,
                  status="running", options=json.dumps({"demo": True, "seed": seed}))
    store.write_batch(batch)
    planted = Planted()
    recs = []

    def finish(call: _Call, kind: str, outcome, when: datetime, meta: dict, roles: dict):
        call.segs.sort(key=lambda s: s.start_s)
        for i, s in enumerate(call.segs):
            s.seg_index = i
        pauses = find_pauses(call.segs, 0.5, call.rid, roles)
        dur = round(call.t + 0.8, 3)
        rec = Recording(recording_id=call.rid, path=f"demo://{call.rid}", filename=f"{call.label}.wav", size_bytes=0, format="demo",
                        codec=None, duration_s=dur, sample_rate=16000, channels=len(roles), analysed_channels=len(roles), mixed=False,
                        kind=kind, outcome=outcome, batch_id=batch.batch_id, recorded_at=when, recorded_at_source="demo",
                        language_requested="auto", model_id=DEMO_MODEL, model_revision=None, pipeline_version=PIPELINE_VERSION,
                        vad="demo", ingested_at=now(), n_segments=len(call.segs),
                        speech_s=round(sum(s.duration_s for s in call.segs), 3), metadata=meta)
        store.write_recording(rec, call.segs, pauses, replace=True)
        recs.append(rec)

    stereo = {0: "agent", 1: "customer"}
    # -- sales demos -------------------------------------------------------------------------
    for i in range(40):
        won = i % 2 == 0
        team, agent, lang = TEAMS[i % len(TEAMS)]
        c = _Call(f"demo-sales-{i:03d}", rng, lang)
        c.chatter(rng.randint(6, 10))
        _, end = c.say(0, "agent", FEATURE[lang], "HAPPY", gap=0.6)
        planted.feature_at[c.rid] = end
        if won:
            c.say(1, "customer", rng.choice(CHATTER.get(lang, CHATTER["en"])), "SURPRISED", ["LAUGHTER"],
                  gap=rng.uniform(0.8, 1.8))
        else:
            c.say(1, "customer", rng.choice(CHATTER.get(lang, CHATTER["en"])), "NEUTRAL", gap=rng.uniform(2.6, 4.0))
        c.chatter(rng.randint(6, 10))
        (planted.won if won else planted.lost).append(c.rid)
        when = anchor - timedelta(days=rng.uniform(1, 28), hours=rng.uniform(0, 8))
        finish(c, "sales", "won" if won else "lost", when.replace(hour=9 + i % 9),
               {"agent": agent, "team": team, "customer": f"ACME-{i:03d}"}, stereo)
    # -- service calls -------------------------------------------------------------------------
    for i in range(60):
        team, agent, lang = TEAMS[(i * 3) % len(TEAMS)]
        c = _Call(f"demo-service-{i:03d}", rng, lang)
        kind = "complaint" if i % 8 == 0 else "relief" if i % 8 == 3 else "no_greeting" if i % 8 == 5 else "plain"
        if kind == "no_greeting":
            c.say(0, "agent", rng.choice(CHATTER.get(lang, CHATTER["en"])), gap=0.3)
            planted.no_greeting.append(c.rid)
        else:
            c.say(0, "agent", GREETING[lang], "HAPPY", gap=0.3)
        if kind == "complaint":
            c.chatter(3)
            c.say(1, "customer", COMPLAINT[lang], "ANGRY", gap=0.4)
            c.chatter(2, roles=((0, "agent"),))
            c.say(1, "customer", COMPLAINT[lang], "ANGRY", gap=0.4)
            c.chatter(2, roles=((0, "agent"),), emotions=("NEUTRAL", "SAD"))
            c.say(1, "customer", rng.choice(CHATTER.get(lang, CHATTER["en"])), "SAD", gap=0.5)
            planted.complaints.append(c.rid)
        elif kind == "relief":
            c.say(1, "customer", COMPLAINT[lang], "ANGRY", gap=0.4)
            c.say(1, "customer", COMPLAINT[lang], "ANGRY", gap=0.4)
            c.chatter(8, emotions=("NEUTRAL",))
            c.say(1, "customer", rng.choice(CHATTER.get(lang, CHATTER["en"])), "HAPPY", gap=0.4)
            c.say(1, "customer", rng.choice(CHATTER.get(lang, CHATTER["en"])), "HAPPY", gap=0.4)
            planted.relief.append(c.rid)
        else:
            c.chatter(rng.randint(8, 14))
        recent = i % 8 == 0 and i < 24
        when = anchor - (timedelta(hours=rng.uniform(1, 20)) if recent else timedelta(days=rng.uniform(2, 28)))
        if recent:
            planted.recent_complaints.append(c.rid)
        finish(c, "service", None, when, {"agent": agent, "team": team, "customer": f"C-{i:04d}"}, stereo)
    # -- classes -------------------------------------------------------------------------------
    for course, lang, teacher in (("Python 101", "zh", "Ms Zhou"), ("Data Basics", "en", "Mr Lee")):
        for n in range(6):
            cid = f"demo-class-{'py' if lang == 'zh' else 'data'}-{n + 1}"
            c = _Call(cid, rng, lang)
            bgm = course == "Data Basics" and n in (2, 3, 4)
            events = ["BGM"] if bgm else []
            planted.stuck[c.rid], planted.answered[c.rid] = [], []
            for q in range(4):
                c.chatter(rng.randint(3, 5), roles=((0, "teacher"),))
                _, qend = c.say(0, "teacher", QUESTION[lang], gap=0.5)
                if q % 2 == 1:  # stuck: nobody answers for > 5 s, then a cough and a hesitant answer
                    c.say(1, "student", CHATTER[lang][3], "NEUTRAL", ["COUGH"] + events, gap=rng.uniform(5.6, 7.0))
                    planted.stuck[c.rid].append(qend)
                else:
                    c.say(1, "student", CHATTER[lang][1], "HAPPY", events, gap=rng.uniform(0.4, 1.2))
                    planted.answered[c.rid].append(qend)
            if bgm:
                planted.bgm_classes.append(c.rid)
            when = anchor - timedelta(days=7 * (6 - n) - 1, hours=rng.uniform(0, 2))
            finish(c, "class", None, when.replace(hour=19), {"teacher": teacher, "course": course, "class": str(n + 1)},
                   {0: "teacher", 1: "student"})
    batch.status, batch.finished_at = "finished", now()
    batch.n_files = batch.n_ingested = len(recs)
    batch.audio_s = round(sum(r.duration_s for r in recs), 3)
    store.write_batch(batch)
    store.close()
    return planted


def remove(db_path: str | Path) -> int:
    """Remove every recording of demo batches (and those batches); returns how many."""
    store = Store(db_path)
    store.init()
    import duckdb

    con = duckdb.connect()
    try:
        batches = [b for (b,) in con.execute(
            "SELECT batch_id FROM read_parquet(?, union_by_name = true) WHERE json_extract(options, '$.demo') = 'true'",
            [store.table_files("batches")]).fetchall()]
        rids = [r for (r,) in con.execute(
            f"SELECT recording_id FROM ({store.recordings_sql()}) WHERE batch_id IN (SELECT unnest(?::VARCHAR[]))",
            [batches]).fetchall()] if batches else []
    finally:
        con.close()
    n = store.remove_recordings(rids)
    for b in batches:
        store.remove_batch(b)
    store.close()
    return n
