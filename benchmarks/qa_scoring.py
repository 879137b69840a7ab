"""Quality forms at scale, and how often the machine's answers are right (issue 30).

1. **Scale**: the store of ``query_speed.py`` (N recordings of P segments, four teams, 40 agents),
   scored on a 12-item form (the shipped service form, applied to every kind so that every call is
   scored) in a fresh process as ``toneboard qa score`` does it: seconds, ms per call, answers
   written, the process's peak resident memory; then the same run again (nothing to do: every call
   is on the form's version; a store kept with ``--keep`` and scored before is measured as it is:
   delete its folder to measure scoring from nothing). Then the Quality and Review pages rendered (AppTest, the way the
   server runs them) p50 / p95 over ``--runs``: the review target is < 1 s at 100,000 calls.
2. **Planted truth** (``--planted``): service calls written at the recogniser's boundary (the words,
   roles, times and emotions ingest would store: ``tests/qa_calls.py``), each item's truth drawn at
   random, said in the many ways agents and customers say it (some of them ways the shipped form's
   words do not know: the figures say what a user would meet), scored through the product's path;
   per item, how often the automatic answer matches the planted one.

    python benchmarks/qa_scoring.py --recordings 10000 [--segments-per 60] [--runs 5] [--keep DIR]
    python benchmarks/qa_scoring.py --planted 400 [--seed 2]
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("STREAMLIT_LOGGER_LEVEL", "error")

SERVICE_FORM = ROOT / "data" / "forms" / "service.yaml"


def every_kind_form():
    """The shipped service form (12 items), applied to every kind of call."""
    from analytics.qa.forms import load_form

    text = SERVICE_FORM.read_text(encoding="utf-8").replace("kinds: [service]", "kinds: [service, sales, class]")
    return load_form(text)


def p95(xs: list[float]) -> float:
    return sorted(xs)[max(0, round(0.95 * len(xs)) - 1)]


# -- 1. scale ---------------------------------------------------------------------------------------
def score_child(db: Path) -> None:
    """In a fresh process: score every call, then again; print seconds and peak memory."""
    from analytics.qa.scoring import score_calls

    form = every_kind_form()
    report = score_calls(db, [form])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    again = score_calls(db, [form])
    print(f"scored {report.calls:,} calls ({report.answers:,} answers) in {report.seconds:.1f} s: "
          f"{1000 * report.seconds / max(report.calls, 1):.2f} ms per call; peak resident memory {peak:,.0f} MB; "
          f"again (nothing to do): {again.seconds:.1f} s, {again.calls} calls", flush=True)


def render_child(db: Path, runs: int) -> None:
    """The Quality page (on the scored form) and the Review page (its newest scored call), in English,
    rendered ``runs`` times after a warm-up (page_render's way)."""
    from page_render import server_times

    for page, times in server_times(db, runs, "en", pages=("quality", "review"), state={"qa_form": "service"}).items():
        ms = [1000 * t for t in times]
        print(f"page {page}: p50 {statistics.median(ms):.0f} ms, p95 {p95(ms):.0f} ms ({runs} runs)", flush=True)


def scale(a) -> None:
    from query_speed import generate

    from analytics.db import compact
    from ingest.store import Store

    work = a.keep or Path(tempfile.mkdtemp())
    work.mkdir(parents=True, exist_ok=True)
    db = work / "bench.duckdb"
    if not Store(db).exists():
        t = time.perf_counter()
        for first in range(0, a.recordings, a.chunk):
            generate(db, min(a.chunk, a.recordings - first), a.segments_per, first=first, total=a.recordings)
            compact(db)
        print(f"store: {a.recordings:,} recordings of {a.segments_per} segments written in "
              f"{time.perf_counter() - t:.0f} s", flush=True)
    print(f"{os.cpu_count()} cores, {datetime.now():%Y-%m-%d}", flush=True)
    subprocess.run([sys.executable, __file__, "--score-child", str(db)], check=True)
    subprocess.run([sys.executable, __file__, "--render-child", str(db), "--runs", str(a.runs)], check=True)
    if a.keep is None:
        shutil.rmtree(work, ignore_errors=True)


# -- 2. planted truth -------------------------------------------------------------------------------
# how agents and customers say each thing (written from calls, not from the form's word lists)
GREET = ["您好", "你好", "您好呀", "早上好", "下午好", "晚上好", "喂，您好", "哈喽", "Hello", "Good morning", "Hi there"]
NAME = ["我是小王", "我是客服小李", "工号一零二四", "我叫陈晨", "我姓王", "我这边是三号客服", "my name is Anna", "Tom speaking"]
VERIFY = ["请问您的手机号是多少？", "麻烦报一下您的订单号好吗？", "能告诉我您的姓名吗？", "您的注册手机是哪个？",
          "请提供一下您的会员卡号？", "Could you confirm your phone number?", "What is your order number?"]
NOT_A_QUESTION = ["订单号我这边看到了。", "您的手机号已经登记了。"]
ABUSE = ["你有病吧", "闭嘴", "你是不是傻", "你脑子进水了吧", "shut up", "别烦我"]
NEXT = ["我们会在两小时内回电给您", "稍后会有短信通知您", "我给您提交一个工单跟进", "明天给您答复", "We'll email you today",
        "I will call you back tomorrow", "下午三点前给您处理好"]
ELSE = ["请问还有其他问题吗？", "还有别的需要帮忙的吗？", "还有什么可以帮您？", "其他还有问题吗？", "Anything else I can help with?",
        "Is there anything else?"]
BYE = ["感谢您的来电，再见。", "谢谢，再见。", "祝您生活愉快。", "Thank you, bye.", "拜拜。", "Thanks for calling, goodbye."]
AGENT_FILL = ["好的，我看一下。", "这边帮您查询。", "明白您的意思。", "系统显示已经发货了。", "这个需要物流确认。", "okay, let me check."]
CUSTOMER_FILL = ["我上周买的东西还没到。", "物流一直不更新。", "那怎么办呢？", "好的。", "我周末要用。", "it still has not arrived."]


def planted_call(i: int, rng: random.Random):
    """One service call and its planted truth per item (yes / no / na)."""
    from tests.qa_calls import Call, L

    truth, lines, t = {}, [], 0.5

    def say(role: str, text: str, dur: float, gap: float = 0.6, **kw) -> None:
        nonlocal t
        lines.append(L(t, t + dur, role, text, **kw))
        t += dur + gap

    greet, named = rng.random() < 0.7, rng.random() < 0.6
    late = not greet and rng.random() < 0.3  # the greeting comes, but after 15 s
    truth["greeting"], truth["gives_name"] = ("yes" if greet else "no"), ("yes" if named else "no")
    opening = (rng.choice(GREET) + "，" if greet else "") + (rng.choice(NAME) + "，" if named else "") + "请问有什么可以帮您？"
    say("agent", opening, 3.5)
    angry = rng.random() < 0.4
    say("customer", rng.choice(CUSTOMER_FILL) + "你们怎么回事！" if angry else rng.choice(CUSTOMER_FILL), 4.0,
        emotion="ANGRY" if angry else "NEUTRAL")
    if late:
        t = max(t, 16.0)
        say("agent", rng.choice(GREET[:6]) + "，不好意思。", 2.0)
    verify = rng.random() < 0.6
    truth["verifies_caller"] = "yes" if verify else "no"
    say("agent", rng.choice(VERIFY) if verify else rng.choice(NOT_A_QUESTION + AGENT_FILL), 3.0)
    say("customer", "一三八零零一二三四五六。" if verify else rng.choice(CUSTOMER_FILL), 3.0)
    interruptions = rng.choice([0, 0, 1, 2, 3, 4])
    truth["no_interrupting"] = "yes" if interruptions < 3 else "no"
    agent_angry = angry and rng.random() < 0.35
    abuse = rng.random() < 0.1
    long_gap = rng.random() < 0.25
    for k in range(rng.randint(6, 10)):
        c = rng.uniform(2.0, 7.0)
        say("customer", rng.choice(CUSTOMER_FILL), c, gap=-1.0 if k < interruptions else 0.6)  # the agent cuts in
        a = rng.uniform(1.5, 6.0) * (2.5 if rng.random() < 0.3 else 1.0)
        text = rng.choice(AGENT_FILL)
        if abuse and k == 2:
            text = rng.choice(ABUSE) + "，" + text
        say("agent", text, a, gap=12.5 if long_gap and k == 3 else 0.6, emotion="ANGRY" if agent_angry and k == 1 else "NEUTRAL")
    truth["no_long_silence"] = "no" if long_gap else "yes"
    truth["calm_with_angry"] = ("no" if agent_angry else "yes") if angry else "na"
    truth["no_abuse"] = "no" if abuse else "yes"
    nxt, other, bye = rng.random() < 0.6, rng.random() < 0.5, rng.random() < 0.7
    truth["next_step"], truth["anything_else"], truth["thanks_goodbye"] = (
        "yes" if nxt else "no", "yes" if other else "no", "yes" if bye else "no")
    if nxt:
        say("agent", rng.choice(NEXT) + "。", 3.0)
    if other:
        say("agent", rng.choice(ELSE), 2.0)
        say("customer", "没有了。", 1.5)
    if bye:
        say("agent", rng.choice(BYE), 2.0)
    else:
        say("agent", "好的。", 1.0)
    lines.sort(key=lambda ln: ln.at)
    agent_s = sum(ln.end - ln.at for ln in lines if ln.role == "agent")  # every line, the opening's and closing's too
    customer_s = sum(ln.end - ln.at for ln in lines if ln.role == "customer")
    truth["listens"] = "yes" if agent_s / (agent_s + customer_s) < 0.7 else "no"
    return Call(f"planted-{i}", "service", tuple(lines), duration_s=t + 1.0), truth


def planted(n: int, seed: int) -> None:
    from analytics.db import Data
    from analytics.qa.forms import load_form
    from analytics.qa.scoring import score_calls
    from tests.qa_calls import write

    rng = random.Random(seed)
    calls = [planted_call(i, rng) for i in range(n)]
    work = Path(tempfile.mkdtemp())
    try:
        db = work / "planted.duckdb"
        write(db, [c for c, _ in calls]).close()
        form = load_form(SERVICE_FORM.read_text(encoding="utf-8"))
        score_calls(db, [form])
        con = Data(db).con
        got = {(r, i): s for r, i, s in con.execute("SELECT recording_id, item_id, status FROM qa_answers").fetchall()}
        print(f"{n} planted service calls (seed {seed}), {datetime.now():%Y-%m-%d}\n")
        print("| item | calls | machine = planted | machine yes, planted no | machine no, planted yes | n/a wrong |")
        print("|---|---|---|---|---|---|")
        for item in (i for i in form.items if i.auto):
            pairs = [(got.get((c.recording_id, item.id)), t[item.id]) for c, t in calls]
            ok = sum(m == p for m, p in pairs)
            kinds = Counter((m, p) for m, p in pairs if m != p)
            wrong_na = sum(v for (m, p), v in kinds.items() if "na" in (m, p))
            print(f"| {item.id} | {len(pairs)} | {ok / len(pairs):.1%} | {kinds[('yes', 'no')]} | {kinds[('no', 'yes')]} | {wrong_na} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--recordings", type=int, default=0)
    ap.add_argument("--segments-per", type=int, default=60)
    ap.add_argument("--chunk", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--keep", type=Path, metavar="DIR", help="write the store in DIR and keep it (measured again if there)")
    ap.add_argument("--planted", type=int, default=0, help="planted-truth service calls to score")
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--score-child", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--render-child", type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.score_child:
        return score_child(a.score_child)
    if a.render_child:
        return render_child(a.render_child, a.runs)
    if a.recordings:
        scale(a)
    if a.planted:
        planted(a.planted, a.seed)
    if not (a.recordings or a.planted):
        ap.error("say --recordings N and/or --planted N")


if __name__ == "__main__":
    main()
