"""Lesson 1's plot plumbing: the computational graph of its network, and training curves by loss.

Lesson 1 derives backpropagation by the chain rule for
``X -> Z1 = X W1 + b1 -> H = tanh(Z1) -> Z2 = H W2 + b2 -> P = softmax(Z2) -> L``.
The derivation is written in the lesson; this module only draws the graph: one box per
value, the forward operation on each arrow, and under it the backward step that turns
the gradient of the next value into the gradient of this one. ``\bar A`` is the gradient
of the loss with respect to ``A``, an array of the same shape as ``A``.

The lesson also trains its network with cross-entropy and with MSE from two starts;
:func:`plot_curves_by_loss` draws those curves, one colour per loss and one line per seed.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

#: (value, forward operation into the next value, backward step from the next value's gradient)
NETWORK_GRAPH: tuple[tuple[str, str, str], ...] = (
    ("$X$", r"$\cdot W_1 + b_1$", r"$\bar W_1 = X^\top \bar Z_1$" "\n" r"$\bar b_1 = \sum_i \bar Z_1$"),
    ("$Z_1$", r"$\tanh$", r"$\bar Z_1 = \bar H \odot (1 - H^2)$"),
    ("$H$", r"$\cdot W_2 + b_2$", r"$\bar H = \bar Z_2 W_2^\top$" "\n" r"$\bar W_2 = H^\top \bar Z_2$"
     "\n" r"$\bar b_2 = \sum_i \bar Z_2$"),
    ("$Z_2$", r"softmax", r"$\bar Z_2 = (P - Y)/n$" "\n" "(softmax and cross-entropy" "\n" "differentiated together)"),
    ("$P$", r"cross-entropy" "\n" r"with labels $Y$", r"start: $\bar L = 1$"),
    ("$L$", "", ""),
)


def plot_computational_graph(nodes: Sequence[tuple[str, str, str]] = NETWORK_GRAPH, ax=None,
                             title: str = "Forward pass (black, left to right) and backward pass (red, right to left)"):
    """Draw a chain of values: forward operations above the arrows, backward steps below them.

    Args:
        nodes: (value, forward operation to the next value, backward formula) per value;
            the last value's operation and formula are ignored. ``NETWORK_GRAPH`` is lesson 1's network.
        ax: Axes to draw on (a new wide figure if None).
        title: the figure's title.

    Returns:
        The Axes.

    Example:
        >>> plot_computational_graph()   # lesson 1's one-hidden-layer network
    """
    import matplotlib.pyplot as plt

    ax = ax if ax is not None else plt.subplots(figsize=(2.45 * len(nodes), 3.4))[1]
    box = {"boxstyle": "round,pad=0.45", "facecolor": "#eef3fb", "edgecolor": "#34495e"}
    for i, (value, forward, backward) in enumerate(nodes):
        ax.text(i, 0.0, value, ha="center", va="center", fontsize=16, bbox=box)
        if i == len(nodes) - 1:
            continue
        ax.annotate("", xy=(i + 0.78, 0.12), xytext=(i + 0.22, 0.12),
                    arrowprops={"arrowstyle": "->", "color": "black", "lw": 1.4})
        ax.text(i + 0.5, 0.24, forward, ha="center", va="bottom", fontsize=11)
        ax.annotate("", xy=(i + 0.22, -0.12), xytext=(i + 0.78, -0.12),
                    arrowprops={"arrowstyle": "->", "color": "tab:red", "lw": 1.4})
        ax.text(i + 0.5, -0.24, backward, ha="center", va="top", fontsize=10.5, color="tab:red")
    ax.set(xlim=(-0.5, len(nodes) - 0.5), ylim=(-0.95, 0.6), title=title)
    ax.axis("off")
    return ax


def plot_curves_by_loss(curves: Mapping[str, Sequence[Sequence[float]]], ax=None, title: str = "",
                        ylabel: str = "training accuracy", colors: Sequence[str] = ("C0", "C1")):
    """One line per seed, one colour per loss, against the step number (1, 2, ...).

    Args:
        curves: loss name -> list of curves (one per seed), each a value per step.
        ax: Axes to draw on (a new figure if None).
        title: the panel's title; ylabel: what the curves measure.

    Returns:
        The Axes.
    """
    import matplotlib.pyplot as plt

    ax = ax if ax is not None else plt.subplots(figsize=(6.5, 4))[1]
    for color, (name, runs) in zip(colors, curves.items()):
        for i, curve in enumerate(runs):
            ax.plot(np.arange(1, len(curve) + 1), curve, color=color, alpha=0.75, linewidth=1.3,
                    label=f"{name} ({len(runs)} seeds)" if i == 0 else None)
    ax.set(title=title, xlabel="gradient-descent step", ylabel=ylabel)
    ax.legend(fontsize=9, loc="lower right")
    return ax
