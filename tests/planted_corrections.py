"""Synthetic corrections with a planted threshold, for the threshold-learning test and benchmark:
checked segments as ``analytics.calibration.checked`` gives them."""
from __future__ import annotations

import numpy as np
import pandas as pd


def planted(seed: int, threshold: float, n: int = 200, missed: int = 30, noise: float = 0.05) -> pd.DataFrame:
    """The model printed ANGRY on ``n`` segments with a probability spread over 0.2-1; the people
    agree exactly when it is at least ``threshold`` (but for a share ``noise`` of them, flipped),
    and found ``missed`` angry segments the model called NEUTRAL."""
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.2, 1.0, n)
    agree = (p >= threshold) ^ (rng.random(n) < noise)
    rows = [{"model_emotion": "ANGRY", "emotion_confidence": float(x), "human_emotion": "ANGRY" if a else "NEUTRAL",
             "model_events": [], "event_probs": None, "human_events": None} for x, a in zip(p, agree)]
    rows += [{"model_emotion": "NEUTRAL", "emotion_confidence": float(rng.uniform(0.5, 1)), "human_emotion": "ANGRY",
              "model_events": [], "event_probs": None, "human_events": None} for _ in range(missed)]
    return pd.DataFrame(rows)
