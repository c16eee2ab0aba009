"""Models shared by several lessons: the same architecture everywhere, saved and reloaded safely.

Lessons build the model they are about in plain sight; these builders exist for
the lessons that reuse an architecture a previous lesson introduced (lesson 5
reuses lesson 4's source models). ``build_`` functions return uncompiled models.
:func:`save_model` writes a ``.keras`` file atomically, and :func:`load_or_train` is
the one "load it if it is there, otherwise train and save it" of the course.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from .caching import atomic_write
from .i18n import tr


def build_mnist_mlp(name: str = "mlp"):
    """The 784-128-Dropout(0.2)-10 MLP: input 28x28 pixels scaled to 0-1, softmax over 10 classes."""
    import keras
    from keras import layers

    return keras.Sequential([
        keras.Input(shape=(28, 28)),
        layers.Flatten(name="flatten"),
        layers.Dense(128, activation="relu", name="hidden"),
        layers.Dropout(0.2, name="dropout"),
        layers.Dense(10, activation="softmax", name="head"),
    ], name=name)


def build_mnist_cnn(name: str = "cnn"):
    """A small CNN: two conv+pool blocks (32 and 64 filters), then Dropout and a 10-way softmax head."""
    import keras
    from keras import layers

    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu", name="conv1"),
        layers.MaxPooling2D(name="pool1"),
        layers.Conv2D(64, 3, activation="relu", name="conv2"),
        layers.MaxPooling2D(name="pool2"),
        layers.Flatten(name="flatten"),
        layers.Dropout(0.5, name="dropout"),
        layers.Dense(10, activation="softmax", name="head"),
    ], name=name)


def save_model(model, path: Path | str) -> Path:
    """Save ``model`` as a ``.keras`` file through a temporary file, so a crash never leaves half a model."""
    path = Path(path)
    with atomic_write(path) as tmp:
        model.save(tmp)
    return path


def load_or_train(path: Path | str, train: Callable[[], object]) -> tuple[object, str]:
    """The model saved at ``path``, or a new one from ``train()`` (saved there) when the file is missing or unreadable.

    Returns:
        (model, how): ``how`` is ``"loaded"``, ``"trained"`` (no file) or ``"retrained"``
        (the file could not be read, for example a copy cut short; it is replaced).

    Example:
        >>> model, how = load_or_train("artifacts/source.keras", lambda: train_source("mlp"))
    """
    import keras

    path = Path(path)
    how = "trained"
    if path.is_file():
        try:
            return keras.models.load_model(path), "loaded"
        except (OSError, ValueError) as err:  # Keras reports a damaged .keras file as a ValueError
            detail = str(err)[:80]
            print(tr("{name} could not be read ({detail}...); training the model again to replace it.",
                     name=path.name, detail=detail))
            how = "retrained"
    model = train()
    save_model(model, path)
    return model, how
