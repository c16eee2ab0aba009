"""Where the prepared bird folder comes from: a mirror's prepared copy, or the CUB-200-2011 archive.

From a mirror, every file is verified against ``checksums/birds_sha256.txt``, under one progress
bar and without a log line per file. From the archive, each photo of the chosen species is
cropped to a square around CUB's bounding box (plus a margin) and saved at 227x227 as
``<id>.<Species>/<Species>_<NNNN>.jpg``; the split file ``birds_split.csv``
(``filename,species,split``) keeps CUB's own train/test split.
"""
from __future__ import annotations

import contextlib
import csv
import io
import logging
import tarfile
from pathlib import Path

from .. import config
from ..i18n import tr
from .fetch import DataUnavailableError, _download, copy_verified, fetch_file
from .images import open_rgb

CHECKSUMS = Path(__file__).with_name("checksums") / "birds_sha256.txt"
SPLIT_FILE = "birds_split.csv"
PREPARED_SIZE = 227  # the side of the square crops, as in the mirror's prepared subset
CROP_MARGIN = 0.15   # extra context around CUB's bounding box, as a fraction of its longer side


# --- from a mirror ------------------------------------------------------------------------------
def bird_checksums() -> dict[str, str]:
    """``{relative path: sha256}`` of the prepared subset as the mirror holds it."""
    pairs = (line.split(None, 1) for line in CHECKSUMS.read_text().splitlines() if line.strip())
    return {name.strip(): digest for digest, name in pairs}


def prepare_into(staging: Path, species: list[str], progress: bool = True, from_origin: bool = True) -> str:
    """Fill ``staging`` from the mirror's prepared birds, else from the archive; return the source.

    The archive comes from the cache or the mirror, else (only with ``from_origin``) from Caltech.
    """
    mirror = config.data_mirror()
    if mirror and config.is_url(mirror) and _download_split_file(mirror, staging):
        return _download_birds(mirror, staging, progress)
    if mirror and not config.is_url(mirror) and (Path(mirror) / "birds" / SPLIT_FILE).is_file():
        return _copy_birds(Path(mirror) / "birds", staging, progress)
    prepare_from_archive(fetch_file("cub/CUB_200_2011.tgz", progress, from_origin), staging, species)
    return "CUB-200-2011 archive"


def _photo_checksums() -> list[tuple[str, str]]:
    """``(relative path, sha256)`` of every photo of the prepared subset (the split file aside)."""
    return [(name, digest) for name, digest in bird_checksums().items() if name != SPLIT_FILE]


def _copy_birds(source: Path, staging: Path, progress: bool) -> str:
    """Copy every listed file of a mirror folder's ``birds/`` into ``staging``, verifying each."""
    files = [(SPLIT_FILE, bird_checksums()[SPLIT_FILE]), *_photo_checksums()]
    label = tr("birds (mirror folder)")
    for relpath, digest in _progress_bar(files, progress, label):
        if not (source / relpath).is_file():
            raise DataUnavailableError(_mirror_gap_message(relpath, str(source / relpath),
                                                           tr("no such file"), staging))
        copy_verified(source / relpath, staging / relpath, f"sha256:{digest}")
    return f"mirror {source.parent}"


def _download_split_file(mirror: str, staging: Path) -> bool:
    """Download the URL mirror's split file; False (and say so) when the mirror cannot serve it."""
    url = f"{mirror}birds/{SPLIT_FILE}"
    try:
        with _pooch_quiet():
            _download(url, staging / SPLIT_FILE, f"sha256:{bird_checksums()[SPLIT_FILE]}", progress=False)
    except DataUnavailableError as err:
        print(tr("The mirror {mirror} has no prepared birds ({url}: {err}); preparing them from the CUB-200-2011 "
                 "archive instead.", mirror=mirror, url=url, err=err))
        return False
    return True


def _download_birds(mirror: str, staging: Path, progress: bool) -> str:
    """Download every photo of the URL mirror's ``birds/``, verified, under one progress bar."""
    with _pooch_quiet():
        for relpath, digest in _progress_bar(_photo_checksums(), progress, tr("birds (mirror)")):
            url = f"{mirror}birds/{relpath}"
            try:
                _download(url, staging / relpath, f"sha256:{digest}", progress=False)
            except DataUnavailableError as err:
                raise DataUnavailableError(_mirror_gap_message(relpath, url, str(err), staging)) from err
    return f"mirror {mirror}"


def _mirror_gap_message(relpath: str, location: str, reason: str, staging: Path) -> str:
    """The error for a mirror that has prepared birds but lacks one of their files."""
    return tr("Could not obtain birds/{relpath} from the mirror.\n"
              "  Tried: {location}: {reason}\n"
              "  Cache path: {cache_path}\n"
              "  Fix: complete the mirror's birds/ folder (every file listed in "
              "course_utils/data/checksums/birds_sha256.txt), or unset COURSE_DATA_MIRROR to prepare the birds from "
              "the CUB-200-2011 archive (see the README, 'Offline use and mirrors').", relpath=relpath,
              location=location, reason=reason, cache_path=staging.with_name('birds') / relpath)


def _progress_bar(items: list, progress: bool, label: str):
    """``items`` under one tqdm progress bar (the one pooch uses), or as they are."""
    from tqdm import tqdm

    return tqdm(items, desc=label, unit="file", disable=not progress)


@contextlib.contextmanager
def _pooch_quiet():
    """Silence pooch's "Downloading data from ..." line, logged once per file."""
    import pooch

    logger = pooch.get_logger()
    level = logger.level

    def drop_info(record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING

    logger.setLevel(logging.WARNING)
    logger.addFilter(drop_info)  # also holds when something re-enabled INFO on pooch's logger meanwhile
    try:
        yield
    finally:
        logger.removeFilter(drop_info)
        logger.setLevel(level)


# --- from the archive -----------------------------------------------------------------------------
def prepare_from_archive(archive: Path, out_dir: Path, species: list[str]) -> None:
    """Cut ``species`` (CUB folder names, e.g. ``"073.Blue_Jay"``) out of the archive into ``out_dir``.

    Raises:
        ValueError: the archive is not CUB-200-2011 or lacks one of the species.
    """
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
        raise ValueError(tr("The archive {archive} has no images for {species}: is it CUB-200-2011?", archive=archive,
                            species=sorted(missing)))
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
        raise ValueError(tr("{archive} lacks {files}: is it CUB-200-2011?", archive=archive,
                            files=sorted(wanted_meta - set(meta))))
    return meta, images


def _save_crop(data: bytes, box: list[float], path: Path) -> None:
    """Save a square crop around ``box`` (x, y, width, height) at PREPARED_SIZE pixels."""
    from PIL import Image

    image = open_rgb(io.BytesIO(data), upright=False)  # CUB's boxes are in stored-pixel coordinates
    x, y, w, h = box
    side = max(w, h) * (1 + 2 * CROP_MARGIN)
    cx, cy = x + w / 2, y + h / 2
    left, top = max(0, cx - side / 2), max(0, cy - side / 2)
    right, bottom = min(image.width, cx + side / 2), min(image.height, cy + side / 2)
    crop = image.crop((int(left), int(top), int(right), int(bottom)))
    path.parent.mkdir(parents=True, exist_ok=True)
    crop.resize((PREPARED_SIZE, PREPARED_SIZE), Image.BILINEAR).save(path, "JPEG", quality=92)
