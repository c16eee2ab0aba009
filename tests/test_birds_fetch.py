"""Preparing the bird folder from mirrors (folder and URL), re-checking it before use, cleaning up after crashes.

A small fake "prepared birds" set (2 species, a few photos, its own checksum list) stands in for the 598
photos, so every path runs in a second; the shared mirror's real birds are exercised by test_datasets.py.
"""
import csv
import hashlib
import io
import json
import logging
import os
import time

import pytest
from PIL import Image

from course_utils import bird_sources, birds, registry
from course_utils.data.fetch import DataUnavailableError
from course_utils.data.registry import RemoteFile
from test_images import fake_cub_archive

SPECIES = [birds.BIRD_SPECIES[0], birds.BIRD_SPECIES[4]]


def photo_bytes(shade: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (shade, 40, 90)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def bird_set(tmp_path, monkeypatch):
    """Files of a prepared bird set ``{relative path: bytes}``, registered as the course's checksum list."""
    files, rows = {}, [("filename", "species", "split")]
    for species in SPECIES:
        for k in range(10):
            relpath = f"{species}/{species.split('.', 1)[1]}_{k:04d}.jpg"
            files[relpath] = photo_bytes(20 * k + len(files))
            rows.append((relpath, species, "train" if k < 7 else "test"))
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    files[birds.SPLIT_FILE] = text.getvalue().encode()
    listing = tmp_path / "birds_sha256.txt"
    listing.write_text("".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(files.items())))
    monkeypatch.setattr(bird_sources, "CHECKSUMS", listing)
    return files


def write_birds(root, files, leave_out=()):
    for name, data in files.items():
        if name not in leave_out:
            (root / "birds" / name).parent.mkdir(parents=True, exist_ok=True)
            (root / "birds" / name).write_bytes(data)
    return root


@pytest.fixture
def folder_mirror(course_env, bird_set, tmp_path, monkeypatch):
    mirror = write_birds(tmp_path / "mirror", bird_set)
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    return mirror


def register_archive(monkeypatch, archive, url=None):
    """Point the registry's CUB entry at a fake archive's checksum (and optionally another origin URL)."""
    original = registry.REGISTRY["cub/CUB_200_2011.tgz"]
    digest = hashlib.md5(archive.read_bytes()).hexdigest()
    monkeypatch.setitem(registry.REGISTRY, original.key, RemoteFile(
        original.key, url or original.url, f"md5:{digest}", archive.stat().st_size, original.dataset))


# --- URL mirrors --------------------------------------------------------------------------------
def test_url_mirror_without_birds_falls_back_to_the_archive(course_env, web_server, monkeypatch, capsys):
    root, url = web_server
    (root / "cub").mkdir()
    register_archive(monkeypatch, fake_cub_archive(root / "cub" / "CUB_200_2011.tgz"))
    monkeypatch.setattr(birds, "BIRD_SPECIES", SPECIES)
    monkeypatch.setenv("COURSE_DATA_MIRROR", url)
    folder = birds.fetch_birds(progress=False)
    assert f"The mirror {url} has no prepared birds" in capsys.readouterr().out
    assert json.loads((folder / ".complete").read_text())["source"] == "CUB-200-2011 archive"
    assert len(list(folder.glob("*/*.jpg"))) == 6 and birds.prepared_birds_problem(folder) is None


def test_url_mirror_without_birds_or_archive_says_what_to_do(course_env, web_server, tmp_path, monkeypatch):
    root, url = web_server
    register_archive(monkeypatch, fake_cub_archive(tmp_path / "CUB_200_2011.tgz"),
                     url="http://127.0.0.1:9/CUB_200_2011.tgz")  # the origin: a closed local port
    monkeypatch.setenv("COURSE_DATA_MIRROR", url)
    with pytest.raises(DataUnavailableError) as info:
        birds.fetch_birds(progress=False)
    message = str(info.value)
    assert message.startswith("Could not obtain cub/CUB_200_2011.tgz.")
    assert f"{url}cub/CUB_200_2011.tgz: HTTPError (404)" in message and "Fix:" in message
    assert not birds.birds_dir().exists()


def test_url_mirror_missing_one_photo_names_it(course_env, web_server, bird_set, monkeypatch):
    root, url = web_server
    gap = f"{SPECIES[1]}/{SPECIES[1].split('.', 1)[1]}_0003.jpg"
    write_birds(root, bird_set, leave_out={gap})
    monkeypatch.setenv("COURSE_DATA_MIRROR", url)
    with pytest.raises(DataUnavailableError) as info:
        birds.fetch_birds(progress=False)
    message = str(info.value)
    assert message.startswith(f"Could not obtain birds/{gap} from the mirror.")
    assert f"Tried: {url}birds/{gap}: HTTPError (404)" in message and "Fix: complete the mirror's birds/" in message
    assert not birds.birds_dir().exists() and not list(birds.birds_dir().parent.glob("birds.partial-*"))


class Records(logging.Handler):
    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def test_url_mirror_download_shows_one_bar_and_no_line_per_file(course_env, web_server, bird_set, monkeypatch,
                                                                 capsys):
    import pooch

    root, url = web_server
    write_birds(root, bird_set)
    monkeypatch.setenv("COURSE_DATA_MIRROR", url)
    records = Records()
    pooch.get_logger().addHandler(records)
    try:
        folder = birds.fetch_birds(progress=True)
    finally:
        pooch.get_logger().removeHandler(records)
    err = capsys.readouterr().err
    photos = len(bird_set) - 1
    assert records.messages == [], "pooch logged a line per file"
    assert "Downloading data from" not in err
    assert err.count(f"{photos}/{photos}") >= 1 and err.count("birds (mirror)") >= 1
    assert {bar.split(":")[0].strip() for bar in err.replace("\r", "\n").splitlines() if bar.strip()} == {"birds (mirror)"}
    assert birds.prepared_birds_problem(folder) is None and (folder / SPECIES[0]).is_dir()


def test_folder_mirror_missing_one_photo_names_it(course_env, bird_set, tmp_path, monkeypatch):
    gap = f"{SPECIES[0]}/{SPECIES[0].split('.', 1)[1]}_0005.jpg"
    mirror = write_birds(tmp_path / "mirror", bird_set, leave_out={gap})
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    with pytest.raises(DataUnavailableError, match=f"Could not obtain birds/{gap} from the mirror"):
        birds.fetch_birds(progress=False)


@pytest.mark.parametrize("mirror_holds", ["mnist only", "no mirror"])
def test_without_from_origin_the_archive_is_never_downloaded(course_env, tmp_path, monkeypatch, capsys, mirror_holds):
    """Lesson 00's default (DOWNLOAD_CUB_ARCHIVE = False): a mirror with neither birds/ nor cub/ (a USB stick with MNIST
    only), or no mirror, must not start the 1.15 GB download; fetch_birds says it could not obtain the archive."""
    register_archive(monkeypatch, fake_cub_archive(tmp_path / "CUB_200_2011.tgz"),
                     url="http://127.0.0.1:9/CUB_200_2011.tgz")  # the origin: a closed local port
    monkeypatch.setattr(bird_sources, "_download", lambda *args, **kwargs: pytest.fail("downloaded"))
    if mirror_holds == "mnist only":
        (tmp_path / "usb" / "mnist").mkdir(parents=True)
        monkeypatch.setenv("COURSE_DATA_MIRROR", str(tmp_path / "usb"))
    from course_utils.data import fetch

    monkeypatch.setattr(fetch, "_download", lambda *args, **kwargs: pytest.fail("downloaded"))
    with pytest.raises(DataUnavailableError, match="Could not obtain cub/CUB_200_2011.tgz"):
        birds.fetch_birds(progress=False, from_origin=False)
    assert "trying the origin" not in capsys.readouterr().out
    assert not birds.birds_dir().exists()


def test_without_from_origin_a_mirror_archive_is_still_used(course_env, tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    (mirror / "cub").mkdir(parents=True)
    register_archive(monkeypatch, fake_cub_archive(mirror / "cub" / "CUB_200_2011.tgz"))
    monkeypatch.setattr(birds, "BIRD_SPECIES", SPECIES)
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    folder = birds.fetch_birds(progress=False, from_origin=False)
    assert birds.prepared_birds_problem(folder) is None


# --- re-checking a prepared folder before use -----------------------------------------------------
def damage_missing_photo(folder):
    next(folder.glob("*/*.jpg")).unlink()


def damage_split_file(folder):
    split = folder / birds.SPLIT_FILE
    split.write_text(split.read_text().replace(",test", ",train", 1))  # a test photo moved into training


def damage_extra_photo(folder):
    (folder / SPECIES[0] / "stray.jpg").write_bytes(photo_bytes(7))


def damage_old_marker(folder):
    (folder / ".complete").write_text(json.dumps({"source": "an older course version"}))


def damage_half_finished(folder):
    (folder / ".complete").unlink()


@pytest.mark.parametrize("damage, problem", [
    (damage_missing_photo, "lack 1 of their photos"),
    (damage_split_file, "have a missing or changed birds_split.csv"),
    (damage_extra_photo, "hold 21 photos where 20 were prepared"),
    (damage_old_marker, "were prepared by an older version"),
    (damage_half_finished, "are missing or were never completed"),
])
def test_damaged_prepared_folder_is_detected_and_prepared_again(folder_mirror, bird_set, damage, problem, capsys):
    folder = birds.fetch_birds(progress=False)
    assert birds.prepared_birds_problem(folder) is None
    damage(folder)
    assert problem in birds.prepared_birds_problem(folder)
    capsys.readouterr()
    assert birds.fetch_birds(progress=False) == folder
    assert f"{problem}" in capsys.readouterr().out
    assert birds.prepared_birds_problem(folder) is None
    assert {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
            and p.name != ".complete"} == bird_set


def test_intact_prepared_folder_is_used_as_it_is(folder_mirror, monkeypatch):
    folder = birds.fetch_birds(progress=False)
    monkeypatch.setattr(bird_sources, "prepare_into", lambda *args: pytest.fail("prepared again"))
    assert birds.fetch_birds(progress=False) == folder


# --- staging folders left by interrupted runs ---------------------------------------------------
def test_stale_staging_folders_are_removed(folder_mirror):
    cache = birds.birds_dir().parent
    cache.mkdir(parents=True)
    dead = cache / "birds.partial-999999999"      # above Linux's largest process id: no such process
    old = cache / f"birds.partial-{os.getppid()}"  # a live process, but older than any preparation takes
    odd = cache / "birds.partial-copy"            # no process id at all
    for folder in (dead, old, odd):
        (folder / SPECIES[0]).mkdir(parents=True)
        (folder / SPECIES[0] / "half.jpg").write_bytes(b"\xff\xd8")
    long_ago = time.time() - birds.STALE_AFTER_S - 60
    os.utime(old, (long_ago, long_ago))
    birds.fetch_birds(progress=False)
    assert not dead.exists() and not old.exists() and not odd.exists()


def test_a_running_preparation_is_left_alone(folder_mirror):
    cache = birds.birds_dir().parent
    running = cache / f"birds.partial-{os.getppid()}"  # pytest's parent process is alive and started it now
    running.mkdir(parents=True)
    birds.fetch_birds(progress=False)
    assert running.is_dir()
    birds.fetch_birds(progress=False)  # also when the folder is already prepared
    assert running.is_dir()
