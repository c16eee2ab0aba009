"""Lesson 5's results: which seeds to count, mean ± sd per cell, and the two figures of the lesson.

The figures live here, not in :mod:`course_utils.plots`, because only lesson 5's topic
needs them (the rule is in ``docs/authoring.md``).
"""
from __future__ import annotations

from ..plots import METHOD_COLORS
from ..runs import summarize_runs
from .transfer_runs import METHODS


def complete_seeds(table):
    """Keep a seed only where every setting (method, λ, α) of its model and N ran on it: same subsets for all."""
    combo = table["method"] + "|" + table["l2sp_lambda"].astype(str) + "|" + table["joint_alpha"].astype(str)
    t = table.assign(_combo=combo.to_numpy())
    need = t.groupby(["model", "n_train"])["_combo"].transform("nunique")
    have = t.groupby(["model", "n_train", "seed"])["_combo"].transform("nunique")
    return table[(have == need).to_numpy()]


def summarise(table, by=("model", "method", "n_train")):
    """Mean, standard deviation and count of test accuracy per group, one row per group.

    Columns: the ``by`` columns, then ``mean``, ``std`` (NaN for a single seed) and ``count``.
    """
    stats = summarize_runs(table, by, metrics=["test_accuracy"])
    stats.columns = ["mean", "std", "count"]
    return stats.reset_index()


def plot_accuracy_vs_n(table, model: str, methods=METHODS, ax=None, title: str | None = None):
    """Test accuracy against training-set size N (log axis): mean line and ± 1 sd band per method.

    A point that rests on a single seed has no band (its spread is unknown, not zero).
    """
    import matplotlib.pyplot as plt

    ax = ax if ax is not None else plt.subplots(figsize=(7, 4))[1]
    stats = summarise(table[table["model"] == model])
    for method in methods:
        s = stats[stats["method"] == method].sort_values("n_train")
        if s.empty:
            continue
        ax.plot(s["n_train"], s["mean"], "o-", color=METHOD_COLORS[method], label=method)
        ax.fill_between(s["n_train"], s["mean"] - s["std"], s["mean"] + s["std"], color=METHOD_COLORS[method],
                        alpha=0.2)
    ax.set_xscale("log")
    ax.set(title=title or f"{model.upper()}: Fashion-MNIST test accuracy vs training-set size",
           xlabel="target training-set size N (images, log scale)", ylabel="test accuracy")
    ax.legend(title="method (band: ± 1 sd over seeds)")
    return ax


def plot_sweep(table, x: str, baseline: float, title: str, xlabel: str, ax=None, method: str = "l2-sp"):
    """Mean ± sd test accuracy against a swept hyperparameter, with plain fine-tuning as a line.

    A setting that rests on a single seed is drawn without an error bar.
    """
    import matplotlib.pyplot as plt

    ax = ax if ax is not None else plt.subplots(figsize=(6, 3.5))[1]
    s = summarise(table, by=(x,))
    ax.errorbar(s[x], s["mean"], yerr=s["std"], fmt="o-", capsize=4, color=METHOD_COLORS[method],
                label=f"{method} (± 1 sd over seeds)")
    ax.axhline(baseline, color=METHOD_COLORS["fine-tune all"], ls="--", label="plain fine-tune all")
    ax.set_xscale("log")
    ax.set(title=title, xlabel=xlabel, ylabel="test accuracy")
    ax.legend()
    return ax
