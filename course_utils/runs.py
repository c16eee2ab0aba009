"""Repeated runs: the training subset each seed draws, and results summarised over seeds.

A fair comparison gives every condition of a seed the same training images, and
reports a mean with its spread over several seeds, and compares conditions seed by seed
(paired differences with a t interval). Lessons 5 and 6 both use the functions here.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np


def stratified_sample(labels: np.ndarray, n: int, seed: int, pool: np.ndarray | None = None,
                      exclude: np.ndarray | None = None) -> np.ndarray:
    """Sorted indices of ``n`` examples drawn without replacement, each class in its share of the pool.

    The same arguments always give the same indices. The draw is scikit-learn's stratified
    ``train_test_split`` (lesson 5's recorded grids were drawn with it: keep it so they
    stay reproducible). On a class-balanced pool, ``n`` a multiple of the number of
    classes gives exactly ``n / classes`` images per class.

    Args:
        labels: integer class label of every example.
        n: how many indices to return; the whole pool when ``n`` is at least its size.
        seed: the draw's random state.
        pool: indices to draw from (default: every example).
        exclude: indices that must not be drawn (for example, a validation set).

    Raises:
        ValueError: the pool is empty, or (from scikit-learn) ``n`` is smaller than the number of classes.

    Example:
        >>> train = stratified_sample(y_train, 1000, seed=0, exclude=val_idx)
    """
    from sklearn.model_selection import train_test_split

    labels = np.asarray(labels)
    pool = np.arange(len(labels)) if pool is None else np.asarray(pool)
    if exclude is not None:
        pool = np.setdiff1d(pool, exclude)
    if len(pool) == 0:
        raise ValueError("Nothing to draw from: the pool is empty (did `exclude` remove every index?).")
    if n >= len(pool):
        return pool
    chosen, _ = train_test_split(pool, train_size=n, stratify=labels[pool], random_state=seed)
    return np.sort(chosen)


def summarize_runs(runs, by: str | Sequence[str] = "condition", metrics: Sequence[str] = ("test_accuracy",)):
    """Mean, standard deviation (over runs) and run count of each metric per group, as a DataFrame.

    Columns are ``"<metric> mean"``, ``"<metric> std"``, ``"<metric> count"``; the index
    is the group. A group of one run has no standard deviation (NaN), not zero.

    Args:
        runs: a DataFrame or a list of dicts, one row per run, with the ``by`` column(s) and the metrics.
        by: the column (or columns) that name a group, e.g. the condition or (method, N).

    Example:
        >>> summarize_runs([{"condition": "a", "test_accuracy": 0.8}, {"condition": "a", "test_accuracy": 0.9}])
    """
    import pandas as pd

    frame = pd.DataFrame(runs)
    table = frame.groupby([by] if isinstance(by, str) else list(by))[list(metrics)].agg(["mean", "std", "count"])
    table.columns = [f"{metric} {stat}" for metric, stat in table.columns]
    return table


def paired_interval(differences, level: float = 0.95) -> tuple[float, float, float]:
    """Mean of paired differences and its Student-t confidence interval: ``(mean, low, high)``.

    With n seeds the interval is mean ± t(level, n - 1) · sd / √n. With n = 3 the t factor is
    4.30, so the interval is wide: only a difference that is large against the seed-to-seed
    spread excludes 0. (``scipy`` is installed with scikit-learn.)
    """
    from scipy import stats

    d = np.asarray(differences, dtype=float)
    if len(d) < 2:
        raise ValueError("A confidence interval needs at least two paired runs (seeds).")
    mean = float(d.mean())
    half = float(stats.t.ppf(0.5 + level / 2, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d)))
    return mean, mean - half, mean + half


def verdict(low: float, high: float) -> str:
    """ "helped" when the interval is above 0, "hurt" when below, otherwise "made no clear difference"."""
    return "helped" if low > 0 else "hurt" if high < 0 else "made no clear difference"
