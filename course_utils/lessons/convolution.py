"""Plot plumbing for lesson 3 (convolution): kernels, feature maps, learned filters, class profiles, selectivity.

The convolution itself is written in the lesson; these helpers only draw. Signed
arrays (kernels, edge responses, filter weights) use a red-blue colour map centred
on zero, so positive and negative values always read the same way. Every grid of
maps or filters carries a colour bar, and maps a reader is asked to compare share
one scale.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np


def _symmetric_limit(arrays) -> float:
    """The largest absolute value over ``arrays`` (at least a tiny positive number)."""
    return max(float(np.max(np.abs(a))) for a in arrays) or 1e-12


def plot_kernel_outputs(kernels: Mapping[str, np.ndarray], outputs: Mapping[str, np.ndarray],
                        title: str = "Kernels (top) and what they do to the digit (bottom)"):
    """Top row: each kernel with its numbers written in; bottom row: the image it produced, with a colour bar.

    Both rows use a red (negative) - white (zero) - blue (positive) scale centred on zero; each output
    has its own scale (the kernels' outputs have different ranges), shown by its colour bar.
    Returns the 2 x n array of Axes.

    Example:
        >>> plot_kernel_outputs({"blur": np.ones((3, 3)) / 9}, {"blur": blurred})
    """
    import matplotlib.pyplot as plt

    names = list(kernels)
    fig, axes = plt.subplots(2, len(names), figsize=(2.5 * len(names), 4.8), squeeze=False)
    for col, name in enumerate(names):
        kernel, out = np.asarray(kernels[name], float), np.asarray(outputs[name], float)
        lim = _symmetric_limit([kernel])
        axes[0, col].imshow(kernel, cmap="RdBu", vmin=-lim, vmax=lim)
        for (i, j), value in np.ndenumerate(kernel):
            axes[0, col].text(j, i, f"{value:.2g}", ha="center", va="center", fontsize=8,
                              color="white" if abs(value) > 0.6 * lim else "black")
        axes[0, col].set_title(name, fontsize=9)
        lim = _symmetric_limit([out])
        shown = axes[1, col].imshow(out, cmap="RdBu", vmin=-lim, vmax=lim)
        axes[1, col].set_title(f"output {out.shape[0]}×{out.shape[1]} px", fontsize=8)
        fig.colorbar(shown, ax=axes[1, col], fraction=0.046, pad=0.04).ax.tick_params(labelsize=7)
    for ax in axes.flat:
        ax.set(xticks=[], yticks=[])
    fig.suptitle(title, fontweight="bold")
    return axes


def _map_grid(fig, maps: np.ndarray, ncols: int, cmap: str, vmin: float, vmax: float, label: str):
    """Draw the channels of ``maps`` (h, w, channels) on a grid of ``fig`` on one scale, with one colour bar."""
    nrows = int(np.ceil(maps.shape[-1] / ncols))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for c, ax in enumerate(axes.flat):
        ax.axis("off")
        if c < maps.shape[-1]:
            image = ax.imshow(maps[..., c], cmap=cmap, vmin=vmin, vmax=vmax)
            ax.set_title(f"#{c}", fontsize=7)
    fig.colorbar(image, ax=axes, shrink=0.9, label=label)
    return axes


def plot_feature_maps(maps: np.ndarray | Mapping[str, np.ndarray], title: str, ncols: int = 8,
                      limit: int | None = None, size: float = 1.2):
    """Show the channels of feature maps ``(height, width, channels)`` side by side, with a colour bar.

    ``maps`` is one array, or a mapping {row label: array} to compare networks channel by channel
    (for example untrained against trained): each gets its own block of rows. All channels of one
    block share one scale from 0 to the block's largest response, so brighter means a stronger
    response within the block; each block has its own colour bar. Returns {label: Axes array}.

    Example:
        >>> plot_feature_maps({"untrained": maps_before, "trained": maps_after}, "conv1", limit=8)
    """
    import matplotlib.pyplot as plt

    blocks = {"": maps} if not isinstance(maps, Mapping) else dict(maps)
    blocks = {name: np.asarray(m)[..., :limit] for name, m in blocks.items()}
    ncols = min(ncols, max(m.shape[-1] for m in blocks.values()))
    rows = [int(np.ceil(m.shape[-1] / ncols)) for m in blocks.values()]
    fig = plt.figure(figsize=(size * ncols + 1.2, size * sum(rows) + 0.7 * len(blocks) + 0.4), layout="constrained")
    subfigs = np.atleast_1d(fig.subfigures(len(blocks), 1, height_ratios=[r + 0.6 for r in rows]))
    axes = {}
    for sub, (name, block) in zip(subfigs, blocks.items()):
        axes[name] = _map_grid(sub, block, ncols, "viridis", 0.0, float(block.max()) or 1e-12, "activation")
        if name:
            sub.suptitle(name, fontsize=10)
    shape = next(iter(blocks.values())).shape
    fig.suptitle(f"{title} ({shape[0]}×{shape[1]} px per map)", fontweight="bold")
    return axes


def plot_filters(weights: np.ndarray | Mapping[str, np.ndarray], title: str = "Learned first-layer filters",
                 ncols: int = 16, size: float = 0.75):
    """Show first-layer Conv2D weights ``(kh, kw, 1, filters)`` as small images, all on one symmetric scale.

    ``weights`` is one array or a mapping {label: array} (for example before and after training);
    every filter of every block shares the same red (negative) - white - blue (positive) scale,
    so magnitudes compare across filters and blocks; each block repeats the same colour bar.
    Returns {label: Axes array}.
    """
    import matplotlib.pyplot as plt

    blocks = {"": weights} if not isinstance(weights, Mapping) else dict(weights)
    blocks = {name: np.asarray(w)[:, :, 0, :] for name, w in blocks.items()}
    lim = _symmetric_limit(blocks.values())
    ncols = min(ncols, max(w.shape[-1] for w in blocks.values()))
    rows = [int(np.ceil(w.shape[-1] / ncols)) for w in blocks.values()]
    fig = plt.figure(figsize=(size * ncols + 1.2, size * sum(rows) + 0.6 * len(blocks) + 0.4), layout="constrained")
    subfigs = np.atleast_1d(fig.subfigures(len(blocks), 1, height_ratios=[r + 0.6 for r in rows]))
    axes = {}
    for sub, (name, block) in zip(subfigs, blocks.items()):
        axes[name] = _map_grid(sub, block, ncols, "RdBu", -lim, lim, "weight")
        if name:
            sub.suptitle(name, fontsize=10)
    fig.suptitle(title + " (blue > 0 > red, one scale)", fontweight="bold")
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


def plot_selectivity(table, colors: Sequence[str] = ("#7f7f7f", "#d62728")):
    """Bars of the mean class-selectivity index per stage, untrained against trained, one panel per pooling.

    ``table`` is indexed by (pooling, stage) with the columns ``untrained`` and ``trained`` (lesson 3's
    ``selectivity_table``). Returns the array of Axes.
    """
    import matplotlib.pyplot as plt

    poolings = list(dict.fromkeys(table.index.get_level_values(0)))
    fig, axes = plt.subplots(1, len(poolings), figsize=(5.5 * len(poolings), 3.8), sharey=True, squeeze=False)
    for ax, pooling in zip(axes[0], poolings):
        table.loc[pooling][["untrained", "trained"]].plot.bar(ax=ax, color=list(colors), rot=0, legend=False)
        ax.set(title=f"units counted {pooling}", xlabel="stage (input → output)", ylabel="mean selectivity index (0-1)",
               ylim=(0, 1))
    axes[0, 0].legend(loc="upper left")
    fig.suptitle("Class selectivity by stage, before and after training", fontweight="bold")
    return axes[0]
