"""Damaged and unusual images, as a learner's phone and the web deliver them, never crash or hang a run.

One folder laid out like a dataset holds every case: JPEGs cut at several lengths, an empty file, text
named ``.jpg``, a photo stored sideways with an EXIF orientation, 16-bit, palette-with-transparency, CMYK,
grayscale and transparent images, and two "decompression bombs" (huge dimensions in a tiny file). The scan
must list every bad file and keep every good one; the whole pipeline must then iterate to the end. That
runs in a subprocess under a timeout, so a hang fails the test instead of stalling CI.
"""
import io
import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFile

from course_utils import images

REPO = Path(__file__).resolve().parents[1]
PIPELINE_TIMEOUT_S = 240  # TensorFlow's import alone takes 6-60 s on a busy 2-core runner
RED, BLUE, GREEN = (255, 0, 0), (0, 0, 255), (0, 255, 0)


def noisy_jpeg(seed=0, size=(160, 120), **options) -> bytes:
    """A JPEG of random pixels: its compressed data fills the file, so any cut removes pixel data."""
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=90, **options)
    return buffer.getvalue()


def sideways_photo(path):
    """Upright: 30 wide x 48 tall, red top half, blue bottom half; stored turned, with EXIF orientation 6."""
    upright = Image.new("RGB", (30, 48), BLUE)
    upright.paste(RED, (0, 0, 30, 24))
    exif = Image.Exif()
    exif[images.EXIF_ORIENTATION] = 6  # "turn 90 degrees clockwise to view"
    upright.transpose(Image.Transpose.ROTATE_90).save(path, "JPEG", quality=95, exif=exif)


def sixteen_bit_png(path):
    """Left half 25700 (= 100 in 8 bits), right half 65535 (= 255)."""
    values = np.full((30, 40), 25700, dtype=np.uint16)
    values[:, 20:] = 65535
    Image.fromarray(values).save(path)


def palette_png_with_transparency(path):
    """Palette entry 0 (red) is transparent and fills the left half; entry 1 (green) is opaque."""
    image = Image.new("P", (40, 30), 0)
    image.putpalette([*RED, *GREEN] + [0] * 762)
    image.paste(1, (20, 0, 40, 30))
    image.save(path, transparency=0)


def png_header_only(width: int, height: int) -> bytes:
    """A valid PNG header claiming ``width x height`` pixels, with almost no data: a decompression bomb."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))


GOOD = {"crow/photo1.jpg", "crow/photo2.jpg", "crow/gray.png", "crow/cmyk.jpg", "crow/sixteen_bit.png",
        "robin/photo1.jpg", "robin/photo2.jpg", "robin/sideways.jpg", "robin/palette.png", "robin/clear.png"}
BAD = {  # file -> what the scan report must say
    "crow/cut_at_60_bytes.jpg": "damaged or cut short", "crow/cut_at_half.jpg": "damaged or cut short",
    "crow/cut_300_bytes_short.jpg": "damaged or cut short", "crow/cut_30_bytes_short.jpg": "damaged or cut short",
    "crow/progressive_cut_at_half.jpg": "damaged or cut short", "crow/empty.jpg": "empty file (0 bytes)",
    "robin/error_page.jpg": "not a readable image", "robin/bomb.png": "refused as a possible decompression bomb",
    "robin/just_over_limit.png": "refused as a possible decompression bomb",
}


def build_folder(root: Path) -> Path:
    """Every damaged and unusual case in a folder-per-class layout."""
    for name in ("crow", "robin"):
        (root / name).mkdir(parents=True)
        for k in (1, 2):
            (root / name / f"photo{k}.jpg").write_bytes(noisy_jpeg(seed=k + 10 * len(name)))
    Image.new("L", (40, 30), 77).save(root / "crow" / "gray.png")
    Image.new("CMYK", (40, 30), (0, 255, 255, 0)).save(root / "crow" / "cmyk.jpg", "JPEG")
    sixteen_bit_png(root / "crow" / "sixteen_bit.png")
    sideways_photo(root / "robin" / "sideways.jpg")
    palette_png_with_transparency(root / "robin" / "palette.png")
    Image.new("RGBA", (40, 30), (255, 0, 0, 0)).save(root / "robin" / "clear.png")
    whole, progressive = noisy_jpeg(seed=3), noisy_jpeg(seed=4, progressive=True)
    for name, data in {"cut_at_60_bytes": whole[:60], "cut_at_half": whole[: len(whole) // 2],
                       "cut_300_bytes_short": whole[:-300], "cut_30_bytes_short": whole[:-30],
                       "progressive_cut_at_half": progressive[: len(progressive) // 2], "empty": b""}.items():
        (root / "crow" / f"{name}.jpg").write_bytes(data)
    (root / "robin" / "error_page.jpg").write_text("<html><body>404 Not Found</body></html>")
    (root / "robin" / "bomb.png").write_bytes(png_header_only(30000, 30000))        # over twice the limit
    (root / "robin" / "just_over_limit.png").write_bytes(png_header_only(10000, 10000))  # over it: a warning
    return root


def relative(root: Path, paths) -> set[str]:
    return {Path(p).relative_to(root).as_posix() for p in paths}


@pytest.fixture
def folder(tmp_path):
    return build_folder(tmp_path / "photos")


# --- the scan -------------------------------------------------------------------------------------
def test_scan_keeps_every_good_file_and_reports_every_bad_one(folder):
    scan = images.scan_image_folder(folder)
    assert relative(folder, scan.files) == GOOD
    reasons = {path.relative_to(folder).as_posix(): reason for path, reason in scan.skipped}
    assert set(reasons) == set(BAD)
    for name, reason in BAD.items():
        assert reasons[name].startswith(reason), (name, reasons[name])
        assert f"Skipped {name}: {reason}" in scan.report()
    sixteen_bit = "I;16" if "I;16" in scan.converted else "I"  # Pillow 10.0 opens 16-bit PNGs as "I"
    assert scan.converted == {"CMYK": 1, sixteen_bit: 1, "L": 1, "P": 1, "RGBA": 1} and scan.rotated == 1


def test_truncated_files_are_refused_even_if_pillow_was_told_to_accept_them(folder, monkeypatch):
    """``ImageFile.LOAD_TRUNCATED_IMAGES = True`` is a popular web "fix"; it would fill the missing part with grey."""
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    scan = images.scan_image_folder(folder)
    assert "crow/cut_at_half.jpg" not in relative(folder, scan.files)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True, "the learner's own setting is restored"


def test_decompression_bomb_is_refused_with_a_clear_message(folder):
    for name in ("bomb.png", "just_over_limit.png"):
        with pytest.raises(images.NotAnImageError, match=f"{name} cannot be used: refused as a possible "
                                                         "decompression bomb .*pixels.* shrink it first"):
            images.load_image(folder / "robin" / name, 32)


# --- what the good files look like once loaded ------------------------------------------------------
def test_exif_rotated_photo_loads_upright(folder):
    image = images.open_rgb(folder / "robin" / "sideways.jpg")
    assert image.size == (30, 48), "turned to its upright shape"
    pixels = images.load_image(folder / "robin" / "sideways.jpg", (48, 30))
    np.testing.assert_allclose(pixels[:20].mean(axis=(0, 1)), RED, atol=12)
    np.testing.assert_allclose(pixels[-20:].mean(axis=(0, 1)), BLUE, atol=12)


@pytest.mark.parametrize("name, left, right", [
    ("crow/sixteen_bit.png", (100, 100, 100), (255, 255, 255)),  # scaled to 8 bits, not clipped at 255
    ("robin/palette.png", (255, 255, 255), GREEN),                # transparent entry shown on white
    ("crow/gray.png", (77, 77, 77), (77, 77, 77)),
    ("robin/clear.png", (255, 255, 255), (255, 255, 255)),
    ("crow/cmyk.jpg", RED, RED),
])
def test_unusual_modes_become_the_expected_rgb(folder, name, left, right):
    pixels = images.load_image(folder / name, (30, 40))  # the files' own size: no resampling
    assert pixels.shape == (30, 40, 3) and pixels.dtype == np.float32
    np.testing.assert_allclose(pixels[15, 5], left, atol=2)
    np.testing.assert_allclose(pixels[15, 35], right, atol=2)


# --- the whole pipeline, in a subprocess under a timeout -------------------------------------------
PIPELINE_SCRIPT = r"""
import json, sys
from pathlib import Path
import numpy as np
from course_utils import birds, images

root, out = Path(sys.argv[1]), {}
data = birds.load_bird_datasets(root, image_size=32, batch_size=3, val_fraction=0.25, seed=0, verbose=False)
out["split_sizes"] = {name: len(split) for name, split in data.splits.items()}
out["split_files"] = sorted(str(f) for split in data.splits.values() for f in split.files)
out["seen"] = {}
for name, ds in (("train", data.train_ds), ("val", data.val_ds), ("test", data.test_ds)):
    seen = 0
    for x, y in ds:
        assert x.shape[1:] == (32, 32, 3) and x.dtype == "float32", x.shape
        assert 0 <= float(x.numpy().min()) and float(x.numpy().max()) <= 255
        seen += int(y.shape[0])
    out["seen"][name] = seen

files, labels = data.splits["train"].files, data.splits["train"].labels
batches = list(images.make_image_dataset(files, labels, 32, 4))
out["same_as_load_image"] = bool(np.array_equal(np.concatenate([x.numpy() for x, _ in batches]),
                                                np.stack([images.load_image(f, 32) for f in files])))
sideways = next(iter(images.make_image_dataset([root / "robin" / "sideways.jpg"], [0], 32, 1)))[0].numpy()[0]
out["sideways_top"], out["sideways_bottom"] = sideways[:12].mean(axis=(0, 1)).tolist(), sideways[-12:].mean(axis=(0, 1)).tolist()

import keras  # the learner's path: fit, then stop early in the middle of an endless pipeline
model = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2)])
model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
out["fit_epochs"] = len(model.fit(data.train_ds, validation_data=data.val_ds, epochs=2, verbose=0).history["loss"])
for k, _ in enumerate(data.train_ds.repeat()):
    if k == 3:
        break

scan = images.scan_image_folder(root)
damaged, vanished = root / "robin" / "photo2.jpg", root / "crow" / "photo2.jpg"
for victim in (damaged, vanished):
    before = victim.read_bytes()
    if victim == damaged:
        victim.write_bytes(before[: len(before) // 2])
    else:
        victim.unlink()
    try:
        for _ in images.make_image_dataset(scan.files, scan.labels, 32, 4):
            pass
        out[victim.parent.name] = None
    except Exception as err:
        out[victim.parent.name] = {"type": type(err).__name__, "message": str(err)}
    victim.write_bytes(before)
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def pipeline_run(tmp_path_factory):
    """Run PIPELINE_SCRIPT on a fresh damaged folder; its JSON output, or a failure if it hangs or crashes."""
    root = build_folder(tmp_path_factory.mktemp("pipeline") / "photos")
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    try:
        done = subprocess.run([sys.executable, "-c", PIPELINE_SCRIPT, str(root)], capture_output=True, text=True,
                              timeout=PIPELINE_TIMEOUT_S, env=env, cwd=REPO)
    except subprocess.TimeoutExpired:
        pytest.fail(f"The pipeline did not finish within {PIPELINE_TIMEOUT_S} s: it hangs.")
    assert done.returncode == 0, done.stderr[-3000:]
    return root, json.loads(done.stdout.strip().splitlines()[-1])


def test_whole_pipeline_iterates_to_the_end_over_the_good_files(pipeline_run):
    root, out = pipeline_run
    assert relative(root, out["split_files"]) == GOOD
    assert out["seen"] == out["split_sizes"] and sum(out["seen"].values()) == len(GOOD)
    assert out["fit_epochs"] == 2


def test_pipeline_yields_exactly_what_load_image_reads(pipeline_run):
    _, out = pipeline_run
    assert out["same_as_load_image"]
    np.testing.assert_allclose(out["sideways_top"], RED, atol=12)
    np.testing.assert_allclose(out["sideways_bottom"], BLUE, atol=12)


@pytest.mark.parametrize("victim, what", [("robin", "damaged or cut short"), ("crow", "the file does not exist")])
def test_file_changed_after_the_scan_raises_an_error_naming_it(pipeline_run, victim, what):
    root, out = pipeline_run
    error = out[victim]
    assert error is not None, "a file damaged after the scan went unnoticed"
    assert error["type"] == "NotAnImageError"
    assert error["message"].startswith(f"{root / victim / 'photo2.jpg'} cannot be used: {what}")
    assert "changed or vanished since" in error["message"]
