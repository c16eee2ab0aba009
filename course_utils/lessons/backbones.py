"""Pretrained backbones: a small registry and the course's weights policy.

A *backbone* is the convolutional body h(x; φ) of a network trained on ImageNet,
used here without its classification top. Each entry says how to build it, which
``preprocess_input`` it expects and which weights file it needs.

Weights policy (see :func:`resolve_weights`): weights come from the Keras cache, the
course mirror or the download (:func:`course_utils.data.weights.fetch_imagenet_weights`).
When they cannot be had, the ``full`` profile stops with an error that says where
to put the file; the ``smoke`` profile, or ``COURSE_ALLOW_RANDOM_WEIGHTS=1``, goes on
with random initialisation, and the lesson says loudly that accuracies mean nothing.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .. import config
from ..data.fetch import DataUnavailableError
from ..data.weights import fetch_imagenet_weights

RANDOM_WEIGHTS_ENV = "COURSE_ALLOW_RANDOM_WEIGHTS"


@dataclass(frozen=True)
class Backbone:
    """How to build one ``keras.applications`` backbone and prepare its inputs."""

    name: str
    module: str        # keras.applications sub-module holding preprocess_input
    constructor: str   # class name in keras.applications
    weights_key: str   # name understood by fetch_imagenet_weights

    def build(self, image_size: int, weights: str | Path | None = None):
        """The backbone without its top, for square RGB images of ``image_size`` pixels."""
        import keras

        make: Callable = getattr(keras.applications, self.constructor)
        return make(include_top=False, weights=None if weights is None else str(weights),
                    input_shape=(image_size, image_size, 3))

    def preprocess_input(self, x):
        """The backbone's own input scaling (x holds RGB values 0-255)."""
        import keras

        return getattr(keras.applications, self.module).preprocess_input(x)


BACKBONES = {b.name: b for b in [
    Backbone("resnet50", "resnet50", "ResNet50", "resnet50"),
    Backbone("vgg16", "vgg16", "VGG16", "vgg16"),
    Backbone("mobilenetv2", "mobilenet_v2", "MobileNetV2", "mobilenetv2"),
    Backbone("efficientnetb0", "efficientnet", "EfficientNetB0", "efficientnetb0"),
]}


def get_backbone(name: str) -> Backbone:
    """Registry entry for ``name`` (case-insensitive); a KeyError lists the known names."""
    try:
        return BACKBONES[name.lower()]
    except KeyError:
        raise KeyError(f"Unknown backbone {name!r}. Known: {', '.join(BACKBONES)}.") from None


@dataclass(frozen=True)
class WeightsChoice:
    """The weights a lesson will use: a file of ImageNet weights, or None for random init."""

    path: Path | None
    pretrained: bool
    note: str


def random_weights_allowed() -> bool:
    """True in the smoke profile or when ``COURSE_ALLOW_RANDOM_WEIGHTS=1`` is set."""
    flag = os.environ.get(RANDOM_WEIGHTS_ENV, "").strip().lower() in ("1", "true", "yes")
    return config.is_smoke() or flag


def resolve_weights(name: str, progress: bool = True) -> WeightsChoice:
    """Find a backbone's ImageNet weights, or decide to go on with random initialisation.

    Raises:
        DataUnavailableError: the weights cannot be had and random weights are not
            allowed (full profile without ``COURSE_ALLOW_RANDOM_WEIGHTS=1``).

    Example:
        >>> choice = resolve_weights("resnet50")
        >>> base_model = get_backbone("resnet50").build(224, choice.path)
    """
    try:
        path = fetch_imagenet_weights(get_backbone(name).weights_key, progress)
        return WeightsChoice(path, True, f"ImageNet weights from {path}")
    except DataUnavailableError as err:
        if not random_weights_allowed():
            raise DataUnavailableError(
                f"{err}\n  This lesson needs them in the full profile. To run its pipeline anyway with "
                f"random weights (timings only, accuracies meaningless), set {RANDOM_WEIGHTS_ENV}=1 "
                "or COURSE_PROFILE=smoke.") from err
        why = "smoke profile" if config.is_smoke() else f"{RANDOM_WEIGHTS_ENV}=1"
        return WeightsChoice(None, False, f"random initialisation ({why}; ImageNet weights unavailable)")


def random_weights_banner(choice: WeightsChoice) -> str:
    """The warning a lesson prints when it runs without pretrained weights ('' otherwise)."""
    if choice.pretrained:
        return ""
    bar = "!" * 78
    return (f"{bar}\n  NO PRETRAINED WEIGHTS: this run uses {choice.note}.\n"
            "  Every accuracy below is NOT meaningful: the checks test the pipeline, not the\n"
            "  accuracy. Put the ImageNet weights file into the Keras cache or the mirror\n"
            f"  (see course_utils.data.weights) to see what transfer learning really does.\n{bar}")


def count_params(model) -> int:
    """Number of weights of a Keras model (trainable and not)."""
    return int(sum(math.prod(w.shape) for w in model.weights))


def trainable_params(model) -> int:
    """Number of trainable weights of a Keras model."""
    return int(sum(math.prod(w.shape) for w in model.trainable_weights))
