"""The registry: every file the course downloads, with its origin and checksum.

Each entry's key is a relative path. The same path is used inside the cache
(``COURSE_DATA_DIR``) and inside a mirror (``COURSE_DATA_MIRROR``), so a mirror is
simply a folder (or web server) laid out like the cache.

Checksums are SHA-256 wherever the publisher's original is known byte for byte (MNIST,
Fashion-MNIST). For the CUB-200-2011 archive and the Keras application weights, the
checksum the publishers themselves distribute is an MD5 (Caltech's record, Keras'
``WEIGHTS_HASHES``); we verify against that published value rather than invent one.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RemoteFile:
    """One downloadable file.

    Attributes:
        key: relative path in the cache and in a mirror, e.g. ``"mnist/t10k-labels-idx1-ubyte.gz"``.
        url: the canonical origin.
        known_hash: ``"sha256:<hex>"`` or ``"md5:<hex>"``; None when the publisher gives none.
        size: size in bytes, for status tables and disk-space planning.
        dataset: the dataset the file belongs to (groups files for prefetching).
    """

    key: str
    url: str
    known_hash: str | None
    size: int
    dataset: str


MNIST_BASE = "https://storage.googleapis.com/cvdf-datasets/mnist/"
FASHION_BASE = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
KERAS_APPS = "https://storage.googleapis.com/tensorflow/keras-applications/"

_FILES = [
    # MNIST: the four original IDX files (LeCun, Cortes & Burges), served by Google's CVDF mirror.
    RemoteFile("mnist/train-images-idx3-ubyte.gz", MNIST_BASE + "train-images-idx3-ubyte.gz",
               "sha256:440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609", 9_912_422, "mnist"),
    RemoteFile("mnist/train-labels-idx1-ubyte.gz", MNIST_BASE + "train-labels-idx1-ubyte.gz",
               "sha256:3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c", 28_881, "mnist"),
    RemoteFile("mnist/t10k-images-idx3-ubyte.gz", MNIST_BASE + "t10k-images-idx3-ubyte.gz",
               "sha256:8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6", 1_648_877, "mnist"),
    RemoteFile("mnist/t10k-labels-idx1-ubyte.gz", MNIST_BASE + "t10k-labels-idx1-ubyte.gz",
               "sha256:f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6", 4_542, "mnist"),
    # Fashion-MNIST: Zalando Research's own download location.
    RemoteFile("fashion-mnist/train-images-idx3-ubyte.gz", FASHION_BASE + "train-images-idx3-ubyte.gz",
               "sha256:3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84", 26_421_880, "fashion-mnist"),
    RemoteFile("fashion-mnist/train-labels-idx1-ubyte.gz", FASHION_BASE + "train-labels-idx1-ubyte.gz",
               "sha256:a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845", 29_515, "fashion-mnist"),
    RemoteFile("fashion-mnist/t10k-images-idx3-ubyte.gz", FASHION_BASE + "t10k-images-idx3-ubyte.gz",
               "sha256:346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073", 4_422_102, "fashion-mnist"),
    RemoteFile("fashion-mnist/t10k-labels-idx1-ubyte.gz", FASHION_BASE + "t10k-labels-idx1-ubyte.gz",
               "sha256:67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5", 5_148, "fashion-mnist"),
    # CUB-200-2011 (Wah et al., Caltech): the whole archive; the course prepares a 10-species subset.
    RemoteFile("cub/CUB_200_2011.tgz",
               "https://data.caltech.edu/records/65de6-vp158/files/CUB_200_2011.tgz?download=1",
               "md5:97eceeb196236b17998738112f37df78", 1_150_585_339, "cub-archive"),
    # Keras application weights (ImageNet, without the classification top), as keras.applications names them.
    RemoteFile("keras/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
               KERAS_APPS + "resnet/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
               "md5:4d473c1dd8becc155b73f8504c6f6626", 94_653_016, "weights-resnet50"),
    RemoteFile("keras/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
               KERAS_APPS + "vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
               "md5:6d6bbae143d832006294945121d1f1fc", 58_889_256, "weights-vgg16"),
    RemoteFile("keras/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5",
               KERAS_APPS + "mobilenet_v2/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5",
               None, 9_406_464, "weights-mobilenetv2"),
    RemoteFile("keras/efficientnetb0_notop.h5",
               "https://storage.googleapis.com/keras-applications/efficientnetb0_notop.h5",
               "md5:50bc09e76180e00e4465e1a485ddc09d", 16_705_208, "weights-efficientnetb0"),
]

REGISTRY: dict[str, RemoteFile] = {f.key: f for f in _FILES}

# Iris needs no download: scikit-learn ships it (sklearn.datasets.load_iris).
BUNDLED = {"iris": "bundled with scikit-learn (sklearn.datasets.load_iris): no download"}


def files_of(dataset: str) -> list[RemoteFile]:
    """All registry entries of one dataset, e.g. ``files_of("mnist")``."""
    found = [f for f in _FILES if f.dataset == dataset]
    if not found:
        known = sorted({f.dataset for f in _FILES})
        raise KeyError(f"No dataset called {dataset!r} in the registry. Known: {', '.join(known)}.")
    return found
