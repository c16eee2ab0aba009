"""Two-dimensional loss surfaces for optimiser races, and the plots lessons 1 and 2 draw on them.

The optimisers themselves are written in lesson 1; this module only holds the
surfaces (a function, its gradient, where its minimum is) and plot plumbing:
contours with one trajectory per panel, distance to the minimum against step,
final distance against learning rate (a sweep), and decision boundaries of a
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


def rotated_bowl(degrees: float = 45.0) -> Surface:
    """The elongated bowl turned by ``degrees`` about its minimum, start point turned with it.

    Same curvatures (1 along, 50 across), same start relative to the bowl, same distances: only the
    directions of the steep and shallow axes change, so they no longer line up with the weights.
    An optimiser whose steps do not depend on the choice of axes (gradient descent, momentum) takes
    the same path, turned; one that scales each weight separately (AdaGrad, RMSprop, Adam) does not.

    Example:
        >>> round(float(rotated_bowl(90.0).loss(np.array([0.0, 1.0]))), 6)   # the shallow axis is now w2
        0.5
    """
    c, s = np.cos(np.radians(degrees)), np.sin(np.radians(degrees))

    def to_bowl(w):   # coordinates along the bowl's own shallow and steep axes
        return c * w[0] + s * w[1], -s * w[0] + c * w[1]

    def loss(w):
        u, v = to_bowl(w)
        return 0.5 * (u ** 2 + 50.0 * v ** 2)

    def grad(w):
        u, v = to_bowl(w)
        return np.array([c * u - s * 50.0 * v, s * u + c * 50.0 * v])

    u0, v0 = BOWL.start
    start = (float(c * u0 - s * v0), float(s * u0 + c * v0))
    return Surface(f"Bowl turned {degrees:g}°", loss, grad, (0.0, 0.0), start, (-5.0, 5.0), (-5.0, 5.0))


def distance_to_minimum(surface: Surface, path: Array) -> float:
    """Euclidean distance from the last point of ``path`` (shape (steps + 1, 2)) to the minimum."""
    return float(np.linalg.norm(np.asarray(path)[-1] - np.asarray(surface.minimum)))


def widest_good_range(rates: Sequence[float], distances: Sequence[float], close: float):
    """The widest stretch of consecutive ``rates`` whose final distance is at most ``close``.

    A learning-rate sweep rarely has one good rate: this measures how forgiving an optimiser is.

    Returns:
        (lowest, highest) rate of the longest run of consecutive good rates, or None when no rate is good.

    Example:
        >>> widest_good_range([0.1, 0.2, 0.4, 0.8], [0.5, 0.001, 0.002, 3.0], close=0.01)
        (0.2, 0.4)
    """
    best, start = None, None
    for i, good in enumerate(np.asarray(distances) <= close):
        start = (i if start is None else start) if good else None
        if good and (best is None or i - start > best[1] - best[0]):
            best = (start, i)
    return None if best is None else (float(rates[best[0]]), float(rates[best[1]]))


def plot_contours(surface: Surface, ax=None, levels: int = 30):
    """Log-spaced contour lines of ``surface`` with its minimum starred; returns the Axes."""
    import matplotlib.pyplot as plt

    ax = ax if ax is not None else plt.subplots(figsize=(6, 4))[1]
    xs, ys = np.linspace(*surface.xlim, 200), np.linspace(*surface.ylim, 200)
    grid_x, grid_y = np.meshgrid(xs, ys)
    z = surface.loss(np.stack([grid_x, grid_y]))
    ax.contour(grid_x, grid_y, np.log10(z + 1e-3), levels=levels, cmap="Greys", linewidths=0.6)
    ax.plot(*surface.minimum, "*", color="gold", markersize=10, markeredgecolor="k", label="minimum", zorder=4)
    ax.set(title=surface.name, xlabel="weight $w_1$", ylabel="weight $w_2$", xlim=surface.xlim, ylim=surface.ylim)
    ax.set_aspect("equal")   # to scale: a bowl drawn in a square panel would look less elongated than it is
    return ax


def optimiser_color(index: int) -> str:
    """The colour of the ``index``-th optimiser, the same in every race and sweep figure."""
    return f"C{index % 10}"


def plot_distance_curves(surface: Surface, paths: Mapping[str, Array], ax=None, floor: float = 1e-12):
    """Distance to the minimum against step, log scale; a cross marks a run that diverged early.

    Distances below ``floor`` are drawn at ``floor`` (a log axis has no zero). Returns the Axes.
    """
    import matplotlib.pyplot as plt

    ax = ax if ax is not None else plt.subplots(figsize=(7, 3.5))[1]
    longest = max(len(path) for path in paths.values())
    for index, (name, path) in enumerate(paths.items()):
        path = np.asarray(path)
        distance = np.maximum(np.linalg.norm(path - np.asarray(surface.minimum), axis=1), floor)
        ax.plot(np.arange(len(path)), distance, color=optimiser_color(index), label=name)
        if len(path) < longest:
            ax.plot(len(path) - 1, distance[-1], "x", color=optimiser_color(index), markersize=9)
    ax.set(yscale="log", title="Distance to the minimum against step (× = diverged, run stopped)",
           xlabel="step", ylabel="distance to the minimum (log scale)")
    ax.legend(fontsize=8, loc="lower left")
    return ax


def plot_race(surface: Surface, paths: Mapping[str, Array], rates: Mapping[str, float] | None = None,
              title: str = ""):
    """One contour panel per optimiser (its path only), then distance to the minimum against step.

    One panel per path keeps every path readable even when one of them leaps far from the
    others; each panel keeps the surface's window, so a path that leaves it is cut at the edge.

    Args:
        surface: the surface the optimisers ran on.
        paths: optimiser name -> array of points, shape (steps + 1, 2).
        rates: optimiser name -> learning rate, shown in the panel titles (optional).
        title: figure title (defaults to the surface name).

    Returns:
        (list of the path Axes, the distance Axes).
    """
    import matplotlib.pyplot as plt

    window = (surface.ylim[1] - surface.ylim[0]) / (surface.xlim[1] - surface.xlim[0])   # height / width
    columns = len(paths) if window >= 0.5 else -(-len(paths) // 2)   # a wide, flat window: two rows of panels
    rows, width = -(-len(paths) // columns), 3.1 * max(len(paths), 3)
    panel = width / columns * window + 0.9   # inches: each panel is drawn to scale, plus its title and axis labels
    fig = plt.figure(figsize=(width, rows * panel + 3.5), layout="constrained")
    grid = fig.add_gridspec(rows + 1, columns, height_ratios=[panel] * rows + [3.0])
    path_axes = [fig.add_subplot(grid[i // columns, i % columns]) for i in range(len(paths))]
    for index, (ax, (name, path)) in enumerate(zip(path_axes, paths.items())):
        path = np.asarray(path)
        plot_contours(surface, ax, levels=20)
        ax.plot(path[:, 0], path[:, 1], ".-", color=optimiser_color(index), markersize=2, linewidth=1.0, label=name)
        ax.plot(*surface.start, "ko", markersize=4)
        rate = f" (rate {rates[name]:.3g})" if rates and name in rates else ""
        ax.set_title(f"{name}{rate}", fontsize=10)
        if index % columns:
            ax.set_ylabel("")
    plot_distance_curves(surface, paths, fig.add_subplot(grid[rows, :]))
    fig.suptitle(title or f"Optimiser race: {surface.name} (● start, ★ minimum)", fontweight="bold")
    return path_axes, fig.axes[-1]


def plot_lr_sweep(surface: Surface, rates: Sequence[float], distances: Mapping[str, Sequence[float]],
                  best: Mapping[str, float] | None = None, ax=None, floor: float = 1e-12, ceiling: float = 20.0):
    """Final distance to the minimum against learning rate, one line per optimiser (both axes log).

    Args:
        surface: the surface swept (for the title).
        rates: the learning rates tried, increasing.
        distances: optimiser name -> final distance at each rate; ``inf`` marks a run that diverged,
            drawn as a cross, one row of crosses per optimiser, above a dashed line and above every finite distance.
        best: optimiser name -> the rate chosen for the race, circled (optional).
        floor: distances below it are drawn at it (a log axis has no zero).
        ceiling: the lowest row of crosses; raised to 4 times the largest finite distance if that is higher.

    Returns:
        The Axes.
    """
    import matplotlib.pyplot as plt

    ax = ax if ax is not None else plt.subplots(figsize=(7, 4))[1]
    rates = np.asarray(rates, dtype=float)
    everything = np.concatenate([np.asarray(values, dtype=float).ravel() for values in distances.values()] or [[]])
    finite = everything[np.isfinite(everything)]
    ceiling = max(ceiling, 4 * float(finite.max(initial=floor)))   # no cross among the distances
    if not np.isfinite(everything).all():
        ax.axhline(ceiling / 2, color="0.5", linestyle="--", linewidth=0.8)
    for index, (name, values) in enumerate(distances.items()):
        values = np.asarray(values, dtype=float)
        shown, diverged, color = np.maximum(values, floor), ~np.isfinite(values), optimiser_color(index)
        ax.plot(rates[~diverged], shown[~diverged], ".-", color=color, label=name)
        ax.plot(rates[diverged], np.full(diverged.sum(), ceiling * 2.5 ** index), "x", color=color, markersize=6)
        if best and name in best:
            chosen = int(np.argmin(np.abs(rates - best[name])))
            ax.plot(rates[chosen], shown[chosen], "o", markersize=11, markerfacecolor="none", color=color)
    ax.plot([], [], "kx", label="diverged")
    ax.plot([], [], "ko", markerfacecolor="none", label="rate used in the race")
    ax.set(xscale="log", yscale="log", title=f"{surface.name}: final distance against learning rate",
           xlabel="learning rate", ylabel="final distance to the minimum")
    ax.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=4)   # below the axes: covers no point
    return ax


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
