"""The course's bird data: 10 visually distinct CUB-200-2011 species, as tf.data pipelines.

Two ways lead to the same prepared folder in the cache (``<COURSE_DATA_DIR>/birds``):

* from a mirror folder or URL that holds the prepared subset (``birds/`` with ``birds_split.csv``),
  each file verified against the checksums shipped in ``checksums/birds_sha256.txt``;
* from the CUB-200-2011 archive (about 1.1 GB, downloaded once and verified), from which
  the 10 species are cut out (also when a URL mirror has no prepared ``birds/``).

:mod:`.bird_sources` fills the folder; this module checks it and builds the pipelines.

The folder is built in a ``birds.partial-<pid>`` staging folder and moved into place when
complete; a record of its contents (``.complete``) lets every later use re-check it cheaply.
The layout is ``birds/<id>.<Species>/<Species>_<NNNN>.jpg`` plus ``birds_split.csv``
(``filename,species,split`` with split ``train`` or ``test``).
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import config
from ..i18n import N_, tr
from . import bird_sources
from .bird_sources import CROP_MARGIN, PREPARED_SIZE, SPLIT_FILE, bird_checksums  # noqa: F401 (API)
from .fetch import DataUnavailableError, ensure_writable  # noqa: F401 (DataUnavailableError: API)
from .images import make_image_dataset, scan_image_folder  # noqa: F401 (make_image_dataset: API)

BIRD_SPECIES = [
    "001.Black_footed_Albatross", "016.Painted_Bunting", "047.American_Goldfinch",
    "068.Ruby_throated_Hummingbird", "073.Blue_Jay", "087.Mallard", "100.Brown_Pelican",
    "106.Horned_Puffin", "186.Cedar_Waxwing", "188.Pileated_Woodpecker",
]
MARKER = ".complete"        # written last: a JSON record of what was prepared
STALE_AFTER_S = 3600        # a staging folder this old is left over (preparing takes minutes)


def species_name(folder_name: str) -> str:
    """Readable species name from a CUB folder name: ``"073.Blue_Jay"`` -> ``"Blue Jay"``."""
    return folder_name.split(".", 1)[-1].replace("_", " ")


def birds_dir() -> Path:
    """Where the prepared bird subset lives in the cache."""
    return config.data_dir() / "birds"


def fetch_birds(progress: bool = True, from_origin: bool = True) -> Path:
    """Return the folder of the prepared 10-species subset, preparing it when missing or damaged.

    Uses the mirror's prepared ``birds/`` folder when ``COURSE_DATA_MIRROR`` has one,
    otherwise downloads the CUB-200-2011 archive (mirror or Caltech) and prepares it.
    A prepared folder whose files or split file changed is prepared again.

    Args:
        from_origin: False: take the 1.15 GB archive only from the cache or the mirror, never from
            Caltech (lesson 00 uses that unless the learner asks for the download).

    Raises:
        DataUnavailableError: neither the mirror nor (with ``from_origin``) the origin could supply the birds.
    """
    target = birds_dir()
    if target.parent.is_dir():
        remove_stale_staging(target.parent)
    problem = _birds_problem(target)
    if problem is None:
        return target
    if target.exists():
        message, values = problem
        print(tr("The prepared birds in {target} {problem}: preparing them again.", target=target,
                 problem=tr(message, **values)))
    ensure_writable(target.parent)
    staging = target.with_name(f"birds.partial-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        source = bird_sources.prepare_into(staging, BIRD_SPECIES, progress, from_origin)
        _write_marker(staging, source)
        shutil.rmtree(target, ignore_errors=True)
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


# --- checking a prepared folder -----------------------------------------------------------------
def prepared_birds_problem(folder: Path) -> str | None:
    """None when ``folder`` holds a complete prepared subset, else what is wrong (an English phrase).

    Cheap enough for every use: it hashes the split file, checks that every file it lists
    exists and counts the photos, against the record written when the folder was prepared.
    The phrase is English in every edition: :func:`.status.dataset_status` reads it (see
    :func:`_birds_problem` for the message and its values).
    """
    problem = _birds_problem(folder)
    return problem[0].format(**problem[1]) if problem else None


def _birds_problem(folder: Path) -> tuple[str, dict] | None:
    """None when ``folder`` is complete, else ``(message, values)``: what is wrong, a catalog message (English)
    and the values of its placeholders.

    The English phrase continues "The prepared birds in <folder> ...", its translation the translation of
    that sentence (Chinese "<folder> 中已准备好的鸟类数据{problem}，正在重新准备。").
    """
    try:
        record = json.loads((folder / MARKER).read_text())
    except (OSError, ValueError):
        return N_("are missing or were never completed"), {}
    if not {"split_sha256", "files"} <= set(record):
        return N_("were prepared by an older version of the course (no record to check them against)"), {}
    split = folder / SPLIT_FILE
    if not split.is_file() or _sha256(split) != record["split_sha256"]:
        return N_("have a missing or changed {split_file}"), {"split_file": SPLIT_FILE}
    missing = [name for name in _read_split_file(folder) if not (folder / name).is_file()]
    if missing:
        return N_("lack {n_missing} of their photos (for example {example})"), {"n_missing": len(missing),
                                                                                "example": missing[0]}
    found = sum(1 for _ in folder.glob("*/*.jpg"))
    if found != record["files"]:
        return N_("hold {found} photos where {prepared} were prepared"), {"found": found, "prepared": record["files"]}
    return None


def _write_marker(folder: Path, source: str) -> None:
    """Record what was prepared (source, photo count, split file checksum): written last."""
    record = {"source": source, "files": sum(1 for _ in folder.glob("*/*.jpg")),
              "split_sha256": _sha256(folder / SPLIT_FILE)}
    (folder / MARKER).write_text(json.dumps(record))


def _sha256(path: Path) -> str:
    import pooch  # the same hashing the downloads use

    return pooch.file_hash(str(path), alg="sha256")


def remove_stale_staging(parent: Path) -> list[Path]:
    """Delete the ``birds.partial-*`` folders that interrupted runs left in ``parent``; return them."""
    stale = [p for p in parent.glob("birds.partial-*") if p.is_dir() and _is_stale(p)]
    for folder in stale:
        shutil.rmtree(folder, ignore_errors=True)
    return stale


def _is_stale(staging: Path) -> bool:
    """True when no running process is filling ``staging``: its owner is gone, or it is old."""
    pid = staging.name.rsplit("-", 1)[-1]
    if not pid.isdigit() or int(pid) == os.getpid() or time.time() - staging.stat().st_mtime > STALE_AFTER_S:
        return True
    if os.name == "nt":  # os.kill(pid, 0) would send Ctrl-C on Windows: rely on the age alone there
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, owned by another user
        return False
    return False


# --- splits and pipelines -----------------------------------------------------------------------
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
    if verbose and (scan.skipped or scan.converted or scan.rotated):
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
