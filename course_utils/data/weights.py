"""Pretrained Keras application weights: from the Keras cache, the mirror, or the download.

``keras.applications`` downloads ImageNet weights itself, which fails offline. This
module finds the same ``.h5`` file first in Keras' own cache (``$KERAS_HOME/models``,
default ``~/.keras/models``), then through the course's cache and mirror, and returns
its path: pass it as ``weights=`` to the application constructor.
"""
from __future__ import annotations

import os
from pathlib import Path

from .fetch import DataUnavailableError, fetch_file, hash_matches
from .registry import REGISTRY

WEIGHT_FILES = {  # backbone name -> registry key of its ImageNet weights without the top
    "resnet50": "keras/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
    "vgg16": "keras/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
    "mobilenetv2": "keras/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5",
    "efficientnetb0": "keras/efficientnetb0_notop.h5",
}


def keras_cache_dir() -> Path:
    """Keras' own download folder for application weights."""
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")).expanduser() / "models"


def fetch_imagenet_weights(backbone: str, progress: bool = True) -> Path:
    """Path to a backbone's ImageNet weights (no top), fetched if needed.

    Raises:
        KeyError: unknown backbone name.
        DataUnavailableError: the weights cannot be had (offline, not in the mirror);
            the message says where to put the file.
    """
    key = WEIGHT_FILES[backbone.lower()]
    entry = REGISTRY[key]
    in_keras_cache = keras_cache_dir() / Path(key).name
    if in_keras_cache.is_file() and hash_matches(in_keras_cache, entry.known_hash):
        return in_keras_cache
    try:
        return fetch_file(key, progress)
    except DataUnavailableError as err:
        raise DataUnavailableError(
            f"ImageNet weights for {backbone} are not available: {err}\n"
            f"  To use them offline, copy {Path(key).name} ({entry.size / 1e6:.0f} MB, from {entry.url}) "
            f"into {keras_cache_dir()} or into the mirror folder as {key}."
        ) from err
