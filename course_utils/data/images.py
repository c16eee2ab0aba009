"""Reading image folders safely: scan, report problems, decode to upright RGB.

A learner's own folder can hold anything: README files, broken or half-finished downloads,
phone photos stored sideways with an EXIF orientation, 16-bit, grayscale, CMYK, palette or
transparent images, giant files, empty class folders. These helpers sort that out in Python
with Pillow, before TensorFlow sees a single byte, and say what they skipped.

The scan decodes every image completely with the same function the loaders use, so a file
that passes the scan cannot fail to decode later (unless it changes on disk in between).
"""
from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..i18n import list_text, tr

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
SIXTEEN_BIT_MODES = {"I;16", "I;16L", "I;16B", "I;16N", "I"}  # Pillow's modes for 16-bit grayscale
EXIF_ORIENTATION = 0x0112  # the EXIF tag saying how a camera held the photo (1 = upright)


class ImageFolderError(ValueError):
    """A folder cannot be used as a folder-per-class image dataset."""


class NotAnImageError(ValueError):
    """A file is not an image Pillow can decode (or it is refused, e.g. a decompression bomb).

    Attributes:
        reason: why, in one phrase (what a folder scan lists for a skipped file).
    """

    def __init__(self, message: str, reason: str = ""):
        super().__init__(message)
        self.reason = reason or message


@dataclass
class FolderScan:
    """The usable images of a folder-per-class dataset and what was skipped.

    Attributes:
        files: image paths, sorted by class then name.
        labels: class index of each file.
        class_names: one per class folder that holds at least one image.
        skipped: ``(path, reason)`` for every file or folder left out.
        converted: count of images per original mode that are converted to RGB.
        rotated: count of images turned upright from their EXIF orientation.
    """

    files: list[Path]
    labels: np.ndarray
    class_names: list[str]
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    converted: dict[str, int] = field(default_factory=dict)
    rotated: int = 0

    def report(self) -> str:
        """A short human-readable summary of the scan, in the course's language (the reasons are in
        the language of the scan, which is the same in a notebook)."""
        files, classes = len(self.files), len(self.class_names)
        lines = [tr("{files} images in {classes} classes.", files=files, classes=classes)]
        if self.converted:
            modes = sorted(self.converted.items())
            counts = list_text(tr("{n} {mode}", n=n, mode=mode) for mode, n in modes)
            lines.append(tr("Converted to RGB: {counts}.", counts=counts))
        if self.rotated:
            lines.append(tr("Turned upright from their EXIF orientation: {rotated}.", rotated=self.rotated))
        for path, reason in self.skipped:  # a file as <class>/<name>, a class folder by its name
            name = path.name if path.is_dir() else f"{path.parent.name}/{path.name}"
            lines.append(tr("Skipped {name}: {reason}", name=name, reason=reason))
        return "\n".join(lines)


@dataclass
class DecodedImage:
    """An image decoded to upright RGB, with what it was before."""

    rgb: object  # PIL.Image.Image in mode "RGB"
    original_mode: str
    rotated: bool


def decode_image(path, upright: bool = True) -> DecodedImage:
    """Decode a whole image file (a path or a binary file object) to an upright RGB Pillow image.

    Every pixel is decoded, so a file cut short fails here rather than half-way through
    training. Photos with an EXIF orientation are turned upright (unless ``upright=False``:
    stored pixel order, for annotations made in that frame); 16-bit, grayscale, CMYK,
    palette and transparent images become RGB (transparent pixels on white).

    Raises:
        NotAnImageError: the file cannot be decoded, or is refused as a decompression bomb.
    """
    from PIL import Image, ImageOps

    try:
        with _strict_pillow(), Image.open(path) as image:
            image.load()
            rotated = upright and image.getexif().get(EXIF_ORIENTATION, 1) in range(2, 9)
            turned = ImageOps.exif_transpose(image) if rotated else image
            return DecodedImage(_to_rgb(turned), image.mode, rotated)
    except Exception as err:  # Pillow raises many types for damaged files; each becomes one clear error
        reason = _reason(path, err)
        raise NotAnImageError(tr("{path} cannot be used: {reason}. Remove it or replace it with a JPEG or PNG file.",
                                 path=path, reason=reason),
                              reason) from err


def open_rgb(path, upright: bool = True):
    """Open an image file as an upright RGB Pillow image (see :func:`decode_image`).

    Raises:
        NotAnImageError: the file is not a readable image.
    """
    return decode_image(path, upright).rgb


def resized_rgb(path, image_size: int | tuple[int, int]):
    """The upright RGB image of ``path`` resized to ``image_size`` (side, or (height, width))."""
    from PIL import Image

    height, width = (image_size, image_size) if isinstance(image_size, int) else image_size
    return open_rgb(path).resize((width, height), Image.BILINEAR)


def load_image(path: Path | str, image_size: int | tuple[int, int]) -> np.ndarray:
    """Read one image file as a float32 RGB array of shape ``(height, width, 3)``, values 0-255.

    Example:
        >>> load_image("my_bird.jpg", 224).shape
        (224, 224, 3)
    """
    return np.asarray(resized_rgb(path, image_size), dtype=np.float32)


@contextlib.contextmanager
def _strict_pillow():
    """Refuse truncated files and oversized images while decoding, whatever the global settings.

    ``ImageFile.LOAD_TRUNCATED_IMAGES = True`` (a common web "fix") would fill a cut-short
    photo with grey; a ``DecompressionBombWarning`` would otherwise only be printed.
    """
    from PIL import Image, ImageFile

    before = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = before


def _reason(path, err: Exception) -> str:
    """Why a file cannot be used, in one phrase a learner understands."""
    from PIL import Image, UnidentifiedImageError

    if isinstance(err, (Image.DecompressionBombError, Image.DecompressionBombWarning)):
        detail = str(err).rstrip(".")
        return tr("refused as a possible decompression bomb ({detail}); if the photo is genuine, shrink it first",
                  detail=detail)
    if isinstance(path, (str, Path)) and Path(path).is_file() and Path(path).stat().st_size == 0:
        return tr("empty file (0 bytes)")
    if isinstance(err, UnidentifiedImageError):
        return tr("not a readable image (Pillow does not recognise its contents)")
    if isinstance(err, FileNotFoundError):
        return tr("the file does not exist (any more)")
    return tr("damaged or cut short ({error_type}: {err})", error_type=type(err).__name__, err=err)


def _to_rgb(image):
    """RGB version of a decoded Pillow image of any mode."""
    from PIL import Image

    if image.mode in SIXTEEN_BIT_MODES:
        image = _sixteen_bit_to_gray(image)
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def _sixteen_bit_to_gray(image):
    """8-bit grayscale from a 16-bit one, scaling 0-65535 to 0-255 (Pillow's convert would clip at 255)."""
    from PIL import Image

    values = np.asarray(image, dtype=np.float64)
    return Image.fromarray(np.round(np.clip(values, 0, 65535) / 257).astype(np.uint8))  # 2-D uint8: mode L


def _check(path: Path) -> tuple[str | None, DecodedImage | None]:
    """``(reason, None)`` for a file to skip, ``(None, decoded)`` for a usable image."""
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        return (tr("not an image file (suffix {suffix})", suffix=path.suffix) if path.suffix
                else tr("not an image file (no suffix)")), None
    try:
        return None, decode_image(path)
    except NotAnImageError as err:
        return err.reason, None


def scan_image_folder(folder: Path | str, min_classes: int = 2) -> FolderScan:
    """Find the usable images of a folder-per-class dataset (``folder/<class>/<image>``).

    Every image is decoded completely; files that are not images, cannot be decoded or are
    refused (decompression bombs), and class folders left with no images, are skipped and
    listed in ``skipped``.

    Raises:
        ImageFolderError: the folder is missing or has fewer than ``min_classes`` usable classes.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ImageFolderError(tr("{folder} is not a folder. Point the loader at a folder with one sub-folder of "
                                  "images per class.", folder=folder))
    scan = FolderScan([], np.array([], dtype=np.int64), [])
    labels = []
    for class_dir in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        usable = _scan_class_folder(class_dir, scan)
        if not usable:
            scan.skipped.append((class_dir, tr("class folder has no usable images")))
            continue
        scan.files += usable
        labels += [len(scan.class_names)] * len(usable)
        scan.class_names.append(class_dir.name)
    if len(scan.class_names) < min_classes:
        raise ImageFolderError(tr("{folder} has {n_classes} class folder(s) with usable images; at least "
                                  "{min_classes} are needed. Expected layout: {folder}/<class name>/<image files>.",
                                  folder=folder, n_classes=len(scan.class_names), min_classes=min_classes))
    scan.labels = np.array(labels, dtype=np.int64)
    return scan


def _scan_class_folder(class_dir: Path, scan: FolderScan) -> list[Path]:
    """The usable images of one class folder; skipped files and conversions go into ``scan``."""
    usable = []
    for path in sorted(p for p in class_dir.iterdir() if p.is_file() and not p.name.startswith(".")):
        reason, decoded = _check(path)
        if reason:
            scan.skipped.append((path, reason))
            continue
        if decoded.original_mode != "RGB":
            scan.converted[decoded.original_mode] = scan.converted.get(decoded.original_mode, 0) + 1
        scan.rotated += decoded.rotated
        usable.append(path)
    return usable


def decode_files(files: list[Path], image_size: int) -> np.ndarray:
    """Decode and resize every file now, on the calling thread: a uint8 array ``(n, size, size, 3)``.

    Raises:
        NotAnImageError: a file cannot be decoded; the message names it.
    """
    pixels = np.empty((len(files), image_size, image_size, 3), dtype=np.uint8)
    for i, path in enumerate(files):
        try:
            pixels[i] = np.asarray(resized_rgb(path, image_size))
        except NotAnImageError as err:
            raise NotAnImageError(tr("{err} If it passed a folder scan, it changed or vanished since: scan the "
                                     "folder again (for example, call load_bird_datasets again).", err=err),
                                  err.reason) from err
    return pixels


def make_image_dataset(files: list[Path], labels, image_size: int, batch_size: int,
                       shuffle: bool = False, seed: int = 0):
    """A batched ``tf.data.Dataset`` of ``(float32 RGB images 0-255, int64 labels)`` from image files.

    The images are decoded once, here, with Pillow (any mode -> upright RGB), and kept in memory
    as uint8: ``n * size * size * 3`` bytes (the 598 birds at 224 px: 90 MB). The pipeline itself
    holds only TensorFlow ops. Python inside tf.data (``tf.numpy_function`` in a parallel map, or
    behind a prefetch) runs on TensorFlow's threads: when the consumer stops early (an error, a
    ``break``), those calls are still in flight, and destroying the iterator, at garbage collection
    or interpreter exit, waits for them while they wait for Python's lock. The process then hangs.

    Raises:
        NotAnImageError: a file cannot be decoded (it changed since the folder scan); names the file.
    """
    import tensorflow as tf

    pixels = decode_files(files, image_size)
    ds = tf.data.Dataset.from_tensor_slices((pixels, np.asarray(labels, dtype=np.int64)))
    if shuffle:
        ds = ds.shuffle(max(1, len(files)), seed=seed, reshuffle_each_iteration=True)
    to_float = lambda image, label: (tf.cast(image, tf.float32), label)  # noqa: E731
    return ds.map(to_float, num_parallel_calls=tf.data.AUTOTUNE).batch(batch_size).prefetch(tf.data.AUTOTUNE)
