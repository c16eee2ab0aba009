"""The registry: every file the course downloads, with its origin and checksum, and the backbone table.

Each entry's key is a relative path. The same path is used inside the cache
(``COURSE_DATA_DIR``) and inside a mirror (``COURSE_DATA_MIRROR``), so a mirror is
simply a folder (or web server) laid out like the cache.

Every entry has a checksum. It is SHA-256 wherever the publisher's original is known byte
for byte (MNIST, Fashion-MNIST). For the CUB-200-2011 archive and the Keras application
weights, the checksum the publishers themselves distribute is an MD5 (Caltech's record, the
hashes ``keras.applications`` pins in its sources); we verify against that published value
rather than invent one.

:data:`BACKBONES` is the one table of ImageNet backbones: add a row there and the registry,
:mod:`course_utils.data.weights` and :mod:`course_utils.lessons.backbones` all know it.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Iterable

from ..i18n import N_, tr


KINDS = (N_("dataset"), N_("backbone"), N_("registry file"))


class UnknownNameError(KeyError):
    """A dataset, backbone or file name the course does not know; the message lists the known ones."""

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return str(self.args[0]) if self.args else ""


def unknown_name(kind: str, name: str, known: Iterable[str]) -> UnknownNameError:
    """The error for an unknown ``name`` of ``kind``: the known names, and the closest match if any.

    ``kind`` is one of :data:`KINDS` (translated with the message)."""
    known = sorted(known)
    close = difflib.get_close_matches(str(name).lower(), known, n=1)
    hint = tr(" Did you mean {name!r}?", name=close[0]) if close else ""
    return UnknownNameError(tr("Unknown {kind} {name!r}.{hint} Known: {names}.", kind=tr(kind), name=name, hint=hint,
                               names=", ".join(known)))


@dataclass(frozen=True)
class RemoteFile:
    """One downloadable file.

    Attributes:
        key: relative path in the cache and in a mirror, e.g. ``"mnist/t10k-labels-idx1-ubyte.gz"``.
        url: the canonical origin.
        known_hash: ``"sha256:<hex>"`` or ``"md5:<hex>"`` (required: no file is accepted unverified).
        size: size in bytes, for status tables and disk-space planning.
        dataset: the dataset the file belongs to (groups files for prefetching).
    """

    key: str
    url: str
    known_hash: str
    size: int
    dataset: str


@dataclass(frozen=True)
class BackboneSpec:
    """One ``keras.applications`` ImageNet backbone: how Keras builds it and which weights file it loads.

    Attributes:
        name: the course's name, e.g. ``"resnet50"``.
        constructor: the ``keras.applications`` function, e.g. ``"ResNet50"``.
        preprocess_module: the ``keras.applications`` sub-module whose ``preprocess_input`` it expects.
        weights_file: Keras' own file name for the ImageNet weights without the top; Keras looks for
            it in ``$KERAS_HOME/models`` (default ``~/.keras/models``).
        weights_url: where ``keras.applications`` downloads that file from.
        weights_md5: the MD5 that ``keras.applications`` pins for that file in its sources.
        weights_size: the file's size in bytes (as served).
        image_size: the square input size its ImageNet weights were trained at.
    """

    name: str
    constructor: str
    preprocess_module: str
    weights_file: str
    weights_url: str
    weights_md5: str
    weights_size: int
    image_size: int = 224

    @property
    def weights_key(self) -> str:
        """The weights file's registry key (its path in the course cache and in a mirror)."""
        return f"keras/{self.weights_file}"

    def weights_entry(self) -> RemoteFile:
        """The registry entry of the weights file."""
        return RemoteFile(self.weights_key, self.weights_url, f"md5:{self.weights_md5}",
                          self.weights_size, f"weights-{self.name}")


MNIST_BASE = "https://storage.googleapis.com/cvdf-datasets/mnist/"
FASHION_BASE = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
KERAS_APPS = "https://storage.googleapis.com/tensorflow/keras-applications/"

_FILES: list[RemoteFile] = [
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
    # Keras application weights: generated from BACKBONES below.
]

# The one backbone table. Each row uses the file name, URL and MD5 that the installed
# keras.applications uses for `weights="imagenet", include_top=False` (a test checks all three).
# MobileNetV3Small stands where MobileNetV2 stood: Keras pins no hash for MobileNetV2's weights
# (see data/README.md).
BACKBONES: dict[str, BackboneSpec] = {b.name: b for b in [
    BackboneSpec("resnet50", "ResNet50", "resnet50",
                 "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
                 KERAS_APPS + "resnet/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
                 "4d473c1dd8becc155b73f8504c6f6626", 94_765_736),
    BackboneSpec("vgg16", "VGG16", "vgg16",
                 "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
                 KERAS_APPS + "vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
                 "6d6bbae143d832006294945121d1f1fc", 58_889_256),
    BackboneSpec("mobilenetv3small", "MobileNetV3Small", "mobilenet_v3",
                 "weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5",
                 KERAS_APPS + "mobilenet_v3/weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5",
                 "d3e8ec802a04aa4fc771ee12a9a9b836", 4_334_752),
    BackboneSpec("efficientnetb0", "EfficientNetB0", "efficientnet",
                 "efficientnetb0_notop.h5",
                 "https://storage.googleapis.com/keras-applications/efficientnetb0_notop.h5",
                 "50bc09e76180e00e4465e1a485ddc09d", 16_705_208),
]}
_FILES += [spec.weights_entry() for spec in BACKBONES.values()]

REGISTRY: dict[str, RemoteFile] = {f.key: f for f in _FILES}


def files_of(dataset: str) -> list[RemoteFile]:
    """All registry entries of one dataset, e.g. ``files_of("mnist")``.

    Raises:
        UnknownNameError: no such dataset; the message lists the known ones.
    """
    found = [f for f in _FILES if f.dataset == dataset]
    if not found:
        raise unknown_name("dataset", dataset, {f.dataset for f in _FILES})
    return found


def backbone_spec(name: str) -> BackboneSpec:
    """The table row of backbone ``name`` (case-insensitive).

    Raises:
        UnknownNameError: no such backbone; the message lists the known ones.
    """
    try:
        return BACKBONES[name.lower()]
    except KeyError:
        raise unknown_name("backbone", name, BACKBONES) from None
