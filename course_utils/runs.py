"""Repeated runs: the training subset each seed draws.

A fair comparison gives every condition of a seed the same training images, so that conditions can be
compared seed by seed (paired differences with a t interval: :mod:`course_utils.stats`). Lessons 5 and 6
both draw their subsets here.
"""
from __future__ import annotations

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
