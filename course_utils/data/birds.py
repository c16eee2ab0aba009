"""The course's bird data: 10 visually distinct CUB-200-2011 species, as tf.data pipelines.

Two ways lead to the same prepared folder in the cache (``<COURSE_DATA_DIR>/birds``):

* from a mirror that holds the prepared subset (``birds/`` with ``birds_split.csv``),
  each file verified against the checksums shipped in ``checksums/birds_sha256.txt``;
* from the CUB-200-2011 archive (about 1.1 GB, downloaded once and verified), from
  which the 10 species are cut out around CUB's bounding boxes and saved at 227x227.

Either way the layout is ``birds/<id>.<Species>/<Species>_<NNNN>.jpg`` plus
``birds_split.csv`` (``filename,species,split`` with split ``train`` or ``test``).
"""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tarfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import config
from .fetch import copy_verified, ensure_writable, fetch_file, _download
from .images import load_image, scan_image_folder

BIRD_SPECIES = [
    "001.Black_footed_Albatross", "016.Painted_Bunting", "047.American_Goldfinch",
    "068.Ruby_throated_Hummingbird", "073.Blue_Jay", "087.Mallard", "100.Brown_Pelican",
    "106.Horned_Puffin", "186.Cedar_Waxwing", "188.Pileated_Woodpecker",
]
SPLIT_FILE = "birds_split.csv"
PREPARED_SIZE = 227  # the side of the square crops, as in the mirror's prepared subset
CROP_MARGIN = 0.15   # extra context around CUB's bounding box, as a fraction of its longer side
CHECKSUMS = Path(__file__).with_name("checksums") / "birds_sha256.txt"


def species_name(folder_name: str) -> str:
    """Readable species name from a CUB folder name: ``"073.Blue_Jay"`` -> ``"Blue Jay"``."""
    return folder_name.split(".", 1)[-1].replace("_", " ")


def birds_dir() -> Path:
    """Where the prepared bird subset lives in the cache."""
    return config.data_dir() / "birds"


def fetch_birds(progress: bool = True) -> Path:
    """Return the folder of the prepared 10-species subset, preparing it on first use.

    Uses the mirror's prepared ``birds/`` folder when ``COURSE_DATA_MIRROR`` has one,
    otherwise downloads the CUB-200-2011 archive (mirror or Caltech) and prepares it.
    """
    target = birds_dir()
    if (target / ".complete").exists():
        return target
    ensure_writable(target.parent)
    staging = target.with_name(f"birds.partial-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        if _mirror_has_prepared_birds():
            source = _copy_birds_from_mirror(staging)
        else:
            prepare_birds_from_archive(fetch_file("cub/CUB_200_2011.tgz", progress), staging)
            source = "CUB-200-2011 archive"
        (staging / ".complete").write_text(json.dumps({"source": source}))
        shutil.rmtree(target, ignore_errors=True)
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def bird_checksums() -> dict[str, str]:
    """``{relative path: sha256}`` of the prepared subset as the mirror holds it."""
    pairs = (line.split(None, 1) for line in CHECKSUMS.read_text().splitlines() if line.strip())
    return {name.strip(): digest for digest, name in pairs}


def _mirror_has_prepared_birds() -> bool:
    """True when the mirror is a URL (we try it) or a folder with a prepared ``birds/``."""
    mirror = config.data_mirror()
    if not mirror:
        return False
    return config.is_url(mirror) or (Path(mirror) / "birds" / SPLIT_FILE).is_file()


def _copy_birds_from_mirror(staging: Path) -> str:
    """Copy every listed file of the mirror's ``birds/`` into ``staging``, verifying each."""
    mirror = config.data_mirror()
    for relpath, digest in bird_checksums().items():
        target = staging / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        if config.is_url(mirror):
            _download(f"{mirror}birds/{relpath}", target, f"sha256:{digest}", progress=False)
        else:
            copy_verified(Path(mirror) / "birds" / relpath, target, f"sha256:{digest}")
    return f"mirror {mirror}"


def prepare_birds_from_archive(archive: Path, out_dir: Path, species: list[str] | None = None) -> None:
    """Cut the chosen species out of the CUB-200-2011 archive into ``out_dir``.

    Each photo is cropped to a square around CUB's bounding box (plus a margin) and
    resized to 227x227; the split is CUB's own ``train_test_split.txt``.
    """
    species = species or BIRD_SPECIES
    meta, images = _read_archive(archive, species)
    paths = dict(line.split() for line in meta["images.txt"].splitlines() if line.strip())
    is_train = dict(line.split() for line in meta["train_test_split.txt"].splitlines() if line.strip())
    boxes = {row[0]: [float(v) for v in row[1:]] for row in
             (line.split() for line in meta["bounding_boxes.txt"].splitlines() if line.strip())}
    rows, counters = [], {}
    for image_id in sorted(paths, key=int):
        class_folder = paths[image_id].split("/")[0]
        if class_folder not in species:
            continue
        number = counters.setdefault(class_folder, 0)
        counters[class_folder] += 1
        filename = f"{class_folder}/{class_folder.split('.', 1)[1]}_{number:04d}.jpg"
        _save_crop(images[paths[image_id]], boxes[image_id], out_dir / filename)
        rows.append((filename, class_folder, "train" if is_train[image_id] == "1" else "test"))
    missing = set(species) - set(counters)
    if missing:
        raise ValueError(f"The archive {archive} has no images for {sorted(missing)}: is it CUB-200-2011?")
    with open(out_dir / SPLIT_FILE, "w", newline="") as f:
        csv.writer(f).writerows([("filename", "species", "split"), *rows])


def _read_archive(archive: Path, species: list[str]) -> tuple[dict[str, str], dict[str, bytes]]:
    """One pass over the archive: metadata text files and the images of the chosen species."""
    wanted_meta = {"images.txt", "train_test_split.txt", "bounding_boxes.txt"}
    meta, images = {}, {}
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar:
            parts = member.name.split("/")
            if not member.isfile() or len(parts) < 2:
                continue
            if parts[-1] in wanted_meta and len(parts) == 2:
                meta[parts[-1]] = tar.extractfile(member).read().decode()
            elif len(parts) == 4 and parts[1] == "images" and parts[2] in species:
                images[f"{parts[2]}/{parts[3]}"] = tar.extractfile(member).read()
    if set(meta) != wanted_meta:
        raise ValueError(f"{archive} lacks {sorted(wanted_meta - set(meta))}: is it CUB-200-2011?")
    return meta, images


def _save_crop(data: bytes, box: list[float], path: Path) -> None:
    """Save a square crop around ``box`` (x, y, width, height) at PREPARED_SIZE pixels."""
    from PIL import Image

    from .images import open_rgb

    image = open_rgb(io.BytesIO(data))
    x, y, w, h = box
    side = max(w, h) * (1 + 2 * CROP_MARGIN)
    cx, cy = x + w / 2, y + h / 2
    left, top = max(0, cx - side / 2), max(0, cy - side / 2)
    right, bottom = min(image.width, cx + side / 2), min(image.height, cy + side / 2)
    crop = image.crop((int(left), int(top), int(right), int(bottom)))
    path.parent.mkdir(parents=True, exist_ok=True)
    crop.resize((PREPARED_SIZE, PREPARED_SIZE), Image.BILINEAR).save(path, "JPEG", quality=92)


@dataclass
class Split:
    """The files and integer labels of one split."""

    files: list[Path]
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.files)


def split_folder(folder: Path, scan, val_fraction: float, seed: int,
                 test_fraction: float = 0.2) -> dict[str, Split]:
    """Split a scanned folder into train / val / test without any file in two splits.

    With a ``birds_split.csv`` the file's train/test split is kept and validation
    images are drawn from train; otherwise each class is split at random (stratified).
    """
    rng = np.random.default_rng(seed)
    split_of = _read_split_file(folder)
    chosen = {"train": [], "val": [], "test": []}
    for label in range(len(scan.class_names)):
        files = [f for f, lab in zip(scan.files, scan.labels) if lab == label]
        if split_of:
            test = [f for f in files if split_of.get(f.relative_to(folder).as_posix()) == "test"]
            rest = [f for f in files if split_of.get(f.relative_to(folder).as_posix()) == "train"]
        else:
            files = list(rng.permutation(np.array(files, dtype=object)))
            n_test = max(1, round(test_fraction * len(files)))
            test, rest = files[:n_test], files[n_test:]
        rest = list(rng.permutation(np.array(rest, dtype=object)))
        n_val = max(1, round(val_fraction * len(rest))) if val_fraction > 0 else 0
        for name, part in (("val", rest[:n_val]), ("train", rest[n_val:]), ("test", test)):
            chosen[name] += [(Path(f), label) for f in sorted(part)]
    return {name: Split([f for f, _ in pairs], np.array([lab for _, lab in pairs], dtype=np.int64))
            for name, pairs in chosen.items()}


def _read_split_file(folder: Path) -> dict[str, str]:
    """``{relative filename: "train"|"test"}`` from ``birds_split.csv``, or {} if absent."""
    path = folder / SPLIT_FILE
    if not path.exists():
        return {}
    with open(path, newline="") as f:
        return {row["filename"]: row["split"] for row in csv.DictReader(f)}


@dataclass
class BirdData:
    """Train / validation / test pipelines of a folder-per-class image dataset.

    The pipelines yield ``(images, labels)`` batches: float32 RGB images with values
    0-255 (each backbone applies its own ``preprocess_input``) and integer labels.
    """

    train_ds: object
    val_ds: object
    test_ds: object
    class_names: list[str]
    splits: dict[str, Split]
    folder: Path


def make_image_dataset(files: list[Path], labels: np.ndarray, image_size: int, batch_size: int,
                       shuffle: bool = False, seed: int = 0):
    """A batched ``tf.data.Dataset`` that decodes ``files`` with Pillow (any mode -> RGB)."""
    import tensorflow as tf

    def read(path):
        return load_image(path.decode(), image_size)

    def decode(path, label):
        image = tf.numpy_function(read, [path], tf.float32)
        return tf.ensure_shape(image, (image_size, image_size, 3)), label

    ds = tf.data.Dataset.from_tensor_slices(([str(f) for f in files], labels))
    if shuffle:
        ds = ds.shuffle(len(files), seed=seed, reshuffle_each_iteration=True)
    return ds.map(decode, num_parallel_calls=tf.data.AUTOTUNE).batch(batch_size).prefetch(tf.data.AUTOTUNE)


def load_bird_datasets(folder: Path | str | None = None, image_size: int = 224, batch_size: int = 32,
                       val_fraction: float = 0.2, max_per_class: int | None = None,
                       seed: int = 42, verbose: bool = True) -> BirdData:
    """Load the course's bird subset (default) or any folder-per-class image folder.

    Args:
        folder: a folder with one sub-folder of images per class; None uses :func:`fetch_birds`.
        image_size: side of the square images the pipelines yield, in pixels.
        val_fraction: share of the training images held out for validation.
        max_per_class: keep at most this many images per class in each split (smoke runs).

    Example:
        >>> birds = load_bird_datasets(image_size=224)
        >>> birds.class_names[:2]
        ['Black footed Albatross', 'Painted Bunting']
    """
    folder = Path(folder) if folder is not None else fetch_birds()
    scan = scan_image_folder(folder)
    if verbose and (scan.skipped or scan.converted):
        print(scan.report())
    splits = split_folder(folder, scan, val_fraction, seed)
    if max_per_class:
        splits = {name: _first_per_class(s, max_per_class) for name, s in splits.items()}
    make = lambda s, shuffle: make_image_dataset(s.files, s.labels, image_size, batch_size, shuffle, seed)
    return BirdData(make(splits["train"], True), make(splits["val"], False), make(splits["test"], False),
                    [species_name(n) for n in scan.class_names], splits, folder)


def _first_per_class(split: Split, k: int) -> Split:
    """Keep the first ``k`` files of each class."""
    keep = [i for i, label in enumerate(split.labels) if (split.labels[:i] == label).sum() < k]
    return Split([split.files[i] for i in keep], split.labels[keep])
