"""Lessons 7 and 8's plumbing around fine-tuning: device choices, a BatchNorm behaviour probe, two plots.

The model, the training recipe and the method stay written in the lesson; this module only
answers questions about the machine and the installed Keras, and draws two figures (intervals and
paired comparisons of accuracies come from :mod:`course_utils.stats`):

* :func:`mixed_precision_policy` / :func:`use_mixed_precision_if_capable`: float16 compute only on
  GPUs that gain from it (compute capability 7.0 or higher), set before any model is built;
* :func:`replica_devices`: the devices ``MirroredStrategy`` should use (every GPU, else the CPUs);
* :func:`batchnorm_obeys_training_false`: does ``fit`` keep a BatchNormalization layer in
  inference mode when its model was called with ``training=False``? (keras-team/keras#20285: not
  in the Keras 3 releases the course was tested on; a later release may change it);
* :func:`frozen_batchnorm_keeps_statistics`: does ``trainable = False`` keep it in inference mode
  even when ``fit`` asks for training mode?
* :func:`kept_share_band`: where the share of new known photos that a confidence threshold keeps
  should fall, when the threshold was set on a validation set;
* :func:`plot_two_phase_history`: the head's epochs, then fine-tuning's, on one axis;
* :func:`plot_learning_rate_grid` (lesson 8, pitfall 7): accuracy per learning rate and method, and each
  method's paired gain over scratch at the same rate.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

MIXED_PRECISION_MIN_CAPABILITY = (7, 0)   # Volta and later: float16 tensor cores


def mixed_precision_policy(compute_capabilities: Sequence[tuple[int, int]]) -> str:
    """``"mixed_float16"`` when there is a GPU and every GPU has compute capability >= 7.0, else ``"float32"``.

    Args:
        compute_capabilities: one ``(major, minor)`` per GPU; empty on a CPU-only machine.

    Example:
        >>> mixed_precision_policy([(8, 6)]), mixed_precision_policy([]), mixed_precision_policy([(6, 1)])
        ('mixed_float16', 'float32', 'float32')
    """
    capable = bool(compute_capabilities) and all(tuple(c) >= MIXED_PRECISION_MIN_CAPABILITY
                                                 for c in compute_capabilities)
    return "mixed_float16" if capable else "float32"


def use_mixed_precision_if_capable() -> str:
    """Set Keras' global dtype policy from the GPUs present and return its name.

    Call it before building any model: a layer takes the policy in force when it is created,
    so switching later changes nothing for the models that already exist.
    """
    import keras
    import tensorflow as tf

    capabilities = [tf.config.experimental.get_device_details(g).get("compute_capability", (0, 0))
                    for g in tf.config.list_physical_devices("GPU")]
    policy = mixed_precision_policy(capabilities)
    keras.mixed_precision.set_global_policy(policy)
    return policy


def replica_devices(gpus: Sequence[str], cpus: Sequence[str]) -> list[str]:
    """The devices a ``MirroredStrategy`` should mirror the model on: every GPU, or the CPUs when there is none.

    The strategy then has exactly ``len(replica_devices(...))`` replicas: one per GPU (one on a
    single-GPU machine), or one per logical CPU device.

    Example:
        >>> replica_devices(["/GPU:0"], ["/CPU:0", "/CPU:1"]), replica_devices([], ["/CPU:0", "/CPU:1"])
        (['/GPU:0'], ['/CPU:0', '/CPU:1'])
    """
    if not cpus and not gpus:
        raise ValueError("No device to train on: TensorFlow lists neither a GPU nor a CPU.")
    return list(gpus) if gpus else list(cpus)


def batchnorm_obeys_training_false(seed: int = 0) -> bool:
    """True when ``fit`` leaves a trainable BatchNormalization layer alone inside a base called with ``training=False``.

    A tiny base (one BatchNormalization layer) is called with ``training=False`` inside an outer
    model, the layer is left trainable, and the outer model takes one ``fit`` step at learning rate 0
    on data far from the layer's initial statistics (mean 0, variance 1). If the moving mean moved,
    ``fit``'s ``training=True`` reached the layer: ``training=False`` alone did not protect it.
    """
    return batchnorm_statistics_kept(frozen=False, training_false=True, seed=seed)


def frozen_batchnorm_keeps_statistics(seed: int = 0) -> bool:
    """True when a BatchNormalization layer with ``trainable = False`` keeps its moving statistics under ``fit``.

    The same tiny model as :func:`batchnorm_obeys_training_false`, but the base is called without
    ``training=False`` (so ``fit``'s ``training=True`` reaches the layer for sure) and the layer is
    frozen. Keras documents that a frozen BatchNormalization layer runs in inference mode; this
    asks the installed release.
    """
    return batchnorm_statistics_kept(frozen=True, training_false=False, seed=seed)


def batchnorm_statistics_kept(frozen: bool, training_false: bool, seed: int = 0) -> bool:
    """One ``fit`` step at learning rate 0 through a base holding one BatchNormalization layer: did its moving mean stay?

    Args:
        frozen: set ``trainable = False`` on the BatchNormalization layer.
        training_false: call the base with ``training=False`` inside the outer model.
    """
    import keras

    keras.utils.set_random_seed(seed)
    base_in = keras.Input((4,))
    base = keras.Model(base_in, keras.layers.BatchNormalization(name="bn")(base_in), name="base")
    base.get_layer("bn").trainable = not frozen
    inputs = keras.Input((4,))
    features = base(inputs, training=False) if training_false else base(inputs)
    outer = keras.Model(inputs, keras.layers.Dense(1)(features))
    outer.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")
    x = np.random.default_rng(seed).normal(5.0, 2.0, (32, 4)).astype("float32")
    before = np.array(base.get_layer("bn").moving_mean)
    outer.fit(x, np.zeros((32, 1), "float32"), batch_size=32, epochs=1, verbose=0)
    return bool(np.allclose(np.array(base.get_layer("bn").moving_mean), before))


def kept_share_band(n_validation: int, n_test: int, quantile: float = 0.05,
                    level: float = 0.99) -> tuple[float, float]:
    """Central ``level`` range of the share of ``n_test`` new photos that a confidence threshold keeps.

    The threshold is ``np.quantile(validation_scores, quantile, method="lower")``: the r-th lowest of
    ``n_validation`` scores, r = floor(quantile * (n_validation - 1)) + 1. When validation and test
    scores come from the same distribution (no ties), the share of all such photos it keeps is
    Beta(n_validation - r + 1, r) distributed, with a mean close to 1 - quantile, and the number kept
    of ``n_test`` new photos is binomial given that share: a beta-binomial. Its range therefore allows
    for both samples, the validation photos that set the threshold and the test photos that measure it.

    Example:
        >>> kept_share_band(60, 100)
        (0.83, 1.0)
    """
    from scipy import stats   # installed with scikit-learn

    if n_validation < 1 or n_test < 1 or not 0 <= quantile < 1:
        raise ValueError("Need at least one validation and one test photo, and 0 <= quantile < 1.")
    r = int(np.floor(quantile * (n_validation - 1))) + 1
    low, high = stats.betabinom(n_test, n_validation - r + 1, r).interval(level)
    return float(low) / n_test, float(high) / n_test


def plot_two_phase_history(head_history, finetune_history, metric: str = "accuracy",
                           title: str = "Training in two phases", ax=None):
    """One curve over both phases (head on cached features, then fine-tuning), a line at the unfreeze point."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    head, tuned = (h.history if hasattr(h, "history") else h for h in (head_history, finetune_history))
    n_head = len(head[metric])
    ax = ax or plt.subplots(figsize=(9, 4), layout="constrained")[1]
    for key, style, label in ((metric, "o-", "training"), (f"val_{metric}", "s--", "validation")):
        values = list(head.get(key, [])) + list(tuned.get(key, []))
        if values:
            ax.plot(np.arange(1, len(values) + 1), values, style, markersize=3, label=f"{label} {metric}")
    ax.axvline(n_head + 0.5, color="black", linestyle=":", label="unfreeze conv5 (phase 2 starts)")
    ax.set(title=title, xlabel="epoch (phase 1, then phase 2)", ylabel=f"{metric} (share correct)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))   # beside the axes: the curves fill every corner
    return ax


def plot_learning_rate_grid(summary, colors: dict[str, str], gain_rates: Sequence[float], baseline: str = "scratch",
                            title: str = "Learning rates tried", xlabel: str = "Adam learning rate", axes=None):
    """Two panels: accuracy per learning rate and method; each method's gain over ``baseline`` at the same rate.

    Left: mean ± sd (spread over the seeds) per rate, as markers only, each method nudged sideways so none hides
    another: the rates tried are ten or a hundred times apart, and a line between two of them would show accuracies
    at rates nobody ran. Right: the paired gain over ``baseline`` (per-seed differences at the same rate, 95 % t
    interval), in percentage points, at ``gain_rates`` only, on its own scale, so differences of a point are visible;
    its title names each rate left out and how wide its interval is.

    Args:
        summary: one row per (learning rate, method) index pair, with columns ``mean``, ``sd`` and, for every method
            but the baseline, ``gain``, ``low``, ``high`` (fractions), as lesson 8's ``lr_table`` returns.
        colors: a colour per method.
        gain_rates: the rates whose gains the right panel shows.

    Returns:
        The two Axes.
    """
    import matplotlib.pyplot as plt

    methods = list(dict.fromkeys(summary.index.get_level_values(1)))
    rates = sorted(set(summary.index.get_level_values(0)))
    axes = axes if axes is not None else plt.subplots(1, 2, figsize=(11, 3.8), layout="constrained")[1]
    ax_acc, ax_gain = axes
    for i, method in enumerate(methods):
        part = summary.xs(method, level=1)
        nudge = 1.12 ** (i - (len(methods) - 1) / 2)              # side by side on the log axis
        # plain float arrays: Matplotlib 3.8 keeps a pandas column's object dtype in the line it draws
        ax_acc.errorbar(part.index.to_numpy(float) * nudge, part["mean"].to_numpy(float),
                        yerr=part["sd"].to_numpy(float), marker="o", ls="", capsize=3, color=colors[method], label=method)
        if method != baseline:
            kept = part.loc[[r for r in gain_rates if r in part.index]]
            gain, low, high = (100 * kept[column].to_numpy(float) for column in ("gain", "low", "high"))
            ax_gain.errorbar(kept.index.to_numpy(float) * nudge, gain, yerr=[gain - low, high - gain], marker="o", ls="",
                             capsize=3, color=colors[method], label=f"{method} − {baseline}")
    ax_gain.axhline(0, color="black", lw=0.8)
    for ax, ticks in ((ax_acc, rates), (ax_gain, list(gain_rates))):
        ax.set_xscale("log")
        ax.set_xticks(ticks, [f"{r:g}" for r in ticks])
        ax.minorticks_off()
        ax.set_xlim(min(ticks) / 2, max(ticks) * 2)
    ax_acc.set(title=title, xlabel=xlabel, ylabel="validation accuracy (fraction)", ylim=(0, 1))
    spans = {r: 100 * (part["high"] - part["low"]).max() for r, part in summary.groupby(level=0)
             if r not in gain_rates and part["gain"].notna().any()}
    left_out = "".join(f"\nnot shown: {r:g} (its interval spans {span:.0f} points)" for r, span in spans.items())
    ax_gain.set(title=f"Gain over {baseline} at the same rate\n(paired by seed, 95 % t interval){left_out}",
                xlabel=xlabel, ylabel="percentage points")
    ax_acc.legend(title="mean ± 1 sd over the seeds", fontsize="small")
    ax_gain.legend(fontsize="small")
    return ax_acc, ax_gain
