"""Photos of named CUB species (lesson 07's unknown-species test) from a folder mirror's cub100/."""
import pytest

from conftest import make_cub100_mirror

from course_utils.data import cub_species


@pytest.fixture
def cub100_mirror(tmp_path, monkeypatch):
    """A mirror folder with cub100/: two species, three train and three test photos each."""
    return make_cub100_mirror(tmp_path, monkeypatch, ("014.Indigo_Bunting", "046.Gadwall"), per_species=6, train=3)


def test_first_photos_of_each_species_in_the_split(cub100_mirror):
    photos = cub_species.cub_species_photos(["046.Gadwall", "014.Indigo_Bunting"], per_species=2)
    assert list(photos) == ["046.Gadwall", "014.Indigo_Bunting"]
    assert [p.name for p in photos["046.Gadwall"]] == ["Gadwall_0003.jpg", "Gadwall_0004.jpg"]
    train = cub_species.cub_species_photos(["014.Indigo_Bunting"], per_species=5, split="train")
    assert [p.name for p in train["014.Indigo_Bunting"]] == [f"Indigo_Bunting_{i:04d}.jpg" for i in range(3)]
    assert all(p.parent.parent == cub100_mirror for files in photos.values() for p in files)


def test_species_without_photos_is_named(cub100_mirror, monkeypatch):
    (cub100_mirror / "999.Dodo").mkdir()
    with pytest.raises(ValueError, match="999.Dodo"):
        cub_species.cub_species_photos(["046.Gadwall", "999.Dodo"], per_species=2)


def test_other_species_are_not_the_course_species():
    from course_utils.data.birds import BIRD_SPECIES

    assert len(cub_species.OTHER_SPECIES) == 10 and not set(cub_species.OTHER_SPECIES) & set(BIRD_SPECIES)
