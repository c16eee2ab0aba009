"""Pretrained Keras application weights: verified, and placed where ``keras.applications`` looks.

``keras.applications.X(weights="imagenet")`` looks for its weights file in its cache
(``$KERAS_HOME/models``, default ``~/.keras/models``) and downloads it when absent, which
fails offline. :func:`fetch_imagenet_weights` makes the file be there: it takes it from
Keras' cache if already verified, otherwise from the course's cache, mirror or the origin
(:func:`course_utils.data.fetch.fetch_file`, checksum verified), and puts it into Keras'
cache under Keras' own file name. Then the lesson builds the backbone exactly as Keras does
for ImageNet weights, with ``weights="imagenet"`` (see :mod:`course_utils.lessons.backbones`).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..i18n import tr
from .fetch import DataUnavailableError, copy_verified, fetch_file, hash_matches, registry_entry
from .registry import backbone_spec


def keras_models_dir() -> Path:
    """The folder where ``keras.applications`` looks for weights files (``<Keras home>/models``).

    Keras reads ``KERAS_HOME`` once, when it is imported, and falls back to ``/tmp/.keras``
    when its home is not writable; this asks Keras itself so both always agree.
    """
    from keras.src.backend.config import keras_home  # the accessor keras.utils.get_file uses

    home = os.path.expanduser(keras_home())
    try:
        os.makedirs(home, exist_ok=True)  # Keras creates it too, when it is imported
    except OSError:
        pass
    if not os.access(home, os.W_OK):  # the same fallback as keras.utils.get_file
        home = os.path.join("/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir(), ".keras")
    return Path(home) / "models"


def fetch_imagenet_weights(backbone: str, progress: bool = True, download: bool = True) -> Path:
    """Verified ImageNet weights (no top) of ``backbone``, in Keras' cache; returns their path.

    Args:
        backbone: a name from :data:`course_utils.data.registry.BACKBONES`, e.g. ``"resnet50"``.
        download: False looks only in Keras' cache, the course's cache and the mirror.

    Raises:
        UnknownNameError (a KeyError): unknown backbone; the message lists the known ones.
        DataUnavailableError: the weights cannot be had (offline, not in the mirror); the
            message says where to put the file.
    """
    spec = backbone_spec(backbone)
    entry = registry_entry(spec.weights_key)
    target = keras_models_dir() / spec.weights_file
    if target.is_file() and hash_matches(target, entry.known_hash):
        return target
    try:
        source = fetch_file(entry.key, progress, from_origin=download)
    except DataUnavailableError as err:
        raise DataUnavailableError(tr("ImageNet weights for {name} are not available: {err}\n"
                                      "  To use them offline, copy {weights_file} ({megabytes:.0f} MB, from {url}) "
                                      "into {keras_dir} or into the mirror folder as {key}.", name=spec.name, err=err,
                                      weights_file=spec.weights_file, megabytes=entry.size / 1000000.0, url=entry.url,
                                      keras_dir=keras_models_dir(), key=entry.key)) from err
    return _place_in_keras_cache(source, target, entry.known_hash)


def _place_in_keras_cache(source: Path, target: Path, known_hash: str) -> Path:
    """Put the verified ``source`` at ``target`` (a hard link when possible, else a verified copy)."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)  # a stale or corrupt copy Keras would otherwise try to replace
        try:
            os.link(source, target)
        except OSError:  # another file system, or links not supported: copy instead
            copy_verified(source, target, known_hash)
    except OSError as err:
        raise DataUnavailableError(tr("Cannot place the weights file into Keras' cache {folder} ({reason}). Set "
                                      "KERAS_HOME to a folder you can write to (before starting Python) and run "
                                      "again.", folder=target.parent, reason=err.strerror or err)) from err
    return target

