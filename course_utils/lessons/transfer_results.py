"""Lesson 5's results: which seeds to count, mean ± sd per cell, paired gains, choices made on
validation data, and the two figures of the lesson.

The figures live here, not in :mod:`course_utils.plots`, because only lesson 5's topic
needs them (the rule is in ``docs/authoring.md``).
"""
from __future__ import annotations

import numpy as np

from ..plots import METHOD_COLORS
from ..runs import summarize_runs
from ..runs import paired_interval, verdict
from .transfer_runs import METHODS

SEED_KEY = ["model", "n_train", "seed"]


def complete_seeds(table):
    """Keep a seed only where every setting (method, λ, α) of its model and N ran on it: same subsets for all."""
    combo = table["method"] + "|" + table["l2sp_lambda"].astype(str) + "|" + table["joint_alpha"].astype(str)
    t = table.assign(_combo=combo.to_numpy())
    need = t.groupby(["model", "n_train"])["_combo"].transform("nunique")
    have = t.groupby(["model", "n_train", "seed"])["_combo"].transform("nunique")
    return table[(have == need).to_numpy()]


def summarise(table, by=("model", "method", "n_train"), metric: str = "test_accuracy"):
    """Mean, standard deviation and count of ``metric`` (test accuracy unless told) per group, one row per group.

    Columns: the ``by`` columns, then ``mean``, ``std`` (NaN for a single seed) and ``count``.
    """
    stats = summarize_runs(table, by, metrics=[metric])
    stats.columns = ["mean", "std", "count"]
    return stats.reset_index()


def paired_gains(table, baseline: str = "scratch", level: float = 0.95):
    """Each method minus ``baseline`` on the same seed (same subset, same start), then mean and t interval.

    The seeds share their training subsets across methods, so the per-seed difference removes
    the subset's own luck; its mean gets a Student-t interval over seeds
    (:func:`course_utils.runs.paired_interval`). With one seed there is no
    interval (``low``/``high`` NaN, verdict "1 seed: no interval").

    Returns:
        One row per (model, n_train, method): ``seeds, gain, low, high, verdict``.
    """
    import pandas as pd

    base = table[table["method"] == baseline].set_index(SEED_KEY)["test_accuracy"]
    rows = []
    for (kind, n, method), runs in table[table["method"] != baseline].groupby(["model", "n_train", "method"]):
        d = (runs.set_index(SEED_KEY)["test_accuracy"] - base).dropna()
        low = high = np.nan
        if len(d) >= 2:
            _, low, high = paired_interval(d, level)
        rows.append({"model": kind, "n_train": n, "method": method, "seeds": len(d), "gain": float(d.mean()),
                     "low": low, "high": high,
                     "verdict": verdict(low, high) if len(d) >= 2 else "1 seed: no interval"})
    return pd.DataFrame(rows)


def choose_on_validation(runs, reference: str = "fine-tune all", level: float = 0.95):
    """Pick λ (L2-SP) and α (joint) by mean VALIDATION accuracy, then report the chosen setting's test accuracy.

    The test set takes no part in the choice. The chosen setting is compared with ``reference``
    (plain fine-tuning) seed by seed on test accuracy, with a t interval as in :func:`paired_gains`.

    Args:
        runs: rows of one or more models' sweeps, complete seeds only (:func:`complete_seeds`).

    Returns:
        One row per (model, method): ``setting`` (λ or α chosen), ``val_accuracy`` and
        ``test_accuracy`` (means over seeds), ``seeds``, and ``gain, low, high, verdict`` against ``reference``.
    """
    import pandas as pd

    rows = []
    for (kind, method), sweep in runs[runs["method"].isin(["l2-sp", "joint"])].groupby(["model", "method"]):
        param = "l2sp_lambda" if method == "l2-sp" else "joint_alpha"
        means = sweep.groupby(param)[["val_accuracy", "test_accuracy"]].mean()
        setting = means["val_accuracy"].idxmax()
        chosen = sweep[sweep[param] == setting].set_index("seed")["test_accuracy"]
        plain = runs[(runs["model"] == kind) & (runs["method"] == reference)].set_index("seed")["test_accuracy"]
        d = (chosen - plain).dropna()
        mean, low, high = paired_interval(d, level) if len(d) >= 2 else (float(d.mean()), np.nan, np.nan)
        rows.append({"model": kind, "method": method, "parameter": param, "setting": setting,
                     "val_accuracy": means.loc[setting, "val_accuracy"],
                     "test_accuracy": means.loc[setting, "test_accuracy"], "seeds": len(d), "gain": mean,
                     "low": low, "high": high, "verdict": verdict(low, high) if len(d) >= 2 else "1 seed"})
    return pd.DataFrame(rows)


def rollback_report(table):
    """Two-stage runs next to the frozen body on the same seed: how much of stage 2 was kept.

    ``stage2_epochs`` / ``stage2_epochs_kept`` come from the run's row (NaN for rows recorded
    before the row said so); ``two-stage − frozen`` is the test-accuracy difference on the same
    subset: exactly 0 when stage 2 was rolled back and stage 1 matched the frozen-body run.
    """
    two = table[table["method"] == "two-stage"].set_index(SEED_KEY)
    frozen = table[table["method"] == "frozen body"].set_index(SEED_KEY)["test_accuracy"]
    report = two.reindex(columns=["stage2_epochs", "stage2_epochs_kept", "test_accuracy"])
    report["two-stage − frozen"] = (two["test_accuracy"] - frozen).round(4)
    return report.sort_index()


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
    ax.legend(title="band: ± 1 sd over seeds (no band where a point rests on one seed)", loc="upper center",
              bbox_to_anchor=(0.5, -0.2), ncol=len(methods), fontsize="small", title_fontsize="small")
    return ax


SWEEP_YLABELS = {"test_accuracy": "test accuracy", "val_accuracy": "validation accuracy (fraction)"}


def plot_sweep(table, x: str, baseline: float, title: str, xlabel: str, ax=None, method: str = "l2-sp",
               metric: str = "test_accuracy"):
    """Mean ± sd of ``metric`` against a swept hyperparameter, with plain fine-tuning as a line.

    To choose the hyperparameter from the figure, plot ``metric="val_accuracy"`` and pass plain
    fine-tuning's validation accuracy as ``baseline``: a setting read off a test-accuracy plot has
    been chosen on the test set. A setting that rests on a single seed is drawn without an error bar.
    """
    import matplotlib.pyplot as plt

    ax = ax if ax is not None else plt.subplots(figsize=(6, 3.5))[1]
    s = summarise(table, by=(x,), metric=metric)
    seeds = int(s["count"].min())
    label = f"{method} (1 seed, no error bar)" if seeds < 2 else f"{method} (± 1 sd over {seeds} seeds)"
    ax.errorbar(s[x], s["mean"], yerr=s["std"] if seeds >= 2 else None, fmt="o-", capsize=4,
                color=METHOD_COLORS[method], label=label)
    ax.axhline(baseline, color=METHOD_COLORS["fine-tune all"], ls="--", label="plain fine-tune all")
    ax.set_xscale("log")
    ax.set(title=title, xlabel=xlabel, ylabel=SWEEP_YLABELS.get(metric, metric))
    ax.legend()
    return ax
