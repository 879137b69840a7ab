"""Compare two cohorts of recordings (default: won vs lost sales demos) on every tag and signal.

Per feature: n per cohort; the share of recordings with it (Fisher's exact test); its rate per
minute or value (means, difference with a 95 % CI — bootstrap under 30 recordings, Welch above — Mann–Whitney U test, Cliff's delta
as the effect size); p-values adjusted for the number of features (Holm). Built for small samples
(5–50 recordings per cohort): n and uncertainty are always in the result, and cohorts under 10
recordings are flagged."""
from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
from scipy import stats

from ingest.models.tags import EMOTIONS, EVENTS

from .filters import Filter, FilterError, recording_where
from .stats import recordings_with_stats

SIGNALS = {  # derived signals (from role_stats): name -> description
    "loudness_dbfs": "mean loudness of speech (dBFS)",
    "speaking_rate": "mean speaking rate",
    "pauses_per_min": "pauses ≥ threshold per minute",
    "longest_pause_s": "longest pause (s)",
    "speech_share": "share of the recording with speech",
    "talk_share": "the role's share of all speech (with a role; else NULL)",
    "longest_monologue_s": "longest monologue (s)",
    "switches_per_min": "speaker switches per minute (interactivity)",
    "response_s": "mean gap before the role answers (s)",
    "questions_per_min": "questions per minute",
}


def recording_features(con: duckdb.DuckDBPyConnection, flt: Filter | None, role: str | None = None,
                       other: Filter | None = None) -> pd.DataFrame:
    """One row per recording: per tag its count per minute, plus the derived signals (from the
    precomputed role_stats; ``role`` limits them to one participant). With ``other``, the
    recordings of either filter in one pass, with the booleans ``in_a`` (``flt``) and ``in_b``
    (``other``): two cohorts read recordings and role_stats once."""
    where, params = recording_where(flt)
    source, cohorts = "recordings r", ""
    if other is not None:
        where_b, params_b = recording_where(other)
        source = f"(SELECT *, coalesce({where}, FALSE) AS in_a, coalesce({where_b}, FALSE) AS in_b FROM recordings r) r"
        where, params, cohorts = "(r.in_a OR r.in_b)", params + params_b, "r.in_a, r.in_b, "
    minutes = "greatest(r.duration_s / 60, 1e-9)"
    tags = ", ".join(f'coalesce(st."n_{t}", 0) / {minutes} AS "{t}"' for t in EMOTIONS + EVENTS)
    return con.execute(f"""
        {recordings_with_stats(where, source=source)}
        SELECT r.recording_id, {cohorts}r.duration_s, {tags}, st.loudness_dbfs, st.speaking_rate,
               coalesce(st.pauses, 0) / {minutes} AS pauses_per_min, coalesce(st.longest_pause_s, 0) AS longest_pause_s,
               coalesce(st.talk_s, 0) / greatest(r.duration_s, 1e-9) AS speech_share,
               CASE WHEN st.role <> '*' THEN st.talk_s / nullif(al.talk_s, 0) END AS talk_share,
               st.longest_monologue_s, (al.turns - 1) / {minutes} AS switches_per_min, st.response_s,
               coalesce(st.questions, 0) / {minutes} AS questions_per_min
        FROM r LEFT JOIN stats st ON st.recording_id = r.recording_id AND st.role = ?
        LEFT JOIN stats al ON al.recording_id = r.recording_id AND al.role = '*'""", params + [role or "*"]).df()


def _bootstrap_ci(a: np.ndarray, b: np.ndarray, rng: np.random.Generator, n: int = 2000) -> tuple[float, float]:
    if len(a) == 0 or len(b) == 0:
        return (np.nan, np.nan)
    ia = rng.integers(0, len(a), (n, len(a)))
    ib = rng.integers(0, len(b), (n, len(b)))
    diffs = a[ia].mean(axis=1) - b[ib].mean(axis=1)
    return tuple(np.percentile(diffs, [2.5, 97.5]))


def _welch_ci(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """95 % CI of the difference of means (Welch); used when both cohorts have 30 or more."""
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = np.sqrt(va + vb)
    if se == 0:
        d = a.mean() - b.mean()
        return (d, d)
    df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    h = stats.t.ppf(0.975, df) * se
    d = a.mean() - b.mean()
    return (d - h, d + h)


def _holm(p: np.ndarray) -> np.ndarray:
    order = np.argsort(p)
    m = len(p)
    adj = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adj[i] = running
    return adj


class EmptyCohort(FilterError):
    """A cohort without recordings; ``cohort`` names it."""

    def __init__(self, cohort: str):
        super().__init__(f"cohort {cohort!r} has no recordings: widen its filter")
        self.cohort = cohort


def compare_cohorts(con: duckdb.DuckDBPyConnection, a: Filter | None = None, b: Filter | None = None,
                    labels: tuple[str, str] = ("won", "lost"), role: str | None = None, alpha: float = 0.05,
                    seed: int = 0) -> pd.DataFrame:
    """One row per tag/signal, most significant first."""
    a = a or Filter(kinds=["sales"], outcomes=["won"])
    b = b or Filter(kinds=["sales"], outcomes=["lost"])
    both = recording_features(con, a, role, other=b)
    in_a, in_b = both.pop("in_a"), both.pop("in_b")
    fa, fb = both[in_a], both[in_b]
    if fa.empty or fb.empty:
        empty = labels[0] if fa.empty else labels[1]
        raise EmptyCohort(empty)
    rng = np.random.default_rng(seed)
    rows = []
    for feature in list(EMOTIONS + EVENTS) + list(SIGNALS):
        x = fa[feature].dropna().to_numpy(float)
        y = fb[feature].dropna().to_numpy(float)
        if len(x) == 0 or len(y) == 0:
            continue
        is_tag = feature in EMOTIONS + EVENTS
        if np.ptp(np.concatenate([x, y])) == 0:  # the same value everywhere: nothing to test
            p_mw, delta = 1.0, 0.0
        else:
            u, p_mw = stats.mannwhitneyu(x, y, alternative="two-sided")
            delta = 2 * u / (len(x) * len(y)) - 1
        lo, hi = _bootstrap_ci(x, y, rng) if min(len(x), len(y)) < 30 else _welch_ci(x, y)
        row = {"feature": feature, "type": "tag" if is_tag else "signal",
               "measure": "per minute" if is_tag else SIGNALS[feature],
               f"n_{labels[0]}": len(x), f"n_{labels[1]}": len(y),
               f"mean_{labels[0]}": x.mean(), f"mean_{labels[1]}": y.mean(), "difference": x.mean() - y.mean(),
               "ci_low": lo, "ci_high": hi, "cliffs_delta": delta, "p_value": p_mw}
        for label, v in zip(labels, (x, y)):  # each cohort's mean with a 95 % interval (for the picture)
            half = 1.96 * v.std(ddof=1) / np.sqrt(len(v)) if len(v) > 1 else 0.0
            row[f"low_{label}"], row[f"high_{label}"] = v.mean() - half, v.mean() + half
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


CLEAR_DELTA = 0.474  # |Cliff's delta| from which a difference is large (Romano et al.)


def strengths(significant, cliffs_delta) -> np.ndarray:
    """Each difference's strength: 'clear' (significant after Holm and a large effect), 'likely'
    (significant), or 'unclear' (could be chance)."""
    significant = np.asarray(significant, dtype=bool)
    large = np.abs(np.nan_to_num(np.asarray(cliffs_delta, dtype=float))) >= CLEAR_DELTA
    return np.where(significant & large, "clear", np.where(significant, "likely", "unclear"))


def findings(res: pd.DataFrame, labels: tuple[str, str], top: int = 6) -> pd.DataFrame:
    """The differences worth a sentence, strongest first: feature, each cohort's mean and n, and
    the strength — 'clear' (significant after Holm and a large effect), 'likely' (significant),
    or 'unclear' (could be chance). Up to ``top``, significant ones before the rest."""
    if res.empty:
        return res
    a, b = labels
    df = res.assign(_abs=res["cliffs_delta"].abs())
    df = df[(df[f"mean_{a}"] != df[f"mean_{b}"])]
    df = df.sort_values(["significant", "_abs"], ascending=[False, False]).head(top)
    strength = strengths(df["significant"], df["cliffs_delta"])
    return pd.DataFrame({"feature": df["feature"], "type": df["type"], "mean_a": df[f"mean_{a}"],
                         "mean_b": df[f"mean_{b}"], "low_a": df[f"low_{a}"], "high_a": df[f"high_{a}"],
                         "low_b": df[f"low_{b}"], "high_b": df[f"high_{b}"], "n_a": df[f"n_{a}"],
                         "n_b": df[f"n_{b}"], "strength": strength, "cliffs_delta": df["cliffs_delta"]}).reset_index(drop=True)
