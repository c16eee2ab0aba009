"""Backbones: one table, built exactly as keras.applications builds them for ImageNet weights.

The ImageNet weight files cannot be downloaded here (no internet in CI), so the tests that load
"ImageNet" weights use a stand-in: the random weights of a ``weights=None`` model of the same
architecture, written in Keras' legacy ``.h5`` layout under Keras' own file name. Two checksums
then have to be faked, and only those: the course registry's entry is set to the stand-in's MD5,
and Keras' ``validate_file`` accepts the stand-in only when Keras asks for the hash it pins for the
real file (so a wrong file name or a Keras that looks elsewhere still fails). Keras' downloader is
replaced by a failure: any attempt to download fails the test.
"""
from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import h5py
import keras
import numpy as np
import pytest
from keras.src.backend import config as keras_config
from keras.src.legacy.saving import legacy_h5_format
from keras.src.models.model import Model
from keras.src.utils import file_utils

from course_utils import backbones, fetch, registry, status, weights
from course_utils.data.registry import BACKBONES

SIZE = 32  # the smallest input every backbone accepts: the graph is the same at any size
NAMES = sorted(BACKBONES)


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    """An empty Keras home for this test, and a Keras that must not download anything."""
    monkeypatch.setattr(keras_config, "_KERAS_DIR", str(tmp_path / "keras-home"))

    def no_download(url, *args, **kwargs):
        raise AssertionError(f"Keras tried to download {url}: the course should have placed the file")

    monkeypatch.setattr(file_utils, "urlretrieve", no_download)
    return tmp_path / "keras-home"


@pytest.fixture
def offline(monkeypatch):
    """Every HTTP request goes to a closed local port, so nothing is downloaded."""
    for variable in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(variable, "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)


def keras_constructor(name: str):
    return getattr(keras.applications, BACKBONES[name].constructor)


def write_stand_in_weights(name: str, folder: Path, seed: int = 7) -> Path:
    """Random weights of a ``weights=None`` model, saved like Keras' ImageNet file (legacy .h5, by layer)."""
    keras.utils.set_random_seed(seed)
    model = keras_constructor(name)(include_top=False, weights=None, input_shape=(SIZE, SIZE, 3))
    path = folder / BACKBONES[name].weights_file
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, model)
    return path


def accept_stand_in(name: str, stand_in: Path, monkeypatch) -> None:
    """Fake the two checksums (the registry's and Keras'), for this stand-in file only."""
    spec = BACKBONES[name]
    md5 = hashlib.md5(stand_in.read_bytes()).hexdigest()
    entry = registry.REGISTRY[spec.weights_key]
    monkeypatch.setitem(registry.REGISTRY, spec.weights_key, replace(entry, known_hash=f"md5:{md5}"))
    real_validate = file_utils.validate_file

    def validate(fpath, file_hash, algorithm="auto", chunk_size=65535):
        return file_hash == spec.weights_md5 and real_validate(fpath, md5, algorithm="md5")

    monkeypatch.setattr(file_utils, "validate_file", validate)


def keras_reference(name: str):
    """``keras.applications.X(weights="imagenet", include_top=False)``, built on a fresh name counter."""
    keras.backend.clear_session(free_memory=False)
    return keras_constructor(name)(include_top=False, weights="imagenet", input_shape=(SIZE, SIZE, 3))


def layer_signature(model) -> list[tuple[str, str]]:
    """Every layer's name and class, in order."""
    return [(layer.name, type(layer).__name__) for layer in model.layers]


def same_weights(model_a, model_b) -> bool:
    a, b = model_a.get_weights(), model_b.get_weights()
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


def outputs(model) -> np.ndarray:
    """The model's output (inference mode) for two fixed random images with values 0-255."""
    images = np.random.default_rng(0).uniform(0, 255, (2, SIZE, SIZE, 3)).astype("float32")
    return np.asarray(model(images, training=False))


# --- the table ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_table_row_is_what_keras_applications_downloads(name, monkeypatch):
    """File name, URL and MD5 in the table are the ones the installed Keras uses for ImageNet, no top."""
    asked = {}

    class Asked(Exception):
        pass

    def record(*args, **kwargs):
        asked.update(fname=kwargs.get("fname", args[0]), origin=kwargs.get("origin", args[1]),
                     file_hash=kwargs.get("file_hash"))
        raise Asked

    monkeypatch.setattr(file_utils, "get_file", record)
    with pytest.raises(Asked):
        keras_constructor(name)(include_top=False, weights="imagenet", input_shape=(SIZE, SIZE, 3))
    spec = BACKBONES[name]
    assert asked == {"fname": spec.weights_file, "origin": spec.weights_url, "file_hash": spec.weights_md5}
    assert registry.REGISTRY[spec.weights_key].known_hash == f"md5:{spec.weights_md5}"


def test_unknown_backbone_lists_the_known_names(keras_home):
    for call in (backbones.get_backbone, weights.fetch_imagenet_weights, backbones.resolve_weights):
        with pytest.raises(KeyError) as info:
            call("mobilenetv2")
        message = str(info.value)
        assert "Unknown backbone 'mobilenetv2'" in message and "Did you mean 'mobilenetv3small'" in message
        assert all(name in message for name in NAMES)


# --- built exactly as Keras builds it -------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_pretrained_backbone_is_keras_own_imagenet_model(name, course_env, keras_home, monkeypatch, tmp_path):
    """Weights from the mirror, verified, placed in Keras' cache; the same layers and outputs as Keras'."""
    mirror = tmp_path / "mirror"
    stand_in = write_stand_in_weights(name, mirror / "keras")
    accept_stand_in(name, stand_in, monkeypatch)
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))

    choice = backbones.resolve_weights(name, progress=False)
    assert choice.pretrained and choice.path == weights.keras_models_dir() / BACKBONES[name].weights_file
    keras.backend.clear_session(free_memory=False)
    ours = backbones.get_backbone(name).build(SIZE, pretrained=True)
    ours_layers, ours_output = layer_signature(ours), outputs(ours)
    reference = keras_reference(name)

    assert ours_layers == layer_signature(reference)
    np.testing.assert_allclose(ours_output, outputs(reference), rtol=1e-5, atol=1e-5)
    assert same_weights(ours, reference)


def test_efficientnet_gets_its_imagenet_input_scaling(course_env, keras_home, monkeypatch, tmp_path):
    """The bug this design prevents: with a file path as ``weights=``, Keras leaves out a Rescaling layer."""
    stand_in = write_stand_in_weights("efficientnetb0", tmp_path / "mirror" / "keras")
    accept_stand_in("efficientnetb0", stand_in, monkeypatch)
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(tmp_path / "mirror"))
    ours = backbones.get_backbone("efficientnetb0").build(SIZE, pretrained=True)
    from_path = keras.applications.EfficientNetB0(include_top=False, weights=str(stand_in), input_shape=(SIZE, SIZE, 3))
    stem = [type(layer).__name__ for layer in ours.layers[1:4]]
    assert stem == ["Rescaling", "Normalization", "Rescaling"]
    assert [type(layer).__name__ for layer in from_path.layers[1:4]] == ["Rescaling", "Normalization", "ZeroPadding2D"]


@pytest.mark.parametrize("name", NAMES)
def test_random_weights_override_builds_the_same_architecture(name, course_env, keras_home, offline,
                                                              monkeypatch, tmp_path):
    """COURSE_ALLOW_RANDOM_WEIGHTS=1 without weights: Keras' ImageNet graph, randomly initialised."""
    monkeypatch.setenv(backbones.RANDOM_WEIGHTS_ENV, "1")
    choice = backbones.resolve_weights(name, progress=False)
    assert not choice.pretrained and choice.path is None
    keras.backend.clear_session(free_memory=False)
    ours = backbones.get_backbone(name).build(SIZE, pretrained=choice.pretrained)
    ours_layers, ours_weights = layer_signature(ours), ours.get_weights()
    assert file_utils.get_file.__module__ == "keras.src.utils.file_utils", "Keras' loader must be restored"
    assert Model.load_weights.__qualname__ == "Model.load_weights"

    stand_in = write_stand_in_weights(name, weights.keras_models_dir(), seed=8)
    accept_stand_in(name, stand_in, monkeypatch)
    reference = keras_reference(name)
    assert ours_layers == layer_signature(reference)
    assert not all(np.array_equal(a, b) for a, b in zip(ours_weights, reference.get_weights()))


# --- where the weights come from ----------------------------------------------------------------
def test_full_profile_without_weights_is_an_error(course_env, keras_home, offline, monkeypatch):
    monkeypatch.delenv(backbones.RANDOM_WEIGHTS_ENV, raising=False)
    with pytest.raises(fetch.DataUnavailableError, match=backbones.RANDOM_WEIGHTS_ENV):
        backbones.resolve_weights("resnet50")


@pytest.mark.parametrize("env", [{"COURSE_PROFILE": "smoke"}, {backbones.RANDOM_WEIGHTS_ENV: "1"}])
def test_smoke_or_override_falls_back_to_random_weights(course_env, keras_home, offline, monkeypatch, env):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    choice = backbones.resolve_weights("resnet50")
    assert choice.path is None and not choice.pretrained
    assert "NOT meaningful" in backbones.random_weights_banner(choice)


def test_available_weights_are_used_in_the_full_profile(course_env, keras_home, monkeypatch, tmp_path):
    stand_in = write_stand_in_weights("mobilenetv3small", tmp_path / "mirror" / "keras")
    accept_stand_in("mobilenetv3small", stand_in, monkeypatch)
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(tmp_path / "mirror"))
    choice = backbones.resolve_weights("MobileNetV3Small")
    assert choice.pretrained and choice.path == weights.keras_models_dir() / stand_in.name
    assert backbones.random_weights_banner(choice) == ""


def test_smoke_profile_never_downloads_weights(course_env, keras_home, monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    monkeypatch.setattr(fetch, "_download", lambda *args, **kwargs: pytest.fail("smoke must not download"))
    choice = backbones.resolve_weights("resnet50")
    assert not choice.pretrained and "smoke profile, which does not download them" in choice.note


def test_smoke_profile_uses_weights_from_the_mirror(course_env, keras_home, monkeypatch, tmp_path):
    stand_in = write_stand_in_weights("mobilenetv3small", tmp_path / "mirror" / "keras")
    accept_stand_in("mobilenetv3small", stand_in, monkeypatch)
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(tmp_path / "mirror"))
    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    choice = backbones.resolve_weights("mobilenetv3small")
    assert choice.pretrained and choice.path.read_bytes() == stand_in.read_bytes()


def test_verified_file_in_keras_cache_is_used_as_is(course_env, keras_home, monkeypatch):
    monkeypatch.setattr(fetch, "fetch_file", lambda *args, **kwargs: pytest.fail("no fetch needed"))
    stand_in = write_stand_in_weights("mobilenetv3small", weights.keras_models_dir())
    accept_stand_in("mobilenetv3small", stand_in, monkeypatch)
    assert weights.fetch_imagenet_weights("mobilenetv3small") == stand_in


def test_corrupt_file_in_keras_cache_is_replaced(course_env, keras_home, monkeypatch, tmp_path):
    stand_in = write_stand_in_weights("mobilenetv3small", tmp_path / "mirror" / "keras")
    accept_stand_in("mobilenetv3small", stand_in, monkeypatch)
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(tmp_path / "mirror"))
    in_keras_cache = weights.keras_models_dir() / stand_in.name
    in_keras_cache.parent.mkdir(parents=True)
    in_keras_cache.write_bytes(stand_in.read_bytes()[:1000])
    assert weights.fetch_imagenet_weights("mobilenetv3small").read_bytes() == stand_in.read_bytes()


def test_missing_weights_say_where_to_put_them(course_env, keras_home, offline):
    with pytest.raises(fetch.DataUnavailableError) as info:
        weights.fetch_imagenet_weights("vgg16")
    message = str(info.value)
    assert BACKBONES["vgg16"].weights_file in message and str(weights.keras_models_dir()) in message
    assert "mirror folder as keras/" in message



def test_prefetch_puts_weights_into_keras_cache_and_checks_names_first(course_env, keras_home, monkeypatch,
                                                                      tmp_path, capsys):
    """``make prefetch`` fetches the ImageNet weights too; an unknown name stops it before any download."""
    stand_in = write_stand_in_weights("mobilenetv3small", tmp_path / "mirror" / "keras")
    accept_stand_in("mobilenetv3small", stand_in, monkeypatch)
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(tmp_path / "mirror"))
    with pytest.raises(KeyError, match="Unknown backbone 'resnet18'"):
        status.prefetch(datasets=(), birds=False, backbones=("mobilenetv3small", "resnet18"))
    assert not (weights.keras_models_dir() / stand_in.name).exists()
    status.prefetch(datasets=(), birds=False, backbones=("mobilenetv3small",))
    assert (weights.keras_models_dir() / stand_in.name).read_bytes() == stand_in.read_bytes()
    assert "mobilenetv3small: ImageNet weights verified" in capsys.readouterr().out


def test_every_backbone_has_its_documented_imagenet_top1():
    assert set(backbones.IMAGENET_TOP1) == set(BACKBONES)
    assert all(0.6 < v < 0.8 for v in backbones.IMAGENET_TOP1.values())


def test_backbones_are_compared_with_resnet50_on_the_same_photos_per_head_seed():
    """McNemar per seed: only the photos one of the two gets right count."""
    reference = {0: np.array([True] * 10 + [False] * 10), 1: np.array([True] * 12 + [False] * 8)}
    other = {0: np.array([True] * 10 + [False] * 10), 1: np.array([False] * 12 + [True] * 8)}
    table = backbones.paired_against({"resnet50": reference, "mobilenetv3small": other})
    assert table["head seed"].tolist() == [0, 1] and table["backbone"].eq("mobilenetv3small").all()
    assert table["McNemar p"].iloc[0] == 1.0 and table["only it right"].tolist() == [0, 8]
    assert table["only resnet50 right"].tolist() == [0, 12]
    assert table["minus resnet50"].iloc[1] == pytest.approx(-0.2)
