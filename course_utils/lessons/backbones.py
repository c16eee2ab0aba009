"""Pretrained backbones: built exactly as ``keras.applications`` builds them, and the weights policy.

A *backbone* is the convolutional body h(x; φ) of a network trained on ImageNet, used here
without its classification top. The backbones the course knows are the rows of
:data:`course_utils.data.registry.BACKBONES` (one table: constructor, ``preprocess_input``,
weights file, image size).

Every backbone is built with ``keras.applications.X(include_top=False, weights="imagenet")``
after :func:`course_utils.data.weights.fetch_imagenet_weights` has put the verified file where
Keras looks. Passing the file's path instead would load the same numbers into a *different*
graph for some models: Keras adds EfficientNet's ImageNet input scaling only when
``weights == "imagenet"`` (checked in Keras 3.8 and 3.15).

Weights policy (see :func:`resolve_weights`): weights come from Keras' cache, the course's
cache, the mirror or the download. When they cannot be had, the ``full`` profile stops with an
error that says where to put the file; the ``smoke`` profile (which never downloads them), or
``COURSE_ALLOW_RANDOM_WEIGHTS=1``, goes on with the same architecture randomly initialised, and
the lesson says loudly that accuracies mean nothing.
"""
from __future__ import annotations

import contextlib
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from .. import config
from ..data.fetch import DataUnavailableError
from ..data.registry import BackboneSpec, backbone_spec
from ..data.weights import fetch_imagenet_weights
from ..i18n import N_, tr

RANDOM_WEIGHTS_ENV = "COURSE_ALLOW_RANDOM_WEIGHTS"


@dataclass(frozen=True)
class Backbone:
    """One row of the backbone table, with how to build it and how to scale its inputs."""

    spec: BackboneSpec

    @property
    def name(self) -> str:
        """The course's name of the backbone, e.g. ``"resnet50"``."""
        return self.spec.name

    def build(self, image_size: int | None = None, pretrained: bool = True):
        """The backbone without its top, as ``keras.applications`` builds it for ImageNet weights.

        Args:
            image_size: side of the square RGB input in pixels (default: the size of its ImageNet training).
            pretrained: True loads the verified ImageNet weights; False keeps the same
                architecture with random initialisation (the random-weights fallback).

        Raises:
            DataUnavailableError: ``pretrained`` and the weights cannot be had.
        """
        import keras

        make = getattr(keras.applications, self.spec.constructor)
        size = image_size or self.spec.image_size
        if pretrained:
            fetch_imagenet_weights(self.name, progress=False)  # verified, and where Keras looks
            return make(include_top=False, weights="imagenet", input_shape=(size, size, 3))
        with imagenet_architecture_without_weights():
            return make(include_top=False, weights="imagenet", input_shape=(size, size, 3))

    def preprocess_input(self, x):
        """The backbone's own input scaling (x holds RGB values 0-255)."""
        import keras

        return getattr(keras.applications, self.spec.preprocess_module).preprocess_input(x)


def get_backbone(name: str) -> Backbone:
    """The backbone called ``name`` (case-insensitive); an unknown name lists the known ones."""
    return Backbone(backbone_spec(name))


@contextlib.contextmanager
def imagenet_architecture_without_weights() -> Iterator[None]:
    """Inside this block, ``keras.applications`` builds its ImageNet graph but loads no file.

    Keras builds a slightly different graph for ``weights="imagenet"`` (EfficientNet adds an
    input ``Rescaling``) and has no public way to build that graph without the weights file.
    Here its file lookup returns a placeholder and loading the placeholder is skipped, so the
    architecture is exactly Keras' own and the weights keep their random initialisation.
    Everything is restored when the block ends.
    """
    from keras.src.models.model import Model
    from keras.src.utils import file_utils

    placeholder = "course-utils: random initialisation, no ImageNet file"
    real_get_file, real_load_weights = file_utils.get_file, Model.load_weights

    def skip_placeholder(model, filepath, *args, **kwargs):
        if filepath == placeholder:
            return None
        return real_load_weights(model, filepath, *args, **kwargs)

    file_utils.get_file = lambda *args, **kwargs: placeholder
    Model.load_weights = skip_placeholder
    try:
        yield
    finally:
        file_utils.get_file, Model.load_weights = real_get_file, real_load_weights


@dataclass(frozen=True)
class WeightsChoice:
    """The weights a lesson will use: the verified ImageNet file in Keras' cache, or None for random init.

    ``note`` stays English in every edition: the lesson stores it in its results file and the
    website reads it from the page (``site/page_notes.py`` looks for its two prefixes). ``text`` is the
    same note in the lesson's language, for printing (:meth:`describe`); in English the two are equal.
    """

    path: Path | None
    pretrained: bool
    note: str
    text: str = ""

    def describe(self) -> str:
        """The note in the lesson's language (``note`` itself when no translation was made)."""
        return self.text or self.note


def random_weights_allowed() -> bool:
    """True in the smoke profile or when ``COURSE_ALLOW_RANDOM_WEIGHTS=1`` is set."""
    flag = os.environ.get(RANDOM_WEIGHTS_ENV, "").strip().lower() in ("1", "true", "yes")
    return config.is_smoke() or flag


def resolve_weights(name: str, progress: bool = True) -> WeightsChoice:
    """Find a backbone's ImageNet weights, or decide to go on with random initialisation.

    The smoke profile never downloads weights (it tests the pipeline, not the accuracy): it uses
    them when Keras' cache, the course's cache or the mirror has them, random weights otherwise.

    Raises:
        DataUnavailableError: the weights cannot be had and random weights are not
            allowed (full profile without ``COURSE_ALLOW_RANDOM_WEIGHTS=1``).

    Example:
        >>> choice = resolve_weights("resnet50")
        >>> base_model = get_backbone("resnet50").build(224, pretrained=choice.pretrained)
    """
    spec = get_backbone(name).spec
    try:
        path = fetch_imagenet_weights(spec.name, progress, download=not config.is_smoke())
        message = N_("ImageNet weights ({file}, checksum verified)")
        return WeightsChoice(path, True, message.format(file=path.name), tr(message, file=path.name))
    except DataUnavailableError as err:
        if not random_weights_allowed():
            raise DataUnavailableError(tr("{err}\n"
                                          "  This lesson needs them in the full profile. To run its pipeline anyway "
                                          "with random weights (timings only, accuracies meaningless), set "
                                          "{random_weights_env}=1 or COURSE_PROFILE=smoke.", err=err,
                                          random_weights_env=RANDOM_WEIGHTS_ENV)) from err
        why = (N_("smoke profile, which does not download them") if config.is_smoke()
               else N_("COURSE_ALLOW_RANDOM_WEIGHTS=1"))   # RANDOM_WEIGHTS_ENV; its translation says it is set
        error = (str(err).strip().splitlines() or [type(err).__name__])[0]   # why the weights could not be had
        message = N_("random initialisation ({why}; ImageNet weights unavailable: {error})")
        return WeightsChoice(None, False, message.format(why=why, error=error), tr(message, why=tr(why), error=error))


def random_weights_banner(choice: WeightsChoice) -> str:
    """The warning a lesson prints when it runs without pretrained weights ('' otherwise).

    In the lesson's language; the Chinese banner keeps the marker ``NO PRETRAINED WEIGHTS``,
    which the website looks for.
    """
    if choice.pretrained:
        return ""
    bar = "!" * 78
    return tr("{bar}\n"
              "  NO PRETRAINED WEIGHTS: this run uses {note}.\n"
              "  Every accuracy of these backbones below is NOT meaningful as ImageNet transfer:\n"
              "  their checks test the pipeline (and, for ResNet50 in the full profile, that this untrained\n"
              "  control beats chance). Put the ImageNet weights file into the Keras cache or the mirror\n"
              "  (see course_utils.data.weights) to see what transfer learning really does.\n"
              "{bar}", bar=bar, note=choice.describe())


def count_params(model) -> int:
    """Number of weights of a Keras model (trainable and not)."""
    return int(sum(math.prod(w.shape) for w in model.weights))


def trainable_params(model) -> int:
    """Number of trainable weights of a Keras model."""
    return int(sum(math.prod(w.shape) for w in model.trainable_weights))


# ImageNet top-1 accuracy of each backbone with its ImageNet top, as Keras documents it (keras.io/api/applications
# for ResNet50, VGG16 and EfficientNetB0; the table in keras/src/applications/mobilenet_v3.py for MobileNetV3Small,
# "mobilenet_v3_small_1.0_224"). Quoted, not measured by the course.
IMAGENET_TOP1 = {"resnet50": 0.749, "vgg16": 0.713, "mobilenetv3small": 0.681, "efficientnetb0": 0.771}


def paired_against(correct: dict, reference: str = "resnet50"):
    """Each backbone against ``reference`` on the same test photos, per head seed: exact McNemar.

    Args:
        correct: ``{backbone: {seed: boolean array, one per test photo}}``; the same photos, in the
            same order, for every backbone and seed.

    Returns:
        A DataFrame, one row per (backbone, seed): the accuracy difference (backbone minus
        ``reference``), the photos only one of them gets right, and the exact McNemar p-value
        (:func:`course_utils.stats.mcnemar_exact`).
    """
    import pandas as pd

    from .. import stats

    rows = []
    for name, by_seed in correct.items():
        if name == reference:
            continue
        for seed, right in by_seed.items():
            test = stats.mcnemar_exact(right, correct[reference][seed])
            rows.append({"backbone": name, "head seed": seed, f"minus {reference}": test["difference"],
                         "only it right": test["a_only"], f"only {reference} right": test["b_only"],
                         "McNemar p": test["p_value"]})
    return pd.DataFrame(rows)
