"""Demo calls around a change, for the experiments' tests: a pilot team and another, before and
after a date, each call won with its cell's planted probability (written at the recogniser's
boundary, ``qa_calls.write``)."""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from qa_calls import Call, L

CHANGE = date(2026, 11, 2)
PLANTED = {("Shenzhen", False): 0.31, ("Shenzhen", True): 0.49, ("Beijing", False): 0.30, ("Beijing", True): 0.32}


def cohort_calls(per_cell: int, seed: int, rates: dict | None = None, weeks: int = 4) -> list[Call]:
    """``per_cell`` sales calls per team and period, won with the cell's planted probability."""
    rng, rates = random.Random(seed), rates or PLANTED
    start = datetime.combine(CHANGE, datetime.min.time())
    calls = []
    for (team, after), p in rates.items():
        for i in range(per_cell):
            at = start + timedelta(days=rng.uniform(0, 7 * weeks - 0.01)) if after else start - timedelta(days=rng.uniform(0.01, 7 * weeks))
            calls.append(Call(f"demo-{seed}-{team}-{after}-{i}", "sales",
                              (L(1, 4, "agent", "您好，我来给您演示一下"), L(5, 8, "customer", "好的，请讲")), duration_s=10,
                              outcome="won" if rng.random() < p else "lost", meta={"team": team, "agent": f"{team[0]}{i % 5}"},
                              recorded_at=at))
    return calls
