"""Photos of CUB-200-2011 species by name, for lesson 7's "unknown species" test.

The classifier of lesson 7 knows 10 species; to measure what it does with a bird it was
never taught, it needs photos of other species, prepared the same way as photos of the
known ones. :func:`cub_species_photos` takes them from one source for both:

* the mirror's ``cub100/`` folder (100 CUB species, 227 px crops, ``cub100_split.csv``) when
  ``COURSE_DATA_MIRROR`` is a folder that has it;
* otherwise the CUB-200-2011 archive (the one the 10-species subset is cut from; fetched and
  verified like every download), cut into ``<COURSE_DATA_DIR>/cub_species/`` once.

It also names lesson 7's **source species** (:data:`SOURCE_SPECIES`): 80 CUB species that are
neither among the course's 10 nor among the 10 unknown species, on which a small CNN is
pretrained before it is transferred to the 10 (:mod:`course_utils.lessons.bird_source`).

Both ways give the same photos (the same CUB images, with CUB's own train/test split) as
227x227 square crops, but not the same pixels: the mirror's ``cub100/`` holds the crops of the
public 100-species subset it was copied from, while the archive path crops each photo itself
(CUB's bounding box plus a 15% margin, :func:`.bird_sources.prepare_from_archive`). A model
pretrained from one way is therefore not bit-for-bit the model pretrained from the other; the
cache key of the source model includes the photos' contents, so it never mixes them.
"""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

from .. import config
from .bird_sources import SPLIT_FILE, prepare_from_archive
from .fetch import ensure_writable, fetch_file

MIRROR_FOLDER, MIRROR_SPLIT_FILE = "cub100", "cub100_split.csv"

# Ten species outside the course's 10. Three share a genus with a known species (NEAR_RELATIVES);
# six more share only a family with one (Green Jay and Blue Jay: Corvidae; Red-bellied and Pileated
# Woodpecker: Picidae; Anna's and Ruby-throated Hummingbird: Trochilidae; European and American
# Goldfinch: Fringillidae, genera Carduelis and Spinus; Gadwall and Mallard: Anatidae; Scarlet Tanager
# and Painted Bunting: Cardinalidae); Western Grebe has no relative among the 10 in its family.
OTHER_SPECIES = [
    "185.Bohemian_Waxwing", "075.Green_Jay", "189.Red_bellied_Woodpecker", "067.Anna_Hummingbird",
    "048.European_Goldfinch", "014.Indigo_Bunting", "046.Gadwall", "101.White_Pelican",
    "053.Western_Grebe", "139.Scarlet_Tanager",
]
# Unknown species of the same genus as one of the course's 10: {unknown: (known, genus)}.
NEAR_RELATIVES = {
    "185.Bohemian_Waxwing": ("186.Cedar_Waxwing", "Bombycilla"),
    "014.Indigo_Bunting": ("016.Painted_Bunting", "Passerina"),
    "101.White_Pelican": ("100.Brown_Pelican", "Pelecanus"),
}

# Lesson 7's source task: the 100 species of the mirror's cub100/ (all in the CUB-200-2011 archive) minus
# the course's 10 (birds.BIRD_SPECIES) and the 10 unknown species (OTHER_SPECIES). A fixed list, the same
# for every learner; tests/test_bird_source.py proves it shares no species and no photo with those 20.
SOURCE_SPECIES = [
    "004.Groove_billed_Ani", "007.Parakeet_Auklet", "010.Red_winged_Blackbird", "012.Yellow_headed_Blackbird",
    "013.Bobolink", "015.Lazuli_Bunting", "018.Spotted_Catbird", "019.Gray_Catbird", "022.Chuck_will_Widow",
    "024.Red_faced_Cormorant", "026.Bronzed_Cowbird", "028.Brown_Creeper", "034.Gray_crowned_Rosy_Finch",
    "035.Purple_Finch", "041.Scissor_tailed_Flycatcher", "042.Vermilion_Flycatcher", "050.Eared_Grebe",
    "051.Horned_Grebe", "052.Pied_billed_Grebe", "054.Blue_Grosbeak", "055.Evening_Grosbeak", "056.Pine_Grosbeak",
    "057.Rose_breasted_Grosbeak", "058.Pigeon_Guillemot", "060.Glaucous_winged_Gull", "061.Heermann_Gull",
    "063.Ivory_Gull", "069.Rufous_Hummingbird", "070.Green_Violetear", "077.Tropical_Kingbird",
    "079.Belted_Kingfisher", "080.Green_Kingfisher", "081.Pied_Kingfisher", "083.White_breasted_Kingfisher",
    "085.Horned_Lark", "086.Pacific_Loon", "088.Western_Meadowlark", "089.Hooded_Merganser",
    "090.Red_breasted_Merganser", "093.Clark_Nutcracker", "094.White_breasted_Nuthatch", "095.Baltimore_Oriole",
    "096.Hooded_Oriole", "097.Orchard_Oriole", "098.Scott_Oriole", "105.Whip_poor_Will", "109.American_Redstart",
    "110.Geococcyx", "114.Black_throated_Sparrow", "120.Fox_Sparrow", "123.Henslow_Sparrow", "124.Le_Conte_Sparrow",
    "132.White_crowned_Sparrow", "134.Cape_Glossy_Starling", "136.Barn_Swallow", "138.Tree_Swallow",
    "140.Summer_Tanager", "151.Black_capped_Vireo", "152.Blue_headed_Vireo", "158.Bay_breasted_Warbler",
    "159.Black_and_white_Warbler", "163.Cape_May_Warbler", "164.Cerulean_Warbler", "165.Chestnut_sided_Warbler",
    "166.Golden_winged_Warbler", "169.Magnolia_Warbler", "170.Mourning_Warbler", "172.Nashville_Warbler",
    "176.Prairie_Warbler", "180.Wilson_Warbler", "181.Worm_eating_Warbler", "184.Louisiana_Waterthrush",
    "187.American_Three_toed_Woodpecker", "190.Red_cockaded_Woodpecker", "191.Red_headed_Woodpecker",
    "192.Downy_Woodpecker", "194.Cactus_Wren", "195.Carolina_Wren", "198.Rock_Wren", "200.Common_Yellowthroat",
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


def all_species_photos(species: list[str]) -> dict[str, list[tuple[Path, str]]]:
    """Every photo of each of ``species`` with its CUB split: ``{species: [(path, "train"|"test"), ...]}``.

    From the same source as :func:`cub_species_photos` (the mirror's ``cub100/``, else the archive),
    sorted by file name within each species.
    """
    folder, split_file = _source(species)
    with open(folder / split_file, newline="") as f:
        rows = list(csv.DictReader(f))
    photos = {name: sorted((folder / r["filename"], r["split"]) for r in rows if r["filename"].startswith(name + "/"))
              for name in species}
    empty = [name for name, files in photos.items() if not files]
    if empty:
        raise ValueError(f"No photos of {empty} in {folder}: check the species names (CUB folder names).")
    return photos


def source_folder_name(species: list[str]) -> str:
    """The cache folder's name for photos of ``species`` cut from the archive (ids joined; hashed when long)."""
    ids = sorted(s.split(".")[0] for s in species)
    if len(ids) <= 12:
        return "-".join(ids)
    from ..caching import stable_key

    return f"{len(ids)}-species-{stable_key(ids, 12)}"


def _source(species: list[str]) -> tuple[Path, str]:
    """The folder holding ``species`` and the name of its split file (mirror's cub100, else cut from the archive)."""
    mirror = config.data_mirror()
    if mirror and not config.is_url(mirror) and (Path(mirror) / MIRROR_FOLDER / MIRROR_SPLIT_FILE).is_file():
        folder = Path(mirror) / MIRROR_FOLDER
        if all((folder / name).is_dir() for name in species):
            return folder, MIRROR_SPLIT_FILE
    folder = config.data_dir() / "cub_species" / source_folder_name(species)
    if not (folder / SPLIT_FILE).is_file():
        ensure_writable(folder.parent)
        staging = folder.with_name(folder.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        prepare_from_archive(fetch_file("cub/CUB_200_2011.tgz"), staging, species)
        staging.replace(folder)
    return folder, SPLIT_FILE
