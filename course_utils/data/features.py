"""Feature extraction with an on-disk cache.

With a frozen backbone h(x; φ), the features of an image never change, so there is
no reason to recompute them every epoch. :func:`cached_features` runs the feature
model once over a split and stores the result in ``<COURSE_DATA_DIR>/features``.
The file name is a hash of everything the features depend on:

* the backbone's name,
* the feature model's graph (an :func:`~course_utils.caching.architecture_fingerprint`:
  preprocessing, backbone, pooling, which layer is read), so a changed feature model
  never reuses the features of the old one,
* its weights (a fingerprint of the actual weight values, so "random init with
  another seed" or "fine-tuned" is a different key),
* the image size,
* the data: every file's name, size and contents hash, and its label.

Change any of them and the cache misses; change nothing and it hits.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from .. import config
from ..caching import architecture_fingerprint, atomic_write, stable_key, weights_fingerprint

__all__ = ["FeatureSet", "cached_features", "data_fingerprint", "extract_features", "feature_key",
           "feature_model_id", "features_dir", "weights_fingerprint"]


@dataclass
class FeatureSet:
    """Features of one split: ``x`` (n, d) float32, ``y`` (n,) labels, and cache facts.

    ``seconds`` is what this call took (tiny on a hit); ``compute_seconds`` is what
    computing the features took when they were first made (stored with them).
    """

    x: np.ndarray
    y: np.ndarray
    key: str
    hit: bool
    seconds: float
    compute_seconds: float
    path: Path


def data_fingerprint(files: Sequence[Path | str], labels: Sequence[int]) -> str:
    """A hash of the file names, their contents and their labels, in order."""
    digest = hashlib.sha256()
    for path, label in zip(files, labels):
        path = Path(path)
        digest.update(f"{path.parent.name}/{path.name}|{int(label)}|".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


def feature_model_id(feature_model, weights_id: str | None = None) -> str:
    """Identifies a feature model: its graph's fingerprint, then its weights' (or ``weights_id``)."""
    return f"{architecture_fingerprint(feature_model)}-{weights_id or weights_fingerprint(feature_model)}"


def feature_key(backbone: str, model_id: str, image_size: int, data_id: str) -> str:
    """The cache key: one hash of backbone, feature model (graph and weights), image size and data."""
    return f"{backbone}-{int(image_size)}px-{stable_key([backbone, model_id, int(image_size), data_id])}"


def features_dir() -> Path:
    """Where cached features live: ``<COURSE_DATA_DIR>/features``."""
    return config.data_dir() / "features"


def extract_features(feature_model, files: Sequence[Path], labels, image_size: int,
                     batch_size: int = 32) -> np.ndarray:
    """Run ``feature_model`` (images 0-255 -> feature vectors) over image files, in order."""
    from .birds import make_image_dataset

    ds = make_image_dataset(list(files), np.asarray(labels), image_size, batch_size, shuffle=False)
    images_only = ds.map(lambda image, label: image)
    return np.asarray(feature_model.predict(images_only, verbose=0), dtype=np.float32)


def cached_features(feature_model, backbone: str, files: Sequence[Path], labels, image_size: int,
                    batch_size: int = 32, weights_id: str | None = None,
                    cache_dir: Path | None = None) -> FeatureSet:
    """Features of ``files`` from the cache, computing and storing them on a miss.

    Args:
        feature_model: maps a batch of RGB images (values 0-255) to feature vectors.
        backbone: the backbone's name, part of the key.
        weights_id: identifies the weights; default: :func:`weights_fingerprint` of the model.
            The model's graph is always part of the key (:func:`feature_model_id`).

    Example:
        >>> train = cached_features(feature_model, "resnet50", split.files, split.labels, 224)
        >>> train.x.shape, train.hit
    """
    model_id = feature_model_id(feature_model, weights_id)
    key = feature_key(backbone, model_id, image_size, data_fingerprint(files, labels))
    path = Path(cache_dir or features_dir()) / f"{key}.npz"
    start = time.perf_counter()
    if path.is_file():
        with np.load(path) as stored:
            x, y, made = stored["x"], stored["y"], float(stored["compute_seconds"])
        return FeatureSet(x, y, key, True, time.perf_counter() - start, made, path)
    x = extract_features(feature_model, files, labels, image_size, batch_size)
    y = np.asarray(labels, dtype=np.int64)
    made = time.perf_counter() - start
    with atomic_write(path) as tmp:   # a crash never leaves half a cache entry
        np.savez(tmp, x=x, y=y, compute_seconds=np.float64(made))
    return FeatureSet(x, y, key, False, made, made, path)
