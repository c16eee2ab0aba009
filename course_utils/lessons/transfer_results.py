"""Lesson 5's results: which seeds to count, mean ± sd per cell, paired gains, choices made on
validation data, and the lesson's figures.

The statistics are :mod:`course_utils.stats`' (the course's one policy); the functions here only
say which columns of lesson 5's tables pair and group. The figures live here, not in
:mod:`course_utils.plots`, because only lesson 5's topic needs them (the rule is in ``docs/authoring.md``).
"""
from __future__ import annotations

import numpy as np

from .. import stats
from ..plots import METHOD_COLORS
from .transfer_runs import ADVANCED_NAMES, METHODS, RANDOM_BODY, config_key

SEED_KEY = ["model", "n_train", "seed"]
COLORS = {**METHOD_COLORS, "l2": "#8c564b"}   # plain L2 has no course-wide colour


def complete_seeds(table):
    """Keep a seed only where every setting (method, λ, α) of its model and N ran on it: same subsets for all."""
    combo = table["method"] + "|" + table["l2sp_lambda"].astype(str) + "|" + table["joint_alpha"].astype(str)
    t = table.assign(_combo=combo.to_numpy())
    need = t.groupby(["model", "n_train"])["_combo"].transform("nunique")
    have = t.groupby(["model", "n_train", "seed"])["_combo"].transform("nunique")
    return table[(have == need).to_numpy()]


def near_table(table, model: str = "mlp"):
    """The near control's rows of ``table`` whose key matches the current code, complete seeds only."""
    from .transfer_grid import near_configs

    wanted = {config_key(c) for c in near_configs(model)}
    table = table.drop_duplicates("key")
    return complete_seeds(table[table["key"].isin(wanted)])


def summarise(table, by=("model", "method", "n_train"), metric: str = "test_accuracy"):
    """Per group: ``mean``, ``sd`` (spread over seeds), ``count``, and ``low``/``high`` (95 % t interval of the mean).

    :func:`course_utils.stats.summarize` on lesson 5's columns; ``std`` repeats ``sd`` for the
    command-line tables. A group of one seed has neither sd nor interval (NaN).
    """
    table = stats.summarize(table, list(by), metric=metric)
    return table.assign(std=table["sd"])


def paired_gains(table, baseline: str = "scratch", level: float = stats.LEVEL):
    """Each method minus ``baseline`` on the same seed (same subset, same start), mean and t interval per model and N.

    :func:`course_utils.stats.paired_table` with the seed as the pair: the per-seed difference
    removes the subset's own luck. With one seed there is no interval (``low``/``high`` NaN,
    verdict "1 seed: no interval").

    Returns:
        One row per (model, n_train, method): ``seeds, gain, low, high, verdict``.
    """
    return stats.paired_table(table, "method", "test_accuracy", pair_col="seed", baseline=baseline,
                              by=("model", "n_train"), level=level)


def random_body_gains(runs, level: float = stats.LEVEL):
    """The frozen body's untrained control, paired by seed: what the source's features are worth, what freezing costs.

    Args:
        runs: scratch, frozen-body and :data:`~course_utils.lessons.transfer_runs.RANDOM_BODY` rows of the same seeds.

    Returns:
        One row per (model, n_train, comparison), columns as in :func:`paired_gains`: ``"features"`` is the frozen
        body minus the frozen random body (below 0, the source's features did worse than random ones: negative
        transfer measured against an untrained control); ``"freezing"`` is the frozen random body minus scratch
        (what training only a head on an untrained body costs).
    """
    import pandas as pd

    features = paired_gains(runs, baseline=RANDOM_BODY, level=level)
    freezing = paired_gains(runs, level=level)
    return pd.concat([features[features["method"] == "frozen body"].assign(comparison="features"),
                      freezing[freezing["method"] == RANDOM_BODY].assign(comparison="freezing")],
                     ignore_index=True).sort_values(["model", "n_train", "comparison"], ignore_index=True)


def random_body_markdown(runs, target: str) -> list[str]:
    """Markdown lines: the frozen body's untrained control (:func:`random_body_gains`), one table per model.

    Args:
        runs: scratch, frozen-body and random-body rows (complete seeds), one target.
        target: how the tables name the target, e.g. ``"far target"``.
    """
    gains = random_body_gains(runs)
    lines = []
    for kind, part in gains.groupby("model"):
        lines += [f"**{kind.upper()}, {target}: the untrained control** (paired by seed, mean [95 % t interval] "
                  "(seeds), percentage points): frozen body minus frozen random body (*features*: what the source's "
                  "weights give a head trained alone) and frozen random body minus scratch (*freezing*: what training "
                  "only a head costs)", "", "| N | features | freezing |", "|---|---|---|"]
        for n, rows in part.groupby("n_train"):
            cells = {r["comparison"]: (f"{100 * r['gain']:+.1f} [{100 * r['low']:+.1f}, {100 * r['high']:+.1f}] "
                                       f"({r['seeds']})") for _, r in rows.iterrows()}
            lines.append(f"| {n} | {cells.get('features', '')} | {cells.get('freezing', '')} |")
        excluded = int(((part["low"] > 0) | (part["high"] < 0)).sum())
        lines += ["", f"{excluded} of {len(part)} intervals exclude 0; chance alone would put about "
                      f"{stats.expected_false_exclusions(len(part)):.1f} there.", ""]
    return lines


def choose_on_validation(runs, reference: str = "fine-tune all", level: float = stats.LEVEL,
                         methods=("l2-sp", "l2", "joint")):
    """Pick λ (L2-SP, plain L2) and α (joint) by mean VALIDATION accuracy, then report the chosen setting's test accuracy.

    The test set takes no part in the choice. The chosen setting is compared with ``reference``
    (plain fine-tuning) seed by seed on test accuracy (:func:`course_utils.stats.paired_interval`).

    Args:
        runs: rows of one or more models' sweeps, complete seeds only (:func:`complete_seeds`).

    Returns:
        One row per (model, method): ``setting`` (λ or α chosen), ``val_accuracy`` and
        ``test_accuracy`` (means over seeds), ``seeds``, and ``gain, low, high, verdict`` against ``reference``.
    """
    import pandas as pd

    rows = []
    for (kind, method), sweep in runs[runs["method"].isin(methods)].groupby(["model", "method"]):
        param = "joint_alpha" if method == "joint" else "l2sp_lambda"
        means = sweep.groupby(param)[["val_accuracy", "test_accuracy"]].mean()
        setting = means["val_accuracy"].idxmax()
        chosen = sweep[sweep[param] == setting].set_index("seed")["test_accuracy"]
        plain = runs[(runs["model"] == kind) & (runs["method"] == reference)].set_index("seed")["test_accuracy"]
        d = (chosen - plain).dropna()
        mean, low, high = stats.paired_interval(d, level) if len(d) >= 2 else (float(d.mean()), np.nan, np.nan)
        rows.append({"model": kind, "method": method, "parameter": param, "setting": setting,
                     "val_accuracy": means.loc[setting, "val_accuracy"],
                     "test_accuracy": means.loc[setting, "test_accuracy"], "seeds": len(d), "gain": mean,
                     "low": low, "high": high, "verdict": stats.verdict(low, high) if len(d) >= 2 else "1 seed"})
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
    summary = summarise(table[table["model"] == model])
    for method in methods:
        s = summary[summary["method"] == method].sort_values("n_train")
        if s.empty:
            continue
        ax.plot(s["n_train"], s["mean"], "o-", color=METHOD_COLORS[method], label=method)
        ax.fill_between(s["n_train"], s["mean"] - s["std"], s["mean"] + s["std"], color=METHOD_COLORS[method],
                        alpha=0.2)
    ax.set_xscale("log")
    ax.set(title=title or f"{model.upper()}: Fashion-MNIST test accuracy vs training-set size",
           xlabel="target training-set size N (images, log scale)", ylabel="test accuracy (fraction)")
    ax.legend(title="band: ± 1 sd over seeds (no band where a point rests on one seed)", loc="upper center",
              bbox_to_anchor=(0.5, -0.2), ncol=len(methods), fontsize="small", title_fontsize="small")
    return ax


SWEEP_YLABELS = {"test_accuracy": "test accuracy", "val_accuracy": "validation accuracy (fraction)"}


def plot_sweep(table, x: str, baseline: float | None, title: str, xlabel: str, ax=None, method: str = "l2-sp",
               metric: str = "test_accuracy"):
    """Mean ± sd of ``metric`` against a swept hyperparameter, with plain fine-tuning as a line.

    To choose the hyperparameter from the figure, plot ``metric="val_accuracy"`` and pass plain
    fine-tuning's validation accuracy as ``baseline`` (None draws no line, e.g. for a second method on
    the same axes): a setting read off a test-accuracy plot has been chosen on the test set. A setting
    that rests on a single seed is drawn without an error bar. The legend sits below the axes, so it
    hides no point or error bar.
    """
    import matplotlib.pyplot as plt

    ax = ax if ax is not None else plt.subplots(figsize=(6, 3.5))[1]
    s = summarise(table, by=(x,), metric=metric)
    seeds = int(s["count"].min())
    name = ADVANCED_NAMES.get(method, method)   # "L2-SP", "plain L2": the names the prose uses
    label = f"{name} (1 seed, no error bar)" if seeds < 2 else f"{name} (± 1 sd over {seeds} seeds)"
    ax.errorbar(s[x], s["mean"], yerr=s["sd"] if seeds >= 2 else None, fmt="o-", capsize=4,
                color=COLORS[method], label=label)
    if baseline is not None:
        ax.axhline(baseline, color=COLORS["fine-tune all"], ls="--", label="plain fine-tune all")
    ax.set_xscale("log")
    ax.set_xticks(list(s[x]), labels=[f"{v:g}" for v in s[x]])   # every swept value labelled (α = 0.3 too)
    ax.xaxis.set_minor_formatter(plt.NullFormatter())
    ax.set(title=title, xlabel=xlabel, ylabel=SWEEP_YLABELS.get(metric, metric))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=2, fontsize="small")   # below the x-axis label
    return ax


def plot_near_far(near_gains, far_gains, per_class_near: int = 5, per_class_far: int = 10, axes=None,
                  titles=("near: MNIST digits 0-4 → digits 5-9", "far: MNIST digits 0-9 → Fashion-MNIST")):
    """Paired gain over scratch (points, 95 % t interval) against labelled images per class, near and far side by side.

    Both panels share their axes, so the same height is the same gain and the same place on the x axis the
    same number of images per class.

    Args:
        near_gains, far_gains: :func:`paired_gains` tables of one model each.
        per_class_near, per_class_far: the number of classes of each target (N / classes = images per class).
    """
    import matplotlib.pyplot as plt

    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(13, 5), sharey=True, sharex=True, layout="constrained")
    ticks = sorted({int(n // classes) for gains, classes in ((near_gains, per_class_near), (far_gains, per_class_far))
                    for n in gains["n_train"]})
    for ax, gains, classes, title in zip(axes, (near_gains, far_gains), (per_class_near, per_class_far), titles):
        for i, method in enumerate(METHODS[1:]):
            g = gains[gains["method"] == method].sort_values("n_train")
            x = g["n_train"] / classes * (1.08 ** (i - 1))   # a small offset per method keeps the bars apart
            ax.errorbar(x, 100 * g["gain"], yerr=[100 * (g["gain"] - g["low"]), 100 * (g["high"] - g["gain"])],
                        fmt="o-", capsize=3, color=COLORS[method], label=method)
        ax.axhline(0, color=COLORS["scratch"], ls="--", lw=1, label="scratch (gain 0)")
        ax.set_xscale("log")
        ax.set_xticks(ticks, [f"{t:,}" for t in ticks], rotation=45)
        ax.minorticks_off()
        low, high = int(gains["seeds"].min()), int(gains["seeds"].max())
        ax.set(title=f"{title} ({low} seeds)" if low == high else f"{title} ({low}-{high} seeds per point)",
               xlabel="labelled target images per class (log scale)")
    axes[0].set_ylabel("test accuracy minus scratch\n(percentage points)")
    axes[0].set_xlim(0.7, 8000)
    handles, labels = axes[0].get_legend_handles_labels()
    axes[0].figure.legend(handles, labels, loc="outside lower center", ncol=4, fontsize="small", title_fontsize="small",
                          title="bars: 95 % t interval of the paired gain (method minus scratch, same seed)")
    return axes
