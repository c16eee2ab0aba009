"""Lesson 5's models: the source models, and the weight-transfer operations on a target copy.

Lesson 5 shows each operation in plain sight first (copying weights layer by layer,
freezing, the L2-SP penalty, the two-head joint model); these functions repeat them
compactly for the experiments.

**The source models lessons 5 and 8 use** are defined by :data:`SOURCE_RECIPE` (a short,
fixed training run on MNIST) and made by :func:`load_source`, which trains one once and caches
it under ``artifacts/<profile>/experiments/``. Lesson 5's recorded grids used the same recipe,
so the live lesson and the grids start from the same recipe. Lesson 4 trains its own, longer-trained
models (``source_mnist_<kind>.keras``, :func:`source_path`); lesson 5 does not read them, so its
numbers do not depend on whether or how lesson 4 was run.
"""
from __future__ import annotations

import functools
import time
from pathlib import Path

import numpy as np

from .. import config, models
from ..caching import stable_key, weights_fingerprint
from ..i18n import tr
from .transfer_data import digits_subset, prepare

SOURCE_RECIPE = {"mlp": {"epochs": 5, "batch_size": 128, "learning_rate": 1e-3, "seed": 0},
                 "cnn": {"epochs": 2, "batch_size": 128, "learning_rate": 1e-3, "seed": 0}}
ALL_DIGITS = tuple(range(10))


# ---------------------------------------------------------------- source model
def build(kind: str, name: str | None = None, classes: int = 10):
    """The lesson-4 architecture: ``"mlp"`` (784-128-10) or ``"cnn"`` (two conv blocks), with ``classes`` outputs.

    With ``classes`` other than 10 the head (the last ``Dense`` layer, named ``head``) has that many
    units; every other layer is the lesson-4 layer of the same name.
    """
    import keras

    builder = {"mlp": models.build_mnist_mlp, "cnn": models.build_mnist_cnn}[kind]
    model = builder(name=name or kind)
    if classes == 10:
        return model
    head = keras.layers.Dense(classes, activation="softmax", name="head")
    return keras.Sequential([keras.Input(shape=model.inputs[0].shape[1:]), *model.layers[:-1], head],
                            name=model.name)


def source_path(kind: str, folder: Path | None = None) -> Path:
    """Where lesson 4 saves its own source model: ``artifacts/<profile>/source_mnist_<kind>.keras``.

    Lessons 5 and 8 do not read this file; they use :func:`load_source`.
    """
    return (folder or config.artifacts_dir()) / f"source_mnist_{kind}.keras"


def _recipe(kind: str, epochs: int | None = None, seed: int | None = None) -> dict:
    """:data:`SOURCE_RECIPE` of ``kind`` with ``epochs`` / ``seed`` replaced when given."""
    return dict(SOURCE_RECIPE[kind], **({"epochs": epochs} if epochs else {}),
                **({"seed": seed} if seed is not None else {}))


def source_tag(kind: str, digits=ALL_DIGITS, epochs: int | None = None) -> str:
    """Name of a source model's recipe, stored in every row trained from it: ``recipe:<hash>``.

    The hash covers the architecture, the recipe and, for a source trained on some digits only
    (the near control), which digits. The default (all ten digits, the recipe's epochs) is the tag
    of lesson 5's recorded grids.
    """
    spec = {"kind": kind, **_recipe(kind, epochs)}
    if tuple(digits) != ALL_DIGITS:
        spec["digits"] = list(digits)
    return "recipe:" + stable_key(spec, length=10)


def train_source(kind: str, epochs: int | None = None, seed: int | None = None, verbose: int = 0,
                 digits=ALL_DIGITS):
    """Train a source model on MNIST with the recipe in ``SOURCE_RECIPE`` (Adam, cross-entropy).

    Args:
        epochs, seed: replace the recipe's (the smoke profile trains 1 epoch).
        digits: train on these digits only, with one output per digit (labels renumbered 0, 1, ...);
            the near control's source uses digits 0-4.
    """
    import keras

    from ..data.datasets import load_mnist

    recipe = _recipe(kind, epochs, seed)
    keras.utils.set_random_seed(recipe["seed"])
    mnist = load_mnist()
    x, y = digits_subset(mnist.x_train, mnist.y_train, tuple(digits))
    model = build(kind, name=f"source_{kind}", classes=len(tuple(digits)))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=recipe["learning_rate"]),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(prepare(x, kind), y, epochs=recipe["epochs"], batch_size=recipe["batch_size"], verbose=verbose)
    return model


def source_file(kind: str, digits=ALL_DIGITS, epochs: int | None = None, folder: Path | None = None) -> Path:
    """Where :func:`load_source` caches a source model: ``artifacts/<profile>/experiments/source_mnist…_<hash>.keras``."""
    folder = folder or config.artifacts_dir() / "experiments"
    subset = "" if tuple(digits) == ALL_DIGITS else "".join(str(d) for d in digits)
    return Path(folder) / f"source_mnist{subset}_{kind}_{source_tag(kind, digits, epochs)[7:]}.keras"


def load_source(kind: str, digits=ALL_DIGITS, epochs: int | None = None, folder: Path | None = None,
                verbose: int = 0):
    """The source model lessons 5 and 8 use: trained once from :data:`SOURCE_RECIPE`, then read from its cache file.

    Args:
        kind: ``"mlp"`` or ``"cnn"``.
        digits: the MNIST digits it is trained on (all ten for Fashion-MNIST; 0-4 for the near control).
        epochs: replaces the recipe's epochs (the smoke profile passes 1); it is part of the file name.
        folder: the cache folder (default ``artifacts/<profile>/experiments``, shared with the grid commands).

    Returns:
        (model, origin): origin is a sentence saying whether the model was loaded or trained, its
        recipe tag and its weights fingerprint (CPU training is not bit-for-bit repeatable, so a
        retrained model has another fingerprint).

    Example:
        >>> source, origin = load_source("mlp")                        # the Fashion-MNIST source
        >>> near_source, _ = load_source("mlp", digits=(0, 1, 2, 3, 4))  # the near control's source
    """
    path = source_file(kind, digits, epochs, folder)
    start = time.perf_counter()
    model, how = models.load_or_train(path, lambda: train_source(kind, epochs=epochs, verbose=verbose,
                                                                 digits=digits))
    done = tr("loaded") if how == "loaded" else tr("trained ({seconds:.0f} s) and saved",
                                                   seconds=time.perf_counter() - start)
    return model, tr("{done} the {kind} source on MNIST digits {low}-{high}, recipe {recipe} ({tag}), file {file}, "
                     "weights fingerprint {fingerprint}", done=done, kind=kind.upper(), low=min(digits),
                     high=max(digits), recipe=_recipe(kind, epochs), tag=source_tag(kind, digits, epochs),
                     file=path.name, fingerprint=weights_fingerprint(model))


def source_accuracy(model, kind: str, digits=ALL_DIGITS) -> float:
    """Test accuracy of a source model on the MNIST test images of the digits it was trained on."""
    from ..data.datasets import load_mnist

    mnist = load_mnist()
    x, y = digits_subset(mnist.x_test, mnist.y_test, tuple(digits))
    return float(np.mean(model.predict(prepare(x, kind), verbose=0).argmax(1) == y))


def load_or_train_source(kind: str, path: Path | None = None, epochs: int | None = None, verbose: int = 0):
    """Lesson 4's saved source model, or one trained (and saved there) when the file is missing or unreadable.

    Lessons 5 and 8 use :func:`load_source` instead; this reads lesson 4's file (:func:`source_path`).

    Returns:
        (model, origin): origin is a sentence saying which of the two happened.
    """
    path = Path(path) if path else source_path(kind)
    start = time.perf_counter()
    model, how = models.load_or_train(path, lambda: train_source(kind, epochs=epochs, verbose=verbose))
    if how == "loaded":
        return model, f"loaded the source model from {path.name} (saved by lesson 4)"
    reason = "was missing" if how == "trained" else "could not be read"
    return model, (f"{path.name} {reason}, so the source model was trained from transfer.SOURCE_RECIPE on MNIST "
                   f"({time.perf_counter() - start:.0f} s) and saved")


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
    """Give every body weight of ``model`` an L2-SP regulariser anchored at ``source``'s value.

    Only the body is penalised. Li et al. (2018) also put a plain penalty β‖w_head‖² on the new
    head; this course's L2-SP omits it (β = 0), and so does its plain-L2 baseline (:func:`attach_l2`).
    """
    for layer in body_layers(model):
        for w, w_source in zip(layer.weights, source.get_layer(layer.name).weights):
            w.regularizer = l2sp_class()(w_source.numpy(), lam)


def attach_l2(model, lam: float) -> None:
    """Plain L2 (weight decay as a loss term) on every body weight: λ‖w‖², the L2-SP penalty anchored at 0.

    The same weights and the same λ as :func:`attach_l2sp`; only the anchor differs, so a sweep of
    both shows what pulling toward the source, rather than toward zero, changes.
    """
    for layer in body_layers(model):
        for w in layer.weights:
            w.regularizer = l2sp_class()(np.zeros(tuple(w.shape), dtype="float32"), lam)


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
