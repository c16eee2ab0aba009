"""Model builders shared by several lessons, so every lesson uses the same architecture.

Lessons build the model they are about in plain sight; these builders exist for
the lessons that reuse an architecture a previous lesson introduced (lesson 5
reuses lesson 4's source models). ``build_`` functions return uncompiled models.
"""
from __future__ import annotations


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
