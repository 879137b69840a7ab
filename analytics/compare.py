"""Compare two cohorts of recordings (default: won vs lost sales demos) on every tag and signal.

Per feature: n per cohort; the share of recordings with it (Fisher's exact test); its rate per
minute or value (means, difference with a bootstrap 95 % CI, Mann–Whitney U test, Cliff's delta
as the effect size); p-values adjusted for the number of features (Holm). Built for small samples
(5–50 recordings per cohort): n and uncertainty are always in the result, and cohorts under 10
recordings are flagged."""
from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
from scipy import stats

from ingest.tags import EMOTIONS, EVENTS

from .filters import Filter, FilterError, recording_where

SIGNALS = {  # derived signals: name -> (SQL over segments s / pauses p of one recording, description)
    "loudness_dbfs": "mean loudness of speech (dBFS)",
    "speaking_rate": "mean speaking rate",
    "pauses_per_min": "pauses ≥ threshold per minute",
    "longest_pause_s": "longest pause (s)",
    "speech_share": "share of the recording with speech",
}


def recording_features(con: duckdb.DuckDBPyConnection, flt: Filter | None, role: str | None = None) -> pd.DataFrame:
    """One row per recording: per tag its count per minute, plus the derived signals."""
    where, params = recording_where(flt)
    role_sql, role_p = ("AND s.role = ?", [role]) if role else ("", [])
    tag_cols = ", ".join(
        [f"count(*) FILTER (s.emotion = '{e}') AS \"{e}\"" for e in EMOTIONS] +
        [f"count(*) FILTER (list_contains(s.events, '{e}')) AS \"{e}\"" for e in EVENTS])
    df = con.execute(f"""
        WITH r AS (SELECT * FROM recordings r WHERE {where}),
        t AS (SELECT s.recording_id, {tag_cols}, avg(s.loudness_dbfs) AS loudness_dbfs,
                     avg(s.speaking_rate) AS speaking_rate, sum(s.duration_s) AS speech_s
              FROM seg s WHERE s.recording_id IN (SELECT recording_id FROM r) {role_sql} GROUP BY 1),
        p AS (SELECT recording_id, count(*) AS n_pauses, max(duration_s) AS longest_pause_s FROM pauses
              WHERE recording_id IN (SELECT recording_id FROM r) {"AND role = ?" if role else ""} GROUP BY 1)
        SELECT r.recording_id, r.duration_s, t.* EXCLUDE (recording_id),
               coalesce(p.n_pauses, 0) / greatest(r.duration_s / 60, 1e-9) AS pauses_per_min,
               coalesce(p.longest_pause_s, 0) AS longest_pause_s,
               coalesce(t.speech_s, 0) / greatest(r.duration_s, 1e-9) AS speech_share
        FROM r LEFT JOIN t USING (recording_id) LEFT JOIN p USING (recording_id)""",
        params + role_p + role_p).df()
    minutes = (df["duration_s"] / 60).clip(lower=1e-9)
    for tag in EMOTIONS + EVENTS:
        df[tag] = df[tag].fillna(0) / minutes
    return df


def _bootstrap_ci(a: np.ndarray, b: np.ndarray, rng: np.random.Generator, n: int = 2000) -> tuple[float, float]:
    if len(a) == 0 or len(b) == 0:
        return (np.nan, np.nan)
    ia = rng.integers(0, len(a), (n, len(a)))
    ib = rng.integers(0, len(b), (n, len(b)))
    diffs = a[ia].mean(axis=1) - b[ib].mean(axis=1)
    return tuple(np.percentile(diffs, [2.5, 97.5]))


def _holm(p: np.ndarray) -> np.ndarray:
    order = np.argsort(p)
    m = len(p)
    adj = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adj[i] = running
    return adj


def compare_cohorts(con: duckdb.DuckDBPyConnection, a: Filter | None = None, b: Filter | None = None,
                    labels: tuple[str, str] = ("won", "lost"), role: str | None = None, alpha: float = 0.05,
                    seed: int = 0) -> pd.DataFrame:
    """One row per tag/signal, most significant first."""
    a = a or Filter(kinds=["sales"], outcomes=["won"])
    b = b or Filter(kinds=["sales"], outcomes=["lost"])
    fa, fb = recording_features(con, a, role), recording_features(con, b, role)
    if fa.empty or fb.empty:
        empty = labels[0] if fa.empty else labels[1]
        raise FilterError(f"cohort {empty!r} has no recordings: widen its filter")
    rng = np.random.default_rng(seed)
    rows = []
    for feature in list(EMOTIONS + EVENTS) + list(SIGNALS):
        x = fa[feature].dropna().to_numpy(float)
        y = fb[feature].dropna().to_numpy(float)
        if len(x) == 0 or len(y) == 0:
            continue
        is_tag = feature in EMOTIONS + EVENTS
        if np.all(np.concatenate([x, y]) == x[0]) if len(x) else True:
            p_mw, delta = 1.0, 0.0
        else:
            u, p_mw = stats.mannwhitneyu(x, y, alternative="two-sided")
            delta = 2 * u / (len(x) * len(y)) - 1
        lo, hi = _bootstrap_ci(x, y, rng)
        row = {"feature": feature, "type": "tag" if is_tag else "signal",
               "measure": "per minute" if is_tag else SIGNALS[feature],
               f"n_{labels[0]}": len(x), f"n_{labels[1]}": len(y),
               f"mean_{labels[0]}": x.mean(), f"mean_{labels[1]}": y.mean(), "difference": x.mean() - y.mean(),
               "ci_low": lo, "ci_high": hi, "cliffs_delta": delta, "p_value": p_mw}
        if is_tag:
            ka, kb = int((x > 0).sum()), int((y > 0).sum())
            row.update({f"share_{labels[0]}": ka / len(x), f"share_{labels[1]}": kb / len(y),
                        "fisher_p": stats.fisher_exact([[ka, len(x) - ka], [kb, len(y) - kb]])[1]})
        rows.append(row)
    out = pd.DataFrame(rows)
    out["p_adjusted"] = _holm(out["p_value"].to_numpy())
    out["significant"] = out["p_adjusted"] < alpha
    out["small_n"] = min(len(fa), len(fb)) < 10
    out = out.assign(_abs=out["cliffs_delta"].abs()).sort_values(["p_adjusted", "_abs"], ascending=[True, False])
    return out.drop(columns="_abs").reset_index(drop=True)
