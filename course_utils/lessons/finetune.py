"""Lesson 7's plumbing around fine-tuning: device choices, a BatchNorm behaviour probe, the two-phase plot.

The model, the training recipe and the method stay written in the lesson; this module only
answers questions about the machine and the installed Keras, and draws one figure:

* :func:`mixed_precision_policy` / :func:`use_mixed_precision_if_capable`: float16 compute only on
  GPUs that gain from it (compute capability 7.0 or higher), set before any model is built;
* :func:`replica_devices`: the devices ``MirroredStrategy`` should use (every GPU, else the CPUs);
* :func:`batchnorm_obeys_training_false`: does ``fit`` keep a BatchNormalization layer in
  inference mode when its model was called with ``training=False``? (keras-team/keras#20285: not
  in the Keras 3 releases the course was tested on; a later release may change it);
* :func:`plot_two_phase_history`: the head's epochs, then fine-tuning's, on one axis.
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
    import keras

    keras.utils.set_random_seed(seed)
    base_in = keras.Input((4,))
    base = keras.Model(base_in, keras.layers.BatchNormalization(name="bn")(base_in), name="base")
    inputs = keras.Input((4,))
    outer = keras.Model(inputs, keras.layers.Dense(1)(base(inputs, training=False)))
    outer.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")
    x = np.random.default_rng(seed).normal(5.0, 2.0, (32, 4)).astype("float32")
    before = np.array(base.get_layer("bn").moving_mean)
    outer.fit(x, np.zeros((32, 1), "float32"), batch_size=32, epochs=1, verbose=0)
    return bool(np.allclose(np.array(base.get_layer("bn").moving_mean), before))


def plot_two_phase_history(head_history, finetune_history, metric: str = "accuracy",
                           title: str = "Training in two phases", ax=None):
    """One curve over both phases (head on cached features, then fine-tuning), a line at the unfreeze point."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    head, tuned = (h.history if hasattr(h, "history") else h for h in (head_history, finetune_history))
    n_head = len(head[metric])
    ax = ax or plt.subplots(figsize=(7, 4))[1]
    for key, style, label in ((metric, "o-", "training"), (f"val_{metric}", "s--", "validation")):
        values = list(head.get(key, [])) + list(tuned.get(key, []))
        if values:
            ax.plot(np.arange(1, len(values) + 1), values, style, markersize=3, label=f"{label} {metric}")
    ax.axvline(n_head + 0.5, color="black", linestyle=":", label="unfreeze conv5 (phase 2 starts)")
    ax.set(title=title, xlabel="epoch (phase 1, then phase 2)", ylabel=f"{metric} (share correct)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend()
    return ax
