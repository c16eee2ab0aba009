"""Plumbing for lesson 6 (data augmentation): class-balanced subsets, augmented views, run summaries.

The augmentation layers themselves and the model are built in the lesson; these helpers
only pick images, draw several random views of one image, and summarise repeated runs.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np


def stratified_subset(labels: np.ndarray, n: int, seed: int, exclude: np.ndarray | None = None) -> np.ndarray:
    """Indices of ``n`` examples with the same count per class, drawn without replacement.

    The same ``labels``, ``n`` and ``seed`` always give the same indices (in shuffled order).

    Args:
        labels: integer class labels of the pool to draw from.
        n: how many indices to return; must be a multiple of the number of classes.
        seed: seed of the NumPy generator that draws them.
        exclude: indices that must not be drawn (for example, the training subset when
            drawing a validation subset).

    Raises:
        ValueError: ``n`` is not a multiple of the number of classes, or a class has too few examples.

    Example:
        >>> idx = stratified_subset(y_train, 1000, seed=0)   # 100 images of each of 10 classes
    """
    labels = np.asarray(labels)
    classes = np.unique(labels)
    if n % len(classes):
        raise ValueError(f"n={n} is not a multiple of the {len(classes)} classes; pick n = k * {len(classes)}.")
    allowed = np.ones(len(labels), dtype=bool)
    if exclude is not None:
        allowed[np.asarray(exclude)] = False
    rng = np.random.default_rng(seed)
    per_class = n // len(classes)
    chosen = []
    for c in classes:
        pool = np.flatnonzero((labels == c) & allowed)
        if len(pool) < per_class:
            raise ValueError(f"class {c} has only {len(pool)} examples left; cannot draw {per_class}.")
        chosen.append(rng.choice(pool, per_class, replace=False))
    return rng.permutation(np.concatenate(chosen))


def augmented_views(layer, image: np.ndarray, n: int) -> np.ndarray:
    """``n`` random views of one image, made by ``layer`` in training mode; the first is the original.

    Args:
        layer: a Keras layer (or Sequential) of random preprocessing layers.
        image: one image ``(height, width)`` or ``(height, width, channels)``.
        n: number of images returned, the original included.

    Returns:
        A float32 array ``(n, height, width, channels)``.
    """
    image = np.asarray(image, dtype="float32")
    if image.ndim == 2:
        image = image[..., None]
    batch = np.repeat(image[None], n - 1, axis=0)
    views = np.asarray(layer(batch, training=True))
    return np.concatenate([image[None], views]).astype("float32")


def plot_views(views: dict[str, np.ndarray], title: str, value_max: float = 1.0, size: float = 1.3,
               col_titles: Sequence[str] | None = None):
    """One row of random views per augmentation, the row's name on the left; returns the Axes array.

    Args:
        views: ``{row name: array (n, height, width, channels)}``, all rows the same ``n``.
        value_max: the largest pixel value (1.0 for images scaled to 0-1, 255.0 for photos),
            so that contrast changes stay visible (no per-image rescaling).
        col_titles: titles of the columns; default "original", "view 1", "view 2", ...
    """
    import matplotlib.pyplot as plt

    ncols = max(len(v) for v in views.values())
    fig, axes = plt.subplots(len(views), ncols, figsize=(size * ncols, size * len(views) + 0.5), squeeze=False)
    for r, (name, images) in enumerate(views.items()):
        for col, ax in enumerate(axes[r]):
            ax.set_xticks([]), ax.set_yticks([])
            if col < len(images):
                image = np.clip(np.asarray(images[col], dtype=float) / value_max, 0, 1)
                ax.imshow(image.squeeze(), cmap="gray", vmin=0, vmax=1)
            if col == 0:
                ax.set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
            if r == 0:
                ax.set_title(col_titles[col] if col_titles is not None else
                             "original" if col == 0 else f"view {col}", fontsize=8)
    fig.suptitle(title, fontweight="bold")
    return axes


def summarize_runs(runs, by: str = "condition", metrics: Sequence[str] = ("test_accuracy",)):
    """Mean, standard deviation and run count of each metric per condition, as a pandas DataFrame.

    Args:
        runs: a DataFrame or a list of dicts, one row per run, with a ``by`` column and the metrics.
    """
    import pandas as pd

    frame = pd.DataFrame(runs)
    table = frame.groupby(by)[list(metrics)].agg(["mean", "std", "count"])
    table.columns = [f"{metric} {stat}" for metric, stat in table.columns]
    return table


def plot_mean_curves(curves: dict[str, Sequence[Sequence[float]]], colors: dict[str, str] | None = None,
                     title: str = "Validation accuracy", ylabel: str = "accuracy", ax=None):
    """Mean curve with a ±1 sd band per condition, from ``{condition: [curve of run 1, run 2, ...]}``.

    Returns the Axes. The x axis is the epoch (1-based).
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    ax = ax if ax is not None else plt.subplots(figsize=(7, 4))[1]
    for name, runs in curves.items():
        values = np.asarray(runs, dtype=float)
        mean = values.mean(axis=0)
        sd = values.std(axis=0, ddof=1) if len(values) > 1 else np.zeros_like(mean)
        epochs = np.arange(1, values.shape[1] + 1)
        color = (colors or {}).get(name)
        ax.plot(epochs, mean, label=f"{name} (mean of {len(values)} runs)", color=color)
        ax.fill_between(epochs, mean - sd, mean + sd, alpha=0.2, color=color)
    ax.set(title=title, xlabel="epoch", ylabel=ylabel)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend()
    return ax
