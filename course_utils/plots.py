"""Plot helpers: one style for the whole course and the figures any lesson can use.

The rule (``docs/authoring.md``): a general plot lives here; a plot that only one
lesson's topic needs lives in that lesson's module in ``course_utils.lessons``.
Every ``plot_`` function draws, gives the figure a title and labelled axes, and
returns the Axes so a lesson can add to it.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

# One colour per method, used by every lesson, so "scratch" is always the same colour.
METHOD_COLORS = {
    "scratch": "#7f7f7f", "fine-tune all": "#1f77b4", "frozen body": "#2ca02c",
    "two-stage": "#9467bd", "discriminative lr": "#9467bd", "l2-sp": "#d62728", "joint": "#ff7f0e",
    "transfer": "#1f77b4", "augmented": "#ff7f0e",
}


def set_style() -> None:
    """Course-wide matplotlib/seaborn style: readable at 100% zoom, gridlines, no chart junk."""
    import matplotlib as mpl
    import seaborn as sns

    sns.set_theme(context="notebook", style="whitegrid")
    mpl.rcParams.update({"figure.dpi": 100, "savefig.dpi": 120, "figure.figsize": (7, 4),
                         "axes.titleweight": "bold", "figure.autolayout": True})


def _axes(ax, figsize=(7, 4)):
    """Return ``ax`` or a new Axes."""
    import matplotlib.pyplot as plt

    return ax if ax is not None else plt.subplots(figsize=figsize)[1]


def plot_history(history, metric: str = "accuracy", title: str = "Learning curves", ax=None):
    """Training and validation curves of one metric against epoch, from a Keras History or dict."""
    from matplotlib.ticker import MaxNLocator

    values = history.history if hasattr(history, "history") else history
    ax = _axes(ax)
    epochs = np.arange(1, len(values[metric]) + 1)
    ax.plot(epochs, values[metric], "o-", label=f"training {metric}")
    if f"val_{metric}" in values:
        ax.plot(epochs, values[f"val_{metric}"], "s--", label=f"validation {metric}")
    ax.set(title=title, xlabel="epoch", ylabel=metric)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend()
    return ax


def plot_confusion_matrix(y_true, y_pred, class_names: Sequence[str], title: str = "Confusion matrix",
                          normalize: bool = False, ax=None):
    """Heatmap of counts (or row-normalised shares) with class names on both axes."""
    import seaborn as sns
    from sklearn.metrics import confusion_matrix

    n = len(class_names)
    matrix = confusion_matrix(y_true, y_pred, labels=range(n), normalize="true" if normalize else None)
    ax = _axes(ax, figsize=(1.0 + 0.6 * n, 0.8 + 0.55 * n))
    sns.heatmap(matrix, annot=True, fmt=".2f" if normalize else "d", cmap="Blues", cbar=False,
                xticklabels=class_names, yticklabels=class_names, ax=ax)
    ax.set(title=title, xlabel="predicted class", ylabel="true class")
    ax.set_xticklabels(ax.get_xticklabels(), rotation=45, ha="right", rotation_mode="anchor")
    ax.tick_params(axis="y", labelrotation=0)
    return ax


def plot_image_grid(images, titles: Sequence[str] | None = None, ncols: int = 8, title: str = "",
                    cmap: str | None = None, size: float = 1.4, vmin: float | None = None,
                    vmax: float | None = None):
    """Show images in a grid with optional per-image titles; returns the array of Axes.

    Float images with values above 1 are assumed to be 0-255 and are shown as such.
    Grey images are scaled to their own range unless ``vmin``/``vmax`` fix it (do that
    to compare brightness or contrast across images).
    """
    import matplotlib.pyplot as plt

    images = np.asarray(images)
    nrows = int(np.ceil(len(images) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.4), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= len(images):
            continue
        image = images[i]
        if image.dtype.kind == "f" and image.max() > 1.0:
            image = np.clip(image, 0, 255).astype("uint8")
        ax.imshow(image.squeeze(), cmap=cmap or ("gray" if image.squeeze().ndim == 2 else None), vmin=vmin, vmax=vmax)
        if titles is not None:
            ax.set_title(str(titles[i]), fontsize=8)
    if title:
        fig.suptitle(title, fontweight="bold")
    return axes


def plot_mean_curves(curves: dict[str, Sequence[Sequence[float]]], colors: dict[str, str] | None = None,
                     title: str = "Validation accuracy", ylabel: str = "accuracy", ax=None):
    """Mean curve with a ±1 sd band per condition, from ``{condition: [curve of run 1, run 2, ...]}``.

    Returns the Axes. The x axis is the epoch (1-based); a condition with a single run has no band. The legend's
    title says what the band is.
    """
    from matplotlib.ticker import MaxNLocator

    ax = _axes(ax)
    for name, runs in curves.items():
        values = np.asarray(runs, dtype=float)
        mean = values.mean(axis=0)
        epochs = np.arange(1, values.shape[1] + 1)
        color = (colors or {}).get(name)
        ax.plot(epochs, mean, label=f"{name} (mean of {len(values)} runs)", color=color)
        if len(values) > 1:
            sd = values.std(axis=0, ddof=1)
            ax.fill_between(epochs, mean - sd, mean + sd, alpha=0.2, color=color)
    ax.set(title=title, xlabel="epoch", ylabel=ylabel)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    banded = any(len(runs) > 1 for runs in curves.values())
    ax.legend(title="band: ± 1 sd over the runs" if banded else None, title_fontsize="small")
    return ax


def plot_mistakes(images, y_true, y_pred, class_names: Sequence[str], limit: int = 16, ncols: int = 8,
                  title: str = "Mistakes: true → predicted", size: float = 1.4):
    """Show up to ``limit`` misclassified images titled ``true`` over ``→ predicted``; returns the Axes array."""
    from .evaluation import mistake_indices

    wrong = mistake_indices(y_true, y_pred, limit)
    titles = [f"{class_names[y_true[i]]}\n→ {class_names[y_pred[i]]}" for i in wrong]
    return plot_image_grid(np.asarray(images)[wrong], titles, ncols=min(ncols, max(1, len(wrong))), title=title,
                           size=size)
