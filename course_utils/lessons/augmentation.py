"""Plumbing for lesson 6 (data augmentation): several random views of one image, drawn in a grid.

The augmentation layers themselves and the model are built in the lesson. The lesson's
training subsets and run summaries come from :mod:`course_utils.runs` (shared with
lesson 5), its learning curves from :func:`course_utils.plots.plot_mean_curves`.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np


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
