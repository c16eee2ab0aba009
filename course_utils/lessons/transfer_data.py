"""Lesson 5's target data, scaled for the model, with a fixed validation split.

Two targets share one format (the dict :func:`load_target_data` returns):

* the **far** target, Fashion-MNIST (ten clothing classes), for a source trained on all ten digits;
* the **near** target, MNIST digits 5-9 (five classes, labels 0-4 for digits 5-9), for a source
  trained on digits 0-4 only (:func:`load_near_data`): the positive control of the lesson.

Every run of the lesson and of the grid uses the same 5,000 validation images (early
stopping only) and draws its N training images from the rest with
:func:`course_utils.runs.stratified_sample` (seed s gives every method the same subset).
"""
from __future__ import annotations

import numpy as np

from ..runs import stratified_sample

NEAR_SOURCE_DIGITS = (0, 1, 2, 3, 4)   # the near control's source task
NEAR_TARGET_DIGITS = (5, 6, 7, 8, 9)   # ... and its target task: digits the source never saw


def prepare(x: np.ndarray, kind: str) -> np.ndarray:
    """Scale uint8 images to float32 in [0, 1]; add the channel axis the CNN expects."""
    x = x.astype("float32") / 255.0
    return x[..., None] if kind == "cnn" else x


def split_validation(y: np.ndarray, val_size: int = 5000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Sorted indices (pool, val): a fixed, class-stratified validation set and the pool to draw N from.

    A split, not a sample: the validation set is scikit-learn's ``test`` part, as when the
    recorded grids were run (drawing ``val_size`` with :func:`stratified_sample` would pick other images).
    """
    from sklearn.model_selection import train_test_split

    pool, val = train_test_split(np.arange(len(y)), test_size=val_size, stratify=y, random_state=seed)
    return np.sort(pool), np.sort(val)


def load_target_data(kind: str, val_size: int = 5000, with_source: bool = False) -> dict:
    """Fashion-MNIST prepared for ``kind`` with the fixed validation split (and MNIST for ``joint``).

    Returns:
        A dict with ``x_train, y_train`` (all 60,000 training images), ``pool, val`` (indices
        into them), ``x_test, y_test``, ``class_names``, and with ``with_source`` also
        ``x_source, y_source`` (the MNIST training images).
    """
    from ..data.datasets import load_fashion_mnist, load_mnist

    fashion = load_fashion_mnist()
    pool, val = split_validation(fashion.y_train, val_size)
    data = {"target": "fashion", "x_train": prepare(fashion.x_train, kind), "y_train": fashion.y_train.astype("int64"),
            "pool": pool, "val": val, "x_test": prepare(fashion.x_test, kind),
            "y_test": fashion.y_test.astype("int64"), "class_names": fashion.class_names}
    if with_source:
        mnist = load_mnist()
        data["x_source"], data["y_source"] = prepare(mnist.x_train, kind), mnist.y_train.astype("int64")
    return data


def digits_subset(x: np.ndarray, y: np.ndarray, digits) -> tuple[np.ndarray, np.ndarray]:
    """The images of ``digits`` only, labels renumbered 0, 1, ... in the order of ``digits``."""
    keep = np.isin(y, digits)
    relabel = np.full(10, -1, dtype="int64")
    relabel[list(digits)] = np.arange(len(digits))
    return x[keep], relabel[y[keep]]


def load_near_data(kind: str, val_size: int = 5000) -> dict:
    """The near target: MNIST digits 5-9 (labels 0-4), in the format of :func:`load_target_data`.

    The 29,404 training images of digits 5-9 give the fixed validation split (``val_size``
    images) and the pool N is drawn from; the test set is the 4,861 official test images of
    digits 5-9. The source of this target (:func:`~course_utils.lessons.transfer_models.load_source`
    with ``digits=NEAR_SOURCE_DIGITS``) never saw a 5-9 digit.
    """
    from ..data.datasets import load_mnist

    mnist = load_mnist()
    x_train, y_train = digits_subset(mnist.x_train, mnist.y_train, NEAR_TARGET_DIGITS)
    x_test, y_test = digits_subset(mnist.x_test, mnist.y_test, NEAR_TARGET_DIGITS)
    pool, val = split_validation(y_train, val_size)
    return {"target": "near", "x_train": prepare(x_train, kind), "y_train": y_train, "pool": pool, "val": val,
            "x_test": prepare(x_test, kind), "y_test": y_test,
            "class_names": [f"digit {d}" for d in NEAR_TARGET_DIGITS]}


def training_subset(data: dict, n: int, seed: int) -> np.ndarray:
    """Indices of the N training images seed ``seed`` draws from the pool (the same for every method)."""
    return stratified_sample(data["y_train"], n, seed, pool=data["pool"])
