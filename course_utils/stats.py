"""The course's statistics, in one place, built on :mod:`scipy.stats` (``docs/authoring.md``: "Statistics").

One policy for every comparison a lesson or a results file makes:

- **Methods compared over seeds that share data** (the same training subset, the same start):
  compare them *paired*: per-seed differences, then a Student-t interval of their mean
  (:func:`paired_interval`, :func:`paired_table`). A headline claim rests on at least 5 seeds;
  with 3 seeds, say that three close values can be luck.
- **Two models scored on the same test images**: compare them paired on the images, with the
  exact McNemar test (a binomial test on the images exactly one of them gets right,
  :func:`mcnemar_exact`), never by whether their separate intervals overlap.
- **One accuracy on n test images**: a Wilson interval (:func:`wilson_interval`).
- **A table of many intervals**: say how many would exclude 0 by chance alone
  (:func:`expected_false_exclusions`), and do not count two methods that are the same runs as
  two pieces of evidence.
- **Mean ± sd is spread, not uncertainty**: :func:`summarize` reports both the sd (spread over
  runs) and the t interval of the mean (uncertainty), under names that say which is which.
- **Repeated k-fold cross-validation** shares rows between folds: a fold-to-fold sd understates the
  uncertainty of the mean; :func:`corrected_repeated_cv_interval` applies Nadeau & Bengio's (2003)
  correction to the paired per-fold differences.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .i18n import N_   # marks the verdict words for the catalog; returned in English, shown translated in tables

LEVEL = 0.95   # the course's confidence level


def paired_interval(differences, level: float = LEVEL) -> tuple[float, float, float]:
    """Mean of paired differences and its Student-t confidence interval: ``(mean, low, high)``.

    With n seeds the interval is mean ± t(level, n - 1) · sd / √n (``scipy.stats.t.interval``).
    With n = 3 the t factor is 4.30, so only a difference that is large against the
    seed-to-seed spread excludes 0.

    When every difference is the same, the seeds show no spread and the t interval is undefined: the bounds
    are NaN (and :func:`verdict` reads them as "made no clear difference"), not a zero-width certainty.

    Raises:
        ValueError: fewer than two differences (no interval can be computed).

    Example:
        >>> [round(v, 3) for v in paired_interval([0.01, 0.02, 0.03])]
        [0.02, -0.005, 0.045]
    """
    from scipy import stats

    d = np.asarray(differences, dtype=float)
    if len(d) < 2:
        raise ValueError("A confidence interval needs at least two paired runs (seeds).")
    mean = float(d.mean())
    sd = float(d.std(ddof=1))
    if sd == 0.0:
        return mean, float("nan"), float("nan")
    low, high = stats.t.interval(level, len(d) - 1, loc=mean, scale=sd / np.sqrt(len(d)))
    return mean, float(low), float(high)


VERDICTS = (N_("helped"), N_("hurt"), N_("made no clear difference"))   # marked at import, for tables read from files
NO_INTERVAL = N_("1 seed: no interval")


def verdict(low: float, high: float, above: str = N_("helped"), below: str = N_("hurt")) -> str:
    """``above`` ("helped") when the interval is above 0, ``below`` ("hurt") when below, otherwise "made no clear
    difference". A comparison that is not a method against a baseline names its own sides (marked with ``N_``), e.g.
    ``verdict(low, high, above=N_("plain L2 higher"), below=N_("plain L2 lower"))``."""
    return above if low > 0 else below if high < 0 else N_("made no clear difference")


def paired_table(table, method_col: str, value_col: str, pair_col: str | Sequence[str] = "seed",
                 baseline: str = "scratch", by: Sequence[str] = (), level: float = LEVEL):
    """Each method minus ``baseline`` on the same pair key (seed), then mean and t interval, per group.

    Args:
        table: a DataFrame with one row per run.
        method_col: the column naming the method (``baseline`` is one of its values).
        value_col: the metric compared (e.g. ``"test_accuracy"``).
        pair_col: the column(s) that pair runs (the seed; runs on the same seed share data and start).
        by: further columns that define separate comparisons (e.g. ``("n_train",)``).

    Returns:
        A DataFrame, one row per (by..., method): ``seeds, gain, low, high, verdict``; with one
        seed ``low``/``high`` are NaN and the verdict is "1 seed: no interval".
    """
    import pandas as pd

    pair = [pair_col] if isinstance(pair_col, str) else list(pair_col)
    groups = list(by)
    rows = []
    grouped = table.groupby(groups) if groups else [((), table)]
    for key, part in grouped:
        key = key if isinstance(key, tuple) else (key,)
        base = part[part[method_col] == baseline].set_index(pair)[value_col]
        for method, runs in part[part[method_col] != baseline].groupby(method_col):
            d = (runs.set_index(pair)[value_col] - base).dropna()
            low = high = np.nan
            if len(d) >= 2:
                _, low, high = paired_interval(d, level)
            rows.append({**dict(zip(groups, key)), method_col: method, "seeds": len(d), "gain": float(d.mean()),
                         "low": low, "high": high,
                         "verdict": verdict(low, high) if len(d) >= 2 else NO_INTERVAL})
    return pd.DataFrame(rows)


def summarize(runs, by: str | Sequence[str], metric: str = "test_accuracy", level: float = LEVEL):
    """Per group: ``mean``, ``sd`` (spread over runs), ``count``, and ``low``/``high`` (t interval of the mean).

    The sd describes how much runs differ; the interval says how well the mean is known. A group of
    one run has neither (NaN).

    Example:
        >>> summarize([{"c": "a", "test_accuracy": 0.8}, {"c": "a", "test_accuracy": 0.9}], "c")["count"].tolist()
        [2]
    """
    import pandas as pd
    from scipy import stats

    frame = pd.DataFrame(runs)
    keys = [by] if isinstance(by, str) else list(by)
    table = frame.groupby(keys)[metric].agg(["mean", "std", "count"]).rename(columns={"std": "sd"})
    half = stats.t.ppf(0.5 + level / 2, (table["count"] - 1).clip(lower=1)) * table["sd"] / np.sqrt(table["count"])
    table["low"], table["high"] = table["mean"] - half, table["mean"] + half
    return table.reset_index()


def mcnemar_exact(correct_a, correct_b) -> dict:
    """Exact McNemar test of two models scored on the same images.

    Only the discordant images carry information: ``a_only`` (A right, B wrong) and ``b_only``
    (B right, A wrong). Under "the two are equally accurate", each discordant image is a fair
    coin: the p-value is a two-sided binomial test of ``a_only`` out of ``a_only + b_only``.

    Args:
        correct_a, correct_b: booleans, one per image, in the same image order.

    Returns:
        ``{"n": images, "a_only": ..., "b_only": ..., "difference": accuracy(A) - accuracy(B), "p_value": ...}``
        (p = 1 when no image is discordant).

    Example:
        >>> round(mcnemar_exact([True] * 9 + [False] * 291, [False] * 300)["p_value"], 4)
        0.0039
    """
    from scipy import stats

    a = np.asarray(correct_a, dtype=bool)
    b = np.asarray(correct_b, dtype=bool)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"Need two 1-D boolean arrays of the same length, got shapes {a.shape} and {b.shape}.")
    a_only = int(np.sum(a & ~b))
    b_only = int(np.sum(~a & b))
    p = 1.0 if a_only + b_only == 0 else float(stats.binomtest(a_only, a_only + b_only, 0.5).pvalue)
    return {"n": int(len(a)), "a_only": a_only, "b_only": b_only,
            "difference": float(a.mean() - b.mean()) if len(a) else float("nan"), "p_value": p}


def wilson_interval(correct: int, n: int, level: float = LEVEL) -> tuple[float, float]:
    """Wilson score interval of a share ``correct / n`` (an accuracy on n test images).

    Example:
        >>> [round(v, 3) for v in wilson_interval(210, 300)]
        [0.646, 0.749]
    """
    from scipy import stats

    if n <= 0 or not 0 <= correct <= n:
        raise ValueError(f"Need 0 <= correct <= n and n > 0, got correct={correct}, n={n}.")
    ci = stats.binomtest(int(correct), int(n)).proportion_ci(confidence_level=level, method="wilson")
    return float(ci.low), float(ci.high)


def expected_false_exclusions(n_intervals: int, level: float = LEVEL) -> float:
    """How many of ``n_intervals`` independent intervals would exclude 0 by chance alone when nothing differs.

    Example:
        >>> round(expected_false_exclusions(36), 1)
        1.8
    """
    return float(n_intervals) * (1.0 - level)


def corrected_repeated_cv_interval(differences, test_share: float, level: float = LEVEL) -> tuple[float, float, float]:
    """Interval for the mean of paired per-fold differences of a repeated k-fold cross-validation.

    The folds share training rows, so their differences are correlated and the plain t interval is
    too narrow. Nadeau & Bengio's (2003) corrected resampled t uses the variance
    ``sd² · (1/J + n_test/n_train)`` over the J folds (``test_share`` = n_test / (n_train + n_test),
    e.g. 0.2 for 5-fold) with J - 1 degrees of freedom.

    Returns:
        ``(mean, low, high)``.
    """
    from scipy import stats

    d = np.asarray(differences, dtype=float)
    if len(d) < 2:
        raise ValueError("Need at least two folds.")
    if not 0 < test_share < 1:
        raise ValueError(f"test_share must be in (0, 1), got {test_share}.")
    mean = float(d.mean())
    scale = float(np.sqrt(d.var(ddof=1) * (1 / len(d) + test_share / (1 - test_share))))
    if scale == 0.0:
        return mean, mean, mean
    low, high = stats.t.interval(level, len(d) - 1, loc=mean, scale=scale)
    return mean, float(low), float(high)
