"""Two-dimensional loss surfaces for optimiser races, and the plots lessons 1 and 2 draw on them.

The optimisers themselves are written in lesson 1; this module only holds the
surfaces (a function, its gradient, where its minimum is) and plot plumbing:
contours with trajectories, loss against step, and decision boundaries of a
classifier on two features.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np

Array = np.ndarray


@dataclass(frozen=True)
class Surface:
    """A 2-D loss surface: ``loss(w)`` and ``grad(w)`` for a point ``w = (w1, w2)``.

    Attributes:
        name: title used in plots.
        loss: function of ``w`` returning the loss; ``w`` may also be a stack of grids,
            shape (2, ...), which gives the loss at every grid point.
        grad: function of a length-2 array returning the length-2 gradient.
        minimum: the point where the loss is smallest.
        start: the point every optimiser starts from in a race.
        xlim, ylim: plotting window.
    """

    name: str
    loss: Callable[[Array], float]
    grad: Callable[[Array], Array]
    minimum: tuple[float, float]
    start: tuple[float, float]
    xlim: tuple[float, float]
    ylim: tuple[float, float]


def _bowl_loss(w: Array) -> float | Array:
    return 0.5 * (w[0] ** 2 + 50.0 * w[1] ** 2)


def _bowl_grad(w: Array) -> Array:
    return np.array([w[0], 50.0 * w[1]])


def _rosen_loss(w: Array) -> float | Array:
    return (1.0 - w[0]) ** 2 + 100.0 * (w[1] - w[0] ** 2) ** 2


def _rosen_grad(w: Array) -> Array:
    return np.array([-2.0 * (1.0 - w[0]) - 400.0 * w[0] * (w[1] - w[0] ** 2), 200.0 * (w[1] - w[0] ** 2)])


#: An elongated bowl, 0.5·(w1² + 50·w2²): its curvature is fifty times larger across than along.
BOWL = Surface("Elongated bowl", _bowl_loss, _bowl_grad, (0.0, 0.0), (-4.5, 1.2), (-5.0, 5.0), (-1.6, 1.6))
#: Rosenbrock's curved valley, (1 - w1)² + 100·(w2 - w1²)², minimum at (1, 1).
ROSENBROCK = Surface("Rosenbrock valley", _rosen_loss, _rosen_grad, (1.0, 1.0), (-1.5, 2.0), (-2.0, 2.0),
                     (-1.0, 3.0))
SURFACES = {"bowl": BOWL, "rosenbrock": ROSENBROCK}


def distance_to_minimum(surface: Surface, path: Array) -> float:
    """Euclidean distance from the last point of ``path`` (shape (steps + 1, 2)) to the minimum."""
    return float(np.linalg.norm(np.asarray(path)[-1] - np.asarray(surface.minimum)))


def plot_contours(surface: Surface, ax=None, levels: int = 30):
    """Log-spaced contour lines of ``surface`` with its minimum starred; returns the Axes."""
    import matplotlib.pyplot as plt

    ax = ax if ax is not None else plt.subplots(figsize=(6, 4))[1]
    xs, ys = np.linspace(*surface.xlim, 200), np.linspace(*surface.ylim, 200)
    grid_x, grid_y = np.meshgrid(xs, ys)
    z = surface.loss(np.stack([grid_x, grid_y]))
    ax.contour(grid_x, grid_y, np.log10(z + 1e-3), levels=levels, cmap="Greys", linewidths=0.6)
    ax.plot(*surface.minimum, "*", color="gold", markersize=16, markeredgecolor="k", label="minimum")
    ax.set(title=surface.name, xlabel="weight $w_1$", ylabel="weight $w_2$", xlim=surface.xlim, ylim=surface.ylim)
    return ax


def plot_race(surface: Surface, paths: Mapping[str, Array], title: str = ""):
    """Trajectories over the contours (left) and loss against step on a log scale (right).

    Args:
        surface: the surface the optimisers ran on.
        paths: optimiser name -> array of points, shape (steps + 1, 2).
        title: figure title (defaults to the surface name).

    Returns:
        The two Axes.
    """
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.2))
    plot_contours(surface, left)
    for name, path in paths.items():
        path = np.asarray(path)
        line, = left.plot(path[:, 0], path[:, 1], ".-", markersize=2, linewidth=1.2, label=name)
        losses = surface.loss(path.T)
        right.plot(np.arange(len(path)), np.maximum(losses, 1e-12), color=line.get_color(), label=name)
    left.plot(*surface.start, "ko", label="start")
    left.legend(fontsize=8, loc="best")   # placed where it hides the fewest path points
    right.set(yscale="log", title="Loss against step", xlabel="step", ylabel="loss (log scale)")
    right.legend(fontsize=8)
    fig.suptitle(title or f"Optimiser race: {surface.name}", fontweight="bold")
    return left, right


def plot_decision_boundary(predict_proba: Callable[[Array], Array], X: Array, y: Array,
                           class_names: Sequence[str], title: str = "Decision boundary",
                           axis_labels: Sequence[str] = ("feature 1", "feature 2"), ax=None,
                           resolution: int = 200, padding: float = 0.5):
    """Colour the plane by the predicted class and scatter the points coloured by their true class.

    Args:
        predict_proba: maps an (n, 2) array to (n, n_classes) class probabilities.
        X: (n, 2) points; y: their integer labels; class_names: names for the legend.
        axis_labels: names (with units) of the two features.

    Returns:
        The Axes.
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    ax = ax if ax is not None else plt.subplots(figsize=(6, 4.5))[1]
    X, y = np.asarray(X), np.asarray(y)
    xs = np.linspace(X[:, 0].min() - padding, X[:, 0].max() + padding, resolution)
    ys = np.linspace(X[:, 1].min() - padding, X[:, 1].max() + padding, resolution)
    gx, gy = np.meshgrid(xs, ys)
    pred = np.asarray(predict_proba(np.c_[gx.ravel(), gy.ravel()])).argmax(axis=1).reshape(gx.shape)
    colors = plt.get_cmap("tab10").colors[: len(class_names)]
    ax.contourf(gx, gy, pred, levels=np.arange(len(class_names) + 1) - 0.5, cmap=ListedColormap(colors), alpha=0.25)
    for k, name in enumerate(class_names):
        ax.scatter(*X[y == k].T, s=18, color=colors[k], edgecolor="k", linewidth=0.4, label=name)
    ax.set(title=title, xlabel=axis_labels[0], ylabel=axis_labels[1])
    ax.legend(fontsize=8, loc="best")
    return ax
