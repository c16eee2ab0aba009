"""Cache keys, fingerprints and atomic writes (course_utils.caching), and the model save/load built on them."""
import os
import stat

import keras
import numpy as np
import pytest

from course_utils import caching, models


def test_stable_key_ignores_dict_order_and_sees_every_value():
    assert caching.stable_key({"a": 1, "b": [2, 3]}) == caching.stable_key({"b": [2, 3], "a": 1})
    assert caching.stable_key({"a": 1, "b": [2, 3]}) != caching.stable_key({"a": 1, "b": [3, 2]})
    assert len(caching.stable_key("x")) == 16 and len(caching.stable_key("x", length=10)) == 10


def test_weights_fingerprint_tracks_every_weight():
    keras.utils.set_random_seed(0)
    model = models.build_mnist_mlp()
    before = caching.weights_fingerprint(model)
    twin = models.build_mnist_mlp()
    twin.set_weights(model.get_weights())
    assert caching.weights_fingerprint(twin) == before
    bias = model.get_layer("head").bias
    bias.assign(bias.numpy() + np.eye(1, 10, 9, dtype="float32")[0])  # one bias of ten
    assert caching.weights_fingerprint(model) != before


def test_architecture_fingerprint_is_the_same_for_a_rebuilt_model_and_differs_for_another():
    first, again = models.build_mnist_cnn(), models.build_mnist_cnn()      # Keras numbers auto names anew
    unnamed = [keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)]) for _ in range(2)]
    assert unnamed[0].layers[0].name != unnamed[1].layers[0].name
    assert caching.architecture_fingerprint(unnamed[0]) == caching.architecture_fingerprint(unnamed[1])
    assert caching.architecture_fingerprint(first) == caching.architecture_fingerprint(again)
    assert caching.architecture_fingerprint(first) != caching.architecture_fingerprint(models.build_mnist_mlp())
    wider = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4)])
    assert caching.architecture_fingerprint(wider) != caching.architecture_fingerprint(unnamed[0])


def test_atomic_write_replaces_only_when_the_block_finishes(tmp_path):
    path = tmp_path / "results.csv"
    with caching.atomic_write(path) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".csv" and tmp != path
        tmp.write_text("old\n")
    assert path.read_text() == "old\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~_umask(), "a new file gets the usual permissions"
    with pytest.raises(RuntimeError), caching.atomic_write(path) as tmp:
        tmp.write_text("new but cut")
        raise RuntimeError("crash half-way")
    assert path.read_text() == "old\n" and os.listdir(tmp_path) == ["results.csv"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.fixture()
def crashing_save(monkeypatch):
    """Make ``keras.Model.save`` write half a file and then raise, as a killed process would leave it."""
    def save_half(model, filepath, *args, **kwargs):
        real_save(model, filepath, *args, **kwargs)
        data = open(filepath, "rb").read()
        open(filepath, "wb").write(data[: len(data) // 2])
        raise KeyboardInterrupt("interrupted while saving")

    real_save = keras.Model.save
    monkeypatch.setattr(keras.Model, "save", save_half)
    return monkeypatch


def test_an_interrupted_first_save_leaves_no_file_and_the_next_run_trains(tmp_path, crashing_save):
    path, trained = tmp_path / "source.keras", []

    def train():
        trained.append(1)
        return models.build_mnist_mlp()

    with pytest.raises(KeyboardInterrupt):
        models.load_or_train(path, train)
    assert os.listdir(tmp_path) == [], "no half model at the final path, no temporary file left"
    crashing_save.undo()
    _, how = models.load_or_train(path, train)
    assert how == "trained" and len(trained) == 2 and path.is_file()
    assert models.load_or_train(path, train)[1] == "loaded" and len(trained) == 2


def test_an_interrupted_resave_keeps_the_old_model_loadable(tmp_path, monkeypatch):
    path = tmp_path / "source.keras"
    keras.utils.set_random_seed(3)
    old = models.build_mnist_mlp()
    models.save_model(old, path)
    monkeypatch.setattr(keras.Model, "save", _half_save)
    with pytest.raises(KeyboardInterrupt):
        models.save_model(models.build_mnist_mlp(), path)
    monkeypatch.undo()
    loaded, how = models.load_or_train(path, lambda: pytest.fail("must load the intact old file, not retrain"))
    assert how == "loaded" and caching.weights_fingerprint(loaded) == caching.weights_fingerprint(old)
    assert os.listdir(tmp_path) == ["source.keras"]


def _half_save(model, filepath, *args, **kwargs):
    open(filepath, "wb").write(b"PK\x03\x04 half a zip")
    raise KeyboardInterrupt("interrupted while saving")


def test_a_damaged_model_file_is_retrained_and_replaced(tmp_path):
    path = tmp_path / "source.keras"
    path.write_bytes(b"PK\x03\x04 not a whole model")  # e.g. copied by hand and cut short
    model, how = models.load_or_train(path, models.build_mnist_mlp)
    assert how == "retrained" and keras.models.load_model(path).count_params() == model.count_params()
