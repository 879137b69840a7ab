"""Thresholds learnt from corrections: how close the learnt threshold comes to a planted one, by how
many segments the team checked and how often they disagree with themselves (analytics.calibration).

Synthetic corrections (tests/planted_corrections.py): the model printed ANGRY with probabilities
spread over 0.2-1; the team agrees exactly above the planted threshold, but for a share of flipped
answers (their own inconsistency); 30 angry segments the model missed. Seeds 1000 and up (the test
uses 2000 and up).

    .venv/bin/python benchmarks/threshold_learning.py --seeds 50
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def main() -> None:
    import numpy as np
    from planted_corrections import planted

    from analytics import calibration

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=50, help="seeds per setting (default: %(default)s)")
    a = ap.parse_args()
    print("| ANGRY tags checked (+ 30 missed) | the team's own flips | planted | median error | 90th percentile | no threshold proposed |")
    print("|---:|---:|---:|---:|---:|---:|")
    for n in (40, 100, 300):
        for noise in (0.05, 0.15):
            errors, none = [], 0
            for planted_t in (0.4, 0.6, 0.8):
                for seed in range(1000, 1000 + a.seeds):
                    got = calibration.learn_tag(calibration.tag_evidence(planted(seed, planted_t, n=n, missed=30, noise=noise),
                                                                         "ANGRY"), "ANGRY")
                    if got.threshold is None:
                        none += 1
                    else:
                        errors.append(abs(got.threshold - planted_t))
            e = np.array(errors)
            print(f"| {n} | {noise:.0%} | 0.4, 0.6, 0.8 × {a.seeds} seeds | {np.median(e):.3f} | {np.percentile(e, 90):.3f} | "
                  f"{none} of {3 * a.seeds} |")


if __name__ == "__main__":
    main()
