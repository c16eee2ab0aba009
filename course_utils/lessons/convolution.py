"""Plumbing for lesson 3 (convolution): plots of kernels, feature maps and filters, and linear-probe helpers.

The convolution itself is written in the lesson; the plot helpers only draw. Signed
arrays (kernels, edge responses, filter weights) use a red-blue colour map centred
on zero, so positive and negative values always read the same way. Every grid of
maps or filters carries a colour bar, and maps a reader is asked to compare share
one scale.

The linear probes of lesson 3 (which stage of a frozen CNN helps a new task) use three helpers:
:func:`stage_features` reads the frozen features after each stage, :func:`per_class_sample` draws
the few labelled images, and :func:`fit_probe` fits a logistic regression with its regularisation
chosen on validation images. What to probe (which network, stages and targets) is in the lesson.
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


# ---------------------------------------------------------------- linear probes
PROBE_STAGES = ("pixels", "conv1", "conv2", "pool2", "head")
# Inverse regularisation strengths a probe chooses from: nine powers of ten, 1e-6 to 100. The stages have
# 10 (head) to 21,632 (conv1) features, so the best C differs by orders of magnitude between them; a narrow
# grid (1e-4 to 1) left 31 of 100 recorded probes at one of its ends.
PROBE_CS = tuple(10.0 ** k for k in range(-6, 3))


def stage_features(model, images: np.ndarray, stages: Sequence[str] = PROBE_STAGES,
                   batch_size: int = 500) -> dict[str, np.ndarray]:
    """{stage: (n_images, n_features)}: the output of each named layer of ``model``, flattened.

    ``"pixels"`` is the input itself (the baseline every stage is compared with). The model is only
    read (frozen), in batches of ``batch_size`` images.

    Example:
        >>> {k: v.shape for k, v in stage_features(cnn, x[:10]).items()}   # conv1: (10, 21632) ...
    """
    import keras

    named = [s for s in stages if s != "pixels"]
    reader = keras.Model(model.inputs[0], [model.get_layer(s).output for s in named])
    outputs = reader.predict(images, batch_size=batch_size, verbose=0) if named else []
    outputs = [outputs] if len(named) == 1 else list(outputs)
    features = {s: np.asarray(out).reshape(len(images), -1) for s, out in zip(named, outputs)}
    features["pixels"] = np.asarray(images, dtype="float32").reshape(len(images), -1)
    return {s: features[s] for s in stages}


def per_class_sample(labels: np.ndarray, classes: Sequence[int], n_per_class: int, rng,
                     exclude: np.ndarray | None = None) -> np.ndarray:
    """Indices of ``n_per_class`` random images of each class in ``classes`` (none from ``exclude``).

    Raises:
        ValueError: a class has fewer than ``n_per_class`` images left to draw from.
    """
    labels = np.asarray(labels)
    allowed = np.ones(len(labels), bool)
    if exclude is not None:
        allowed[np.asarray(exclude)] = False
    picked = []
    for c in classes:
        pool = np.flatnonzero((labels == c) & allowed)
        if len(pool) < n_per_class:
            raise ValueError(f"class {c} has only {len(pool)} images to draw {n_per_class} from; ask for fewer.")
        picked.append(rng.choice(pool, n_per_class, replace=False))
    return np.concatenate(picked)


def fit_probe(train: tuple, val: tuple, test: tuple, cs: Sequence[float] = PROBE_CS) -> dict:
    """A linear probe (:func:`course_utils.evaluation.linear_probe`) scored on ``test``.

    Each of ``train``, ``val``, ``test`` is ``(features, labels)``; ``C`` is chosen from ``cs`` on the
    validation images only, and the chosen probe is scored once on the test images.

    Returns:
        ``{"C": chosen C, "val_accuracy": ..., "test_accuracy": ..., "at_edge": chosen C is an end of cs}``
    """
    from .. import evaluation

    probe = evaluation.linear_probe(train, val, test[0], cs)
    return {"C": probe["C"], "val_accuracy": probe["val_accuracy"],
            "test_accuracy": float(np.mean(probe["test_pred"] == np.asarray(test[1]))), "at_edge": probe["at_edge"]}


def plot_probes(table, stages: Sequence[str] = PROBE_STAGES, colors: Sequence[str] = ("#7f7f7f", "#1f77b4"),
                chance: Mapping[str, float] | None = None):
    """Probe test accuracy per stage, trained against untrained network, one panel per target.

    ``table`` has one row per (target, network, seed, stage) with ``test_accuracy``. Thin lines are
    single seeds, thick lines their mean; a dotted line marks chance when ``chance`` {target: accuracy}
    is given. Returns the array of Axes.
    """
    import matplotlib.pyplot as plt

    targets = list(dict.fromkeys(table["target"]))
    fig, axes = plt.subplots(1, len(targets), figsize=(5.6 * len(targets), 4), sharey=True, squeeze=False)
    x = np.arange(len(stages))
    for ax, target in zip(axes[0], targets):
        for network, color in zip(("untrained", "trained"), colors):
            rows = table[(table["target"] == target) & (table["network"] == network)]
            wide = rows.pivot(index="seed", columns="stage", values="test_accuracy")[list(stages)]
            for _, seed_row in wide.iterrows():
                ax.plot(x, seed_row.values, color=color, alpha=0.3, linewidth=1)
            ax.plot(x, wide.mean().values, color=color, marker="o", linewidth=2.5,
                    label=f"{network} network (mean of {len(wide)} seeds)")
        if chance and target in chance:
            ax.axhline(chance[target], color="black", linestyle=":", linewidth=1, label="chance")
        ax.set_xticks(x, labels=list(stages))
        ax.set(title=target, xlabel="stage the probe reads (input → output)", ylabel="probe test accuracy")
        ax.legend(loc="center left", fontsize=8)
    fig.suptitle("Linear probes on frozen features: trained on digits 0-4 vs untrained (thin lines: one seed each)",
                 fontweight="bold")
    return axes[0]
