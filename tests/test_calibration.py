"""Thresholds learnt from the team's corrections: a planted threshold is recovered from synthetic
corrections; too few, or nothing to choose, is said rather than guessed; precision and recall come
with intervals; the reliability table bins the model's probabilities."""
import math

import numpy as np
import pandas as pd
import pytest
from planted_corrections import planted

from analytics import calibration


@pytest.mark.parametrize("threshold", [0.45, 0.6, 0.75])
def test_a_planted_threshold_is_recovered(threshold):
    got = calibration.learn_tag(calibration.tag_evidence(planted(2001, threshold), "ANGRY"), "ANGRY")
    assert got.threshold is not None and abs(got.threshold - threshold) <= 0.05, got.threshold
    data = planted(2001, threshold)
    assert got.precision > 0.85 and got.n == 230 and got.actual == int((data["human_emotion"] == "ANGRY").sum())
    # the curve trades one for the other: precision rises and recall falls with the threshold
    c = got.curve
    assert c["recall"].is_monotonic_decreasing and c.iloc[-1]["precision"] >= c.iloc[0]["precision"]


def test_events_learn_from_corrections_that_checked_the_events():
    rng = np.random.default_rng(2002)
    rows = []
    for _ in range(120):
        p = float(rng.uniform(0.1, 1))
        rows.append({"model_emotion": "NEUTRAL", "emotion_confidence": 0.9, "human_emotion": None,
                     "model_events": ["LAUGHTER"], "event_probs": {"LAUGHTER": p, "SPEECH": 1 - p},
                     "human_events": ["LAUGHTER"] if p >= 0.55 else []})
    rows.append({"model_emotion": "NEUTRAL", "emotion_confidence": 0.9, "human_emotion": "HAPPY",  # events not checked
                 "model_events": ["LAUGHTER"], "event_probs": {"LAUGHTER": 0.2}, "human_events": None})
    ev = calibration.tag_evidence(pd.DataFrame(rows), "LAUGHTER")
    assert len(ev) == 120
    assert abs(calibration.learn_tag(ev, "LAUGHTER").threshold - 0.55) <= 0.05


def test_no_threshold_is_guessed_from_too_little_or_nothing_to_choose():
    few = calibration.learn_tag(calibration.tag_evidence(planted(2003, 0.6, n=20, missed=5), "ANGRY"), "ANGRY")
    assert few.threshold is None and few.why_not == "too_few" and few.n == 25
    right = planted(2004, 0.0, noise=0.0)  # the people agreed with every ANGRY the model printed
    assert calibration.learn_tag(calibration.tag_evidence(right, "ANGRY"), "ANGRY").why_not == "always_right"
    wrong = planted(2005, 2.0, noise=0.0)  # and with none
    assert calibration.learn_tag(calibration.tag_evidence(wrong, "ANGRY"), "ANGRY").why_not == "never_right"


def test_precision_and_recall_come_with_intervals():
    ev = calibration.tag_evidence(planted(2006, 0.6), "ANGRY")
    at = calibration.at_threshold(ev, 0.6)
    assert at["precision_low"] < at["precision"] < at["precision_high"] and at["recall_low"] < at["recall"] < at["recall_high"]
    assert at["actual"] == int(ev["human"].sum()) and at["right"] <= at["says"]
    loose = calibration.at_threshold(ev, 0.0)
    assert loose["recall"] >= at["recall"] and loose["precision"] <= at["precision"]
    assert math.isnan(calibration.at_threshold(ev, 1.01)["precision"])  # says nothing: no precision, not 0
