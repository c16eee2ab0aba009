"""Photos of CUB-200-2011 species by name, for lesson 7's "unknown species" test.

The classifier of lesson 7 knows 10 species; to measure what it does with a bird it was
never taught, it needs photos of other species, prepared the same way as photos of the
known ones. :func:`cub_species_photos` takes them from one source for both:

* the mirror's ``cub100/`` folder (100 CUB species, 227 px crops, ``cub100_split.csv``) when
  ``COURSE_DATA_MIRROR`` is a folder that has it;
* otherwise the CUB-200-2011 archive (the one the 10-species subset is cut from; fetched and
  verified like every download), cut into ``<COURSE_DATA_DIR>/cub_species/`` once.
"""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

from .. import config
from .bird_sources import SPLIT_FILE, prepare_from_archive
from .fetch import ensure_writable, fetch_file

MIRROR_FOLDER, MIRROR_SPLIT_FILE = "cub100", "cub100_split.csv"

# Ten species outside the course's 10, five of them close relatives of a known one
# (Bohemian vs Cedar Waxwing, Green vs Blue Jay, Red-bellied vs Pileated Woodpecker,
# Anna's vs Ruby-throated Hummingbird, European vs American Goldfinch).
OTHER_SPECIES = [
    "185.Bohemian_Waxwing", "075.Green_Jay", "189.Red_bellied_Woodpecker", "067.Anna_Hummingbird",
    "048.European_Goldfinch", "014.Indigo_Bunting", "046.Gadwall", "101.White_Pelican",
    "053.Western_Grebe", "139.Scarlet_Tanager",
]


def cub_species_photos(species: list[str], per_species: int, split: str = "test") -> dict[str, list[Path]]:
    """The first ``per_species`` photos (by file name) of each of ``species`` in the CUB ``split``.

    Args:
        species: CUB folder names, e.g. ``"073.Blue_Jay"``.
        split: ``"train"`` or ``"test"``, CUB's own split (the course's test photos are its test split).

    Returns:
        ``{species folder name: [photo paths]}``, in the order of ``species``.
    """
    folder, split_file = _source(species)
    with open(folder / split_file, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["split"] == split]
    photos = {name: sorted(folder / r["filename"] for r in rows if r["filename"].startswith(name + "/"))
              for name in species}
    empty = [name for name, files in photos.items() if not files]
    if empty:
        raise ValueError(f"No {split} photos of {empty} in {folder}: check the species names (CUB folder names).")
    return {name: files[:per_species] for name, files in photos.items()}


def _source(species: list[str]) -> tuple[Path, str]:
    """The folder holding ``species`` and the name of its split file (mirror's cub100, else cut from the archive)."""
    mirror = config.data_mirror()
    if mirror and not config.is_url(mirror) and (Path(mirror) / MIRROR_FOLDER / MIRROR_SPLIT_FILE).is_file():
        folder = Path(mirror) / MIRROR_FOLDER
        if all((folder / name).is_dir() for name in species):
            return folder, MIRROR_SPLIT_FILE
    folder = config.data_dir() / "cub_species" / "-".join(sorted(s.split(".")[0] for s in species))
    if not (folder / SPLIT_FILE).is_file():
        ensure_writable(folder.parent)
        staging = folder.with_name(folder.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        prepare_from_archive(fetch_file("cub/CUB_200_2011.tgz"), staging, species)
        staging.replace(folder)
    return folder, SPLIT_FILE
