"""Loaders for the course's array datasets: MNIST, Fashion-MNIST and Iris.

MNIST and Fashion-MNIST are read from their original IDX ``.gz`` files (fetched and
verified through :mod:`course_utils.data.fetch`) and returned in the shapes and dtypes
``keras.datasets`` uses: images ``(n, 28, 28) uint8``, labels ``(n,) uint8``.
"""
from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..i18n import tr
from .fetch import fetch_file

MNIST_CLASSES = [str(digit) for digit in range(10)]
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


@dataclass
class ImageArrays:
    """Train and test images with labels and class names (index = label)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: list[str]

    def __repr__(self) -> str:
        return (f"ImageArrays(x_train={self.x_train.shape} {self.x_train.dtype}, "
                f"x_test={self.x_test.shape}, classes={len(self.class_names)})")


def read_idx(path: Path) -> np.ndarray:
    """Read a gzipped IDX file (the MNIST format) into a writable uint8 array, like ``keras.datasets``.

    The values are read straight into a new array (no read-only view of a bytes object), so
    ``x_train[0, 0, 0] = 255`` or an in-place ``x_train /= 255`` on a float copy works as learners expect.

    Raises:
        ValueError: the file is not an unsigned-byte IDX file, or holds fewer values than its header says.
    """
    with gzip.open(path, "rb") as f:
        header = f.read(4)
        if len(header) < 4 or header[:2] != b"\x00\x00" or header[2] != 0x08:
            raise ValueError(tr("{path} is not an unsigned-byte IDX file (header {header}).", path=path,
                                header=header.hex()))
        dims = f.read(4 * header[3])
        shape = tuple(int.from_bytes(dims[4 * i: 4 * i + 4], "big") for i in range(header[3]))
        array = np.empty(shape, dtype=np.uint8)
        filled = _read_into(f, memoryview(array).cast("B"))
    if filled != array.size:
        raise ValueError(tr("{path} is truncated: {filled} of the {size} values its header announces.", path=path,
                            filled=filled, size=array.size))
    return array


def _read_into(stream, buffer: memoryview) -> int:
    """Fill ``buffer`` from ``stream``; returns how many bytes arrived (fewer only at the end of the file)."""
    filled = 0
    while filled < len(buffer):
        count = stream.readinto(buffer[filled:])
        if not count:
            break
        filled += count
    return filled


def _load_idx_dataset(folder: str, class_names: list[str]) -> ImageArrays:
    """Fetch and read the four IDX files of an MNIST-format dataset."""
    part = {name: read_idx(fetch_file(f"{folder}/{name}-ubyte.gz")) for name in
            ("train-images-idx3", "train-labels-idx1", "t10k-images-idx3", "t10k-labels-idx1")}
    return ImageArrays(part["train-images-idx3"], part["train-labels-idx1"],
                       part["t10k-images-idx3"], part["t10k-labels-idx1"], list(class_names))


def load_mnist() -> ImageArrays:
    """MNIST digits: 60,000 training and 10,000 test images of 28x28 pixels, labels 0-9.

    Example:
        >>> mnist = load_mnist()
        >>> mnist.x_train.shape, mnist.x_train.dtype
        ((60000, 28, 28), dtype('uint8'))
    """
    return _load_idx_dataset("mnist", MNIST_CLASSES)


def load_fashion_mnist() -> ImageArrays:
    """Fashion-MNIST (Zalando): 60,000 + 10,000 clothing images in MNIST's format."""
    return _load_idx_dataset("fashion-mnist", FASHION_CLASSES)


@dataclass
class IrisData:
    """The Iris measurements: features ``X`` (150, 4) in cm, labels ``y``, and names."""

    X: np.ndarray
    y: np.ndarray
    feature_names: list[str]
    class_names: list[str]

    def to_frame(self):
        """A pandas DataFrame with one column per feature and a ``species`` column."""
        import pandas as pd

        frame = pd.DataFrame(self.X, columns=self.feature_names)
        frame["species"] = pd.Categorical.from_codes(self.y, self.class_names)
        return frame


def load_iris() -> IrisData:
    """Fisher's Iris data as shipped with scikit-learn (no download needed)."""
    from sklearn.datasets import load_iris as sklearn_iris

    bunch = sklearn_iris()
    return IrisData(bunch.data.astype("float32"), bunch.target.astype("int64"),
                    list(bunch.feature_names), [str(n) for n in bunch.target_names])
