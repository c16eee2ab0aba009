"""Reading image folders safely: scan, report problems, decode to RGB.

A learner's own folder can hold anything: README files, broken downloads, grayscale,
CMYK or transparent images, empty class folders. These helpers sort that out in
Python with Pillow, before TensorFlow sees a single byte, and say what they skipped.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"}


class ImageFolderError(ValueError):
    """A folder cannot be used as a folder-per-class image dataset."""


class NotAnImageError(ValueError):
    """A file is not an image Pillow can read."""


@dataclass
class FolderScan:
    """The usable images of a folder-per-class dataset and what was skipped.

    Attributes:
        files: image paths, sorted by class then name.
        labels: class index of each file.
        class_names: one per class folder that holds at least one image.
        skipped: ``(path, reason)`` for every file or folder left out.
        converted: count of images per original mode that are converted to RGB.
    """

    files: list[Path]
    labels: np.ndarray
    class_names: list[str]
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    converted: dict[str, int] = field(default_factory=dict)

    def report(self) -> str:
        """A short human-readable summary of the scan."""
        lines = [f"{len(self.files)} images in {len(self.class_names)} classes."]
        if self.converted:
            modes = ", ".join(f"{n} {mode}" for mode, n in sorted(self.converted.items()))
            lines.append(f"Converted to RGB: {modes}.")
        for path, reason in self.skipped:
            lines.append(f"Skipped {path.name}: {reason}")
        return "\n".join(lines)


def open_rgb(path: Path | str):
    """Open an image file as an RGB Pillow image (grayscale, CMYK, palette, alpha handled).

    Transparent pixels are composited onto white, so a cut-out bird on a transparent
    background looks like a bird on white paper, not on black.

    Raises:
        NotAnImageError: the file is not a readable image.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(path)
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        raise NotAnImageError(f"{path} is not a readable image ({type(err).__name__}). "
                              "Remove it or replace it with a JPEG or PNG file.") from err
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def load_image(path: Path | str, image_size: int | tuple[int, int]) -> np.ndarray:
    """Read one image file as a float32 RGB array of shape ``(height, width, 3)``, values 0-255.

    Example:
        >>> load_image("my_bird.jpg", 224).shape
        (224, 224, 3)
    """
    from PIL import Image

    height, width = (image_size, image_size) if isinstance(image_size, int) else image_size
    image = open_rgb(path).resize((width, height), Image.BILINEAR)
    return np.asarray(image, dtype=np.float32)


def check_image_file(path: Path) -> str | None:
    """Return None for a usable image, or the reason the file must be skipped."""
    from PIL import Image, UnidentifiedImageError

    if path.suffix.lower() not in IMAGE_SUFFIXES:
        return f"not an image file (suffix {path.suffix or 'none'})"
    try:
        with Image.open(path) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        return f"unreadable image ({type(err).__name__})"
    return None


def image_mode(path: Path) -> str:
    """The Pillow mode of an image file (``"RGB"``, ``"L"``, ``"CMYK"``, ``"RGBA"``...)."""
    from PIL import Image

    with Image.open(path) as image:
        return image.mode


def scan_image_folder(folder: Path | str, min_classes: int = 2) -> FolderScan:
    """Find the usable images of a folder-per-class dataset (``folder/<class>/<image>``).

    Files that are not images or cannot be decoded, and class folders left with no
    images, are skipped and listed in ``skipped``.

    Raises:
        ImageFolderError: the folder is missing or has fewer than ``min_classes`` usable classes.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ImageFolderError(f"{folder} is not a folder. Point the loader at a folder with one "
                               "sub-folder of images per class.")
    files, labels, class_names, skipped, converted = [], [], [], [], {}
    for class_dir in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        usable = []
        for path in sorted(p for p in class_dir.iterdir() if p.is_file() and not p.name.startswith(".")):
            reason = check_image_file(path)
            if reason:
                skipped.append((path, reason))
                continue
            mode = image_mode(path)
            if mode != "RGB":
                converted[mode] = converted.get(mode, 0) + 1
            usable.append(path)
        if not usable:
            skipped.append((class_dir, "class folder has no usable images"))
            continue
        files += usable
        labels += [len(class_names)] * len(usable)
        class_names.append(class_dir.name)
    if len(class_names) < min_classes:
        raise ImageFolderError(
            f"{folder} has {len(class_names)} class folder(s) with usable images; at least "
            f"{min_classes} are needed. Expected layout: {folder}/<class name>/<image files>.")
    return FolderScan(files, np.array(labels, dtype=np.int64), class_names, skipped, converted)
