"""Plot plumbing for lesson 3 (convolution): kernels, feature maps, learned filters, class profiles.

The convolution itself is written in the lesson; these helpers only draw. Signed
arrays (kernels, edge responses, filter weights) use a red-blue colour map centred
on zero, so positive and negative values always read the same way.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np


def _symmetric_limit(arrays) -> float:
    """The largest absolute value over ``arrays`` (at least a tiny positive number)."""
    return max(float(np.max(np.abs(a))) for a in arrays) or 1e-12


def plot_kernel_outputs(kernels: Mapping[str, np.ndarray], outputs: Mapping[str, np.ndarray],
                        title: str = "Kernels (top) and what they do to the digit (bottom)"):
    """Top row: each kernel with its numbers written in; bottom row: the image it produced.

    Both rows use a red (negative) - white (zero) - blue (positive) scale centred on zero.
    Returns the 2 x n array of Axes.

    Example:
        >>> plot_kernel_outputs({"blur": np.ones((3, 3)) / 9}, {"blur": blurred})
    """
    import matplotlib.pyplot as plt

    names = list(kernels)
    fig, axes = plt.subplots(2, len(names), figsize=(2.1 * len(names), 4.6), squeeze=False)
    for col, name in enumerate(names):
        kernel, out = np.asarray(kernels[name], float), np.asarray(outputs[name], float)
        lim = _symmetric_limit([kernel])
        axes[0, col].imshow(kernel, cmap="RdBu", vmin=-lim, vmax=lim)
        for (i, j), value in np.ndenumerate(kernel):
            axes[0, col].text(j, i, f"{value:.2g}", ha="center", va="center", fontsize=8,
                              color="white" if abs(value) > 0.6 * lim else "black")
        axes[0, col].set_title(name, fontsize=9)
        lim = _symmetric_limit([out])
        axes[1, col].imshow(out, cmap="RdBu", vmin=-lim, vmax=lim)
        axes[1, col].set_title(f"output {out.shape[0]}×{out.shape[1]} px", fontsize=8)
    for ax in axes.flat:
        ax.set(xticks=[], yticks=[])
    fig.suptitle(title, fontweight="bold")
    return axes


def plot_feature_maps(maps: np.ndarray, title: str, ncols: int = 8, limit: int | None = None,
                      size: float = 1.2):
    """Show the channels of one feature map ``(height, width, channels)`` side by side.

    Each channel gets its own colour scale (dark = 0, bright = strongest response), titled by index.
    Returns the array of Axes.
    """
    import matplotlib.pyplot as plt

    maps = np.asarray(maps)
    channels = maps.shape[-1] if limit is None else min(limit, maps.shape[-1])
    nrows = int(np.ceil(channels / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.5), squeeze=False)
    for c, ax in enumerate(axes.flat):
        ax.axis("off")
        if c < channels:
            ax.imshow(maps[..., c], cmap="viridis")
            ax.set_title(f"#{c}", fontsize=7)
    fig.suptitle(f"{title} ({maps.shape[0]}×{maps.shape[1]} px per map)", fontweight="bold")
    return axes


def plot_filters(weights: np.ndarray, title: str = "Learned first-layer filters", ncols: int = 8,
                 size: float = 1.0):
    """Show first-layer Conv2D weights ``(kh, kw, 1, filters)`` as small images on one shared scale.

    Blue = positive weight, red = negative, white = zero. Returns the array of Axes.
    """
    import matplotlib.pyplot as plt

    weights = np.asarray(weights)[:, :, 0, :]
    lim = _symmetric_limit([weights])
    n = weights.shape[-1]
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.5), squeeze=False)
    for c, ax in enumerate(axes.flat):
        ax.axis("off")
        if c < n:
            ax.imshow(weights[..., c], cmap="RdBu", vmin=-lim, vmax=lim)
            ax.set_title(f"#{c}", fontsize=7)
    fig.suptitle(title + " (blue > 0 > red)", fontweight="bold")
    return axes


def plot_class_profiles(profiles: np.ndarray, class_names: Sequence[str], title: str, ax=None):
    """Heatmap of mean activation per class (rows) and channel (columns), each column scaled to max 1.

    A column that is equally bright in every row belongs to a channel that fires for every class
    (generic); a column with one bright cell belongs to a class-specific channel. Returns the Axes.
    """
    import matplotlib.pyplot as plt

    profiles = np.asarray(profiles, float)
    scaled = profiles / np.maximum(profiles.max(axis=0, keepdims=True), 1e-12)
    if ax is None:
        ax = plt.subplots(figsize=(8, 3.4))[1]
    image = ax.imshow(scaled, aspect="auto", cmap="magma", vmin=0, vmax=1)
    ax.set_yticks(range(len(class_names)), labels=list(class_names))
    ax.set(title=title, xlabel="channel", ylabel="true class")
    ax.grid(False)
    ax.figure.colorbar(image, ax=ax, label="mean activation / channel max")
    return ax
