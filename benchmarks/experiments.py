"""Did our change work? — how often the experiment's 95 % interval covers a planted effect (issue 31).

Simulated cohorts, the product's own estimator (``analytics.experiments.estimate``: the four groups'
means and variances, the difference-in-differences and its normal interval):

1. **Independent calls**: a pilot and everyone else, before and after; each call won with its group's
   planted probability (pilot 31 % -> 49 %, others 30 % -> 32 %: +16 points), ``--per-cell`` calls per
   group; over ``--sims`` runs: the mean estimate, its bias, how often the interval covers +16, the mean
   width, how often it is called "probably real".
2. **No effect**: both groups rise alike (+10 points): how often an interval leaves 0 out (a false "probably
   real"; 5 % expected).
3. **Agents who differ**: each group's calls come from 8 agents whose own won rates differ (a logit
   spread of 0.8) and whose share of the calls changes between before and after: the calls are no longer
   independent, which the interval does not know; how often it still covers the planted effect.
4. **Through the store**: one planted store (``tests/experiment_calls.py``) estimated as the page does.

    python benchmarks/experiments.py [--sims 200] [--per-cell 120] [--seed 9]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

RATES = {("pilot", False): 0.31, ("pilot", True): 0.49, ("others", False): 0.30, ("others", True): 0.32}
NULL = {("pilot", False): 0.30, ("pilot", True): 0.40, ("others", False): 0.30, ("others", True): 0.40}


def truth(rates: dict) -> float:
    return (rates[("pilot", True)] - rates[("pilot", False)]) - (rates[("others", True)] - rates[("others", False)])


def one(rng: np.random.Generator, rates: dict, n: int, agents: int = 0, spread: float = 0.0) -> tuple[float, float, float]:
    from analytics.experiments.estimate import Z95, _cells, difference
    rows = []
    for (group, after), p in rates.items():
        if agents:
            effect = rng.normal(0, spread, agents) if not after else None
            rows.append((group, after, p, effect))
        else:
            y = rng.random(n) < p
            rows += [pd.DataFrame({"pilot": group == "pilot", "after": after, "y": y.astype(float)})]
    if agents:  # the same agents before and after, their shares of the calls drawn anew for each period
        frames = []
        effects = {g: rng.normal(0, spread, agents) for g in ("pilot", "others")}
        for (group, after), p in rates.items():
            share = rng.dirichlet(np.ones(agents))
            who = rng.choice(agents, size=n, p=share)
            logit = np.log(p / (1 - p)) + effects[group][who] - effects[group].mean()
            y = rng.random(n) < 1 / (1 + np.exp(-logit))
            frames.append(pd.DataFrame({"pilot": group == "pilot", "after": after, "y": y.astype(float)}))
        rows = frames
    calls = pd.concat(rows, ignore_index=True)
    est, se = difference(_cells(calls, ["pilot", "others"]))
    return est, est - Z95 * se, est + Z95 * se


def simulate(label: str, rates: dict, sims: int, n: int, seed: int, agents: int = 0, spread: float = 0.0) -> None:
    rng = np.random.default_rng(seed)
    res = np.array([one(rng, rates, n, agents, spread) for _ in range(sims)])
    true = truth(rates)
    covered = ((res[:, 1] <= true) & (true <= res[:, 2])).mean()
    real = ((res[:, 1] > 0) | (res[:, 2] < 0)).mean()
    print(f"{label}: {sims} simulations of {n} calls per group; planted {100 * true:+.0f} points; mean estimate "
          f"{100 * res[:, 0].mean():+.1f} (bias {100 * (res[:, 0].mean() - true):+.1f}); the interval covers the planted effect in "
          f"{covered:.1%}; mean width {100 * (res[:, 2] - res[:, 1]).mean():.0f} points; called probably real in {real:.1%}", flush=True)


def through_the_store(seed: int) -> None:
    from experiment_calls import CHANGE, PLANTED, cohort_calls
    from qa_calls import write

    from analytics.db import Data
    from analytics.experiments import design, estimate
    db = Path(tempfile.mkdtemp()) / "t.duckdb"
    write(db, cohort_calls(120, seed)).close()
    e = design.parse({"id": "script", "name": "New script", "change": str(CHANGE), "pilot": {"team": ["Shenzhen"]}, "outcome": "won"})
    t = time.perf_counter()
    a = estimate.estimate(Data(db).con, e)
    ms = 1000 * (time.perf_counter() - t)
    planted = (PLANTED[("Shenzhen", True)] - PLANTED[("Shenzhen", False)]) - (PLANTED[("Beijing", True)] - PLANTED[("Beijing", False)])
    print(f"through the store (480 calls, planted {100 * planted:+.0f} points): {estimate.sentence(a)} ({ms:.0f} ms)", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sims", type=int, default=200)
    ap.add_argument("--per-cell", type=int, default=120)
    ap.add_argument("--seed", type=int, default=9)
    a = ap.parse_args()
    simulate("independent calls", RATES, a.sims, a.per_cell, a.seed)
    simulate("no effect", NULL, a.sims, a.per_cell, a.seed + 1)
    simulate("8 agents per group who differ", RATES, a.sims, a.per_cell, a.seed + 2, agents=8, spread=0.8)
    through_the_store(a.seed)


if __name__ == "__main__":
    main()
