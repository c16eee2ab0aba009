"""Image folders: what the damaged-image tests leave out, and preparing the bird subset from a (synthetic) CUB archive.

Damaged files, unusual modes and the whole pipeline are tested in tests/test_damaged_images.py."""
import io
import tarfile

import pytest
from PIL import Image

from course_utils import bird_sources, birds, fetch, images


def save(path, mode, size=(40, 30), fmt=None, color=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, color if color is not None else 128).save(path, fmt)
    return path


@pytest.fixture
def messy_folder(tmp_path):
    root = tmp_path / "photos"
    save(root / "crow" / "rgb.jpg", "RGB", color=(10, 20, 30))
    save(root / "crow" / "gray.png", "L")
    save(root / "crow" / "cmyk.jpg", "CMYK", color=(0, 255, 255, 0), fmt="JPEG")
    save(root / "robin" / "alpha.png", "RGBA", color=(255, 0, 0, 0))  # fully transparent red
    save(root / "robin" / "palette.gif", "P")
    (root / "robin" / "notes.txt").write_text("not an image")
    (root / "robin" / "fake.jpg").write_text("<html>error page saved as .jpg</html>")
    good = io.BytesIO()
    Image.new("RGB", (64, 64), (1, 2, 3)).save(good, "JPEG")
    (root / "robin" / "truncated.jpg").write_bytes(good.getvalue()[:60])
    (root / "empty_species").mkdir()
    return root


def test_scan_reports_files_that_are_not_images_and_class_folders_left_empty(messy_folder):
    """What tests/test_damaged_images.py does not cover: a text file beside the photos, an empty class folder."""
    scan = images.scan_image_folder(messy_folder)
    assert scan.class_names == ["crow", "robin"]
    assert "Skipped robin/notes.txt: not an image file" in scan.report()
    assert "Skipped empty_species: class folder has no usable images" in scan.report()


def test_non_image_is_rejected_clearly(messy_folder):
    with pytest.raises(images.NotAnImageError, match="not a readable image"):
        images.load_image(messy_folder / "robin" / "fake.jpg", 32)


def test_folder_with_one_class_is_an_error(tmp_path):
    save(tmp_path / "only" / "a.png", "RGB")
    with pytest.raises(images.ImageFolderError, match="at least 2"):
        images.scan_image_folder(tmp_path)
    with pytest.raises(images.ImageFolderError, match="not a folder"):
        images.scan_image_folder(tmp_path / "missing")


def test_learner_folder_becomes_disjoint_pipelines(messy_folder):
    data = birds.load_bird_datasets(messy_folder, image_size=16, batch_size=2, val_fraction=0.0, verbose=False)
    all_files = [f for split in data.splits.values() for f in split.files]
    assert len(all_files) == len(set(all_files)) == 5
    batch, labels = next(iter(data.train_ds))
    assert batch.shape[1:] == (16, 16, 3)


def fake_cub_archive(path, per_class=3):
    """A tiny archive laid out like CUB_200_2011.tgz, with 2 of the course species and one other."""
    classes = [birds.BIRD_SPECIES[0], "002.Laysan_Albatross", birds.BIRD_SPECIES[4]]
    lines, splits, boxes, members = [], [], [], {}
    for c in classes:
        for k in range(per_class):
            image_id = len(lines) + 1
            rel = f"{c}/{c.split('.')[1]}_{k:04d}_{image_id}.jpg"
            lines.append(f"{image_id} {rel}")
            splits.append(f"{image_id} {int(k < 2)}")
            boxes.append(f"{image_id} 10.0 20.0 50.0 30.0")
            buffer = io.BytesIO()
            Image.new("RGB", (120, 90), (image_id * 20, 0, 0)).save(buffer, "JPEG")
            members[f"CUB_200_2011/images/{rel}"] = buffer.getvalue()
    members["CUB_200_2011/images.txt"] = "\n".join(lines).encode()
    members["CUB_200_2011/train_test_split.txt"] = "\n".join(splits).encode()
    members["CUB_200_2011/bounding_boxes.txt"] = "\n".join(boxes).encode()
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_prepare_subset_from_cub_archive(tmp_path):
    archive = fake_cub_archive(tmp_path / "CUB_200_2011.tgz")
    out = tmp_path / "birds"
    bird_sources.prepare_from_archive(archive, out, [birds.BIRD_SPECIES[0], birds.BIRD_SPECIES[4]])
    split = (out / birds.SPLIT_FILE).read_text().splitlines()
    assert split[0] == "filename,species,split" and len(split) == 1 + 6
    assert "001.Black_footed_Albatross/Black_footed_Albatross_0000.jpg,001.Black_footed_Albatross,train" in split
    assert split[3].endswith(",test")
    assert not (out / "002.Laysan_Albatross").exists()
    with Image.open(out / "073.Blue_Jay" / "Blue_Jay_0002.jpg") as im:
        assert im.size == (birds.PREPARED_SIZE, birds.PREPARED_SIZE) and im.mode == "RGB"
    data = birds.load_bird_datasets(out, image_size=16, val_fraction=0.5, verbose=False)
    assert len(data.splits["test"]) == 2 and len(data.splits["train"]) + len(data.splits["val"]) == 4


def test_archive_without_the_species_is_refused(tmp_path):
    archive = fake_cub_archive(tmp_path / "CUB_200_2011.tgz")
    with pytest.raises(ValueError, match="no images for"):
        bird_sources.prepare_from_archive(archive, tmp_path / "out", ["999.Dodo"])


def test_fetch_birds_from_archive_in_mirror(course_env, monkeypatch, tmp_path):
    """The learner's path: the archive (here from a mirror) is verified, then the subset is prepared."""
    import hashlib

    from course_utils import registry
    from course_utils.data.registry import RemoteFile

    mirror = tmp_path / "mirror"
    (mirror / "cub").mkdir(parents=True)
    archive = fake_cub_archive(mirror / "cub" / "CUB_200_2011.tgz")
    digest = hashlib.md5(archive.read_bytes()).hexdigest()
    original = registry.REGISTRY["cub/CUB_200_2011.tgz"]
    monkeypatch.setitem(registry.REGISTRY, original.key, RemoteFile(original.key, original.url, f"md5:{digest}",
                                                                    archive.stat().st_size, original.dataset))
    monkeypatch.setattr(birds, "BIRD_SPECIES", [birds.BIRD_SPECIES[0], birds.BIRD_SPECIES[4]])
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    folder = birds.fetch_birds()
    assert folder == birds.birds_dir() and (folder / ".complete").exists()
    assert len(list(folder.rglob("*.jpg"))) == 6
    assert fetch.file_status("cub/CUB_200_2011.tgz") == "verified"


def test_failed_preparation_leaves_nothing_behind(course_env, monkeypatch, tmp_path):
    import hashlib

    from course_utils import registry
    from course_utils.data.registry import RemoteFile

    mirror = tmp_path / "mirror"
    (mirror / "cub").mkdir(parents=True)
    archive = fake_cub_archive(mirror / "cub" / "CUB_200_2011.tgz")
    original = registry.REGISTRY["cub/CUB_200_2011.tgz"]
    digest = hashlib.md5(archive.read_bytes()).hexdigest()
    monkeypatch.setitem(registry.REGISTRY, original.key, RemoteFile(original.key, original.url, f"md5:{digest}",
                                                                    archive.stat().st_size, original.dataset))
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    with pytest.raises(ValueError, match="no images for"):  # 8 of the 10 course species are not in the fake
        birds.fetch_birds()
    assert not birds.birds_dir().exists()
    assert not list(birds.birds_dir().parent.glob("birds.partial-*"))
