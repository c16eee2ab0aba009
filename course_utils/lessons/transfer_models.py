"""Lesson 5's models: the MNIST source model, and the weight-transfer operations on a target copy.

Lesson 5 shows each operation in plain sight first (copying weights layer by layer,
freezing, the L2-SP penalty, the two-head joint model); these functions repeat them
compactly for the experiments.
"""
from __future__ import annotations

import functools
import time
from pathlib import Path

import numpy as np

from .. import config, models
from .transfer_data import prepare

SOURCE_RECIPE = {"mlp": {"epochs": 5, "batch_size": 128, "learning_rate": 1e-3, "seed": 0},
                 "cnn": {"epochs": 2, "batch_size": 128, "learning_rate": 1e-3, "seed": 0}}


# ---------------------------------------------------------------- source model
def build(kind: str, name: str | None = None):
    """The lesson-4 architecture: ``"mlp"`` (784-128-10) or ``"cnn"`` (two conv blocks)."""
    builder = {"mlp": models.build_mnist_mlp, "cnn": models.build_mnist_cnn}[kind]
    return builder(name=name or kind)


def source_path(kind: str, folder: Path | None = None) -> Path:
    """Where lesson 4 saves the source model: ``artifacts/<profile>/source_mnist_<kind>.keras``."""
    return (folder or config.artifacts_dir()) / f"source_mnist_{kind}.keras"


def train_source(kind: str, epochs: int | None = None, seed: int | None = None, verbose: int = 0):
    """Train the source model on MNIST with the recipe in ``SOURCE_RECIPE`` (Adam, cross-entropy)."""
    import keras

    from ..data.datasets import load_mnist

    recipe = dict(SOURCE_RECIPE[kind], **({"epochs": epochs} if epochs else {}),
                  **({"seed": seed} if seed is not None else {}))
    keras.utils.set_random_seed(recipe["seed"])
    mnist = load_mnist()
    model = build(kind, name=f"source_{kind}")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=recipe["learning_rate"]),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(prepare(mnist.x_train, kind), mnist.y_train, epochs=recipe["epochs"],
              batch_size=recipe["batch_size"], verbose=verbose)
    return model


def load_or_train_source(kind: str, path: Path | None = None, epochs: int | None = None, verbose: int = 0):
    """Load the saved source model, or train (and save) it when the file is missing or unreadable.

    Returns:
        (model, origin): origin is a sentence saying which of the two happened.
    """
    path = Path(path) if path else source_path(kind)
    start = time.perf_counter()
    model, how = models.load_or_train(path, lambda: train_source(kind, epochs=epochs, verbose=verbose))
    if how == "loaded":
        return model, (f"loaded the source model from {path.name} "
                       "(saved by lesson 4, or by an earlier run of this lesson)")
    reason = "was missing" if how == "trained" else "could not be read"
    return model, (f"{path.name} {reason}, so this lesson trained the source model itself on MNIST "
                   f"({time.perf_counter() - start:.0f} s) and saved it")


# ---------------------------------------------------------------- weight transfer
def body_layers(model) -> list:
    """Layers with weights except the last one (the head)."""
    return [layer for layer in model.layers if layer.weights][:-1]


def copy_body(source, target) -> list[str]:
    """Copy every weighted layer except the head, layer by layer, matching layers by name."""
    copied = []
    for layer in body_layers(target):
        layer.set_weights(source.get_layer(layer.name).get_weights())
        copied.append(layer.name)
    return copied


def set_body_trainable(model, trainable: bool) -> None:
    """Freeze (False) or unfreeze (True) every body layer; the head stays trainable."""
    for layer in body_layers(model):
        layer.trainable = trainable


@functools.cache
def l2sp_class():
    """The L2-SP regulariser class, built on first use so that importing this module does not import Keras.

    It subclasses ``keras.regularizers.Regularizer``: Keras 3.10 to 3.12 accept nothing else as a
    variable's regulariser (newer releases take any callable).
    """
    import keras
    from keras import ops

    class L2SP(keras.regularizers.Regularizer):
        """Keras regulariser λ‖w − w_source‖²: pulls a weight toward its source value, not toward 0."""

        def __init__(self, anchor, lam: float):
            self.anchor, self.lam = ops.convert_to_tensor(np.asarray(anchor, dtype="float32")), float(lam)

        def __call__(self, w):
            return self.lam * ops.sum(ops.square(w - self.anchor))

    return L2SP


def attach_l2sp(model, source, lam: float) -> None:
    """Give every body weight of ``model`` an L2-SP regulariser anchored at ``source``'s value."""
    for layer in body_layers(model):
        for w, w_source in zip(layer.weights, source.get_layer(layer.name).weights):
            w.regularizer = l2sp_class()(w_source.numpy(), lam)


def build_joint(model, source):
    """Two-head model on ``model``'s layers: inputs (target, source) -> (Fashion head, MNIST head).

    The MNIST head starts from the source model's head, so the source task starts solved.
    """
    import keras

    shape = model.inputs[0].shape[1:]
    x_t, x_s = keras.Input(shape=shape, name="fashion"), keras.Input(shape=shape, name="mnist")
    source_head = keras.layers.Dense(10, activation="softmax", name="source_head")

    def body(x):
        for layer in model.layers[:-1]:
            x = layer(x)
        return x

    joint = keras.Model([x_t, x_s], [model.layers[-1](body(x_t)), source_head(body(x_s))], name="joint")
    source_head.set_weights(source.layers[-1].get_weights())
    return joint
