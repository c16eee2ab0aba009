"""Lesson 07's pipeline: feature cache, save/reload, tf.distribute, bad inputs.

Backbones and the weights policy are tested in test_backbones.py, Grad-CAM in test_gradcam.py."""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

from course_utils import backbones, birds, features, images

REPO = Path(__file__).resolve().parents[1]


def write_image(path, mode, color, size=(40, 30), fmt=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, color).save(path, fmt)
    return path


@pytest.fixture
def tiny_folder(tmp_path):
    """Two classes, three RGB photos each, with distinct contents."""
    for c, name in enumerate(["crow", "robin"]):
        for i in range(3):
            write_image(tmp_path / "birds" / name / f"{i}.jpg", "RGB", (40 * i, 200 * c, 90))
    return tmp_path / "birds"


def tiny_feature_model(size=16, seed=0):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((size, size, 3))
    x = keras.layers.Conv2D(4, 3, activation="relu")(keras.layers.Rescaling(1 / 255)(inputs))
    return keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(x))


# --- feature cache ------------------------------------------------------------------------------
def test_feature_cache_miss_then_hit(tiny_folder, tmp_path):
    scan = images.scan_image_folder(tiny_folder)
    model = tiny_feature_model()
    first = features.cached_features(model, "tiny", scan.files, scan.labels, 16, cache_dir=tmp_path / "c")
    second = features.cached_features(model, "tiny", scan.files, scan.labels, 16, cache_dir=tmp_path / "c")
    assert (first.hit, second.hit) == (False, True)
    assert first.x.shape == (6, 4) and np.array_equal(first.x, second.x)
    assert np.array_equal(second.y, scan.labels) and second.compute_seconds == pytest.approx(first.compute_seconds)
    assert first.path.is_file() and first.key == second.key


def test_feature_key_depends_on_backbone_weights_size_and_data(tiny_folder):
    scan = images.scan_image_folder(tiny_folder)
    data = features.data_fingerprint(scan.files, scan.labels)
    base = features.feature_key("resnet50", "w1", 224, data)
    assert base == features.feature_key("resnet50", "w1", 224, data)
    variants = {features.feature_key("vgg16", "w1", 224, data), features.feature_key("resnet50", "w2", 224, data),
                features.feature_key("resnet50", "w1", 96, data),
                features.feature_key("resnet50", "w1", 224, features.data_fingerprint(scan.files[:-1], scan.labels[:-1])),
                features.feature_key("resnet50", "w1", 224, features.data_fingerprint(scan.files, 1 - scan.labels))}
    assert base not in variants and len(variants) == 5
    write_image(scan.files[0], "RGB", (1, 2, 3))  # same name, new contents
    assert features.data_fingerprint(scan.files, scan.labels) != data


def test_weights_fingerprint_tracks_weight_values():
    model = tiny_feature_model(seed=1)
    before = features.weights_fingerprint(model)
    assert before == features.weights_fingerprint(tiny_feature_model(seed=1))
    assert before != features.weights_fingerprint(tiny_feature_model(seed=2))
    kernel = model.layers[2].kernel
    kernel.assign(kernel.numpy() + 1.0)
    assert features.weights_fingerprint(model) != before


# --- save and reload ----------------------------------------------------------------------------
def test_save_reload_gives_identical_predictions(tmp_path):
    """The lesson's layout: preprocess_input ops, a nested frozen backbone with BN, pooling, a head."""
    spec = backbones.get_backbone("resnet50")
    base_in = keras.Input((32, 32, 3))
    base = keras.Model(base_in, keras.layers.BatchNormalization()(keras.layers.Conv2D(8, 3)(base_in)))
    base.trainable = False
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.GlobalAveragePooling2D()(base(spec.preprocess_input(inputs), training=False))
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))
    batch = np.random.default_rng(0).uniform(0, 255, (4, 32, 32, 3)).astype("float32")
    model.save(tmp_path / "m.keras")
    reloaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(reloaded.predict(batch, verbose=0), model.predict(batch, verbose=0), atol=1e-6)


# --- loader and classify-a-photo path with bad inputs -------------------------------------------
@pytest.fixture
def odd_folder(tmp_path):
    root = tmp_path / "mine"
    for name in ("crow", "robin"):
        write_image(root / name / "rgb1.jpg", "RGB", (10, 20, 30))
        write_image(root / name / "rgb2.jpg", "RGB", (30, 20, 10))
    write_image(root / "crow" / "gray.png", "L", 77)
    write_image(root / "crow" / "cmyk.jpg", "CMYK", (0, 255, 255, 0), fmt="JPEG")
    write_image(root / "robin" / "clear.png", "RGBA", (255, 0, 0, 0))
    (root / "robin" / "fake.jpg").write_text("<html>not a photo</html>")
    (root / "robin" / "README.txt").write_text("notes")
    return root


def test_loader_skips_non_images_and_converts_modes(odd_folder, capsys):
    data = birds.load_bird_datasets(odd_folder, image_size=24, batch_size=4, val_fraction=0.34)
    assert "Skipped robin/fake.jpg: not a readable image" in capsys.readouterr().out
    used = [f.name for s in data.splits.values() for f in s.files]
    assert sorted(used) == sorted(["rgb1.jpg", "rgb2.jpg"] * 2 + ["gray.png", "cmyk.jpg", "clear.png"])
    seen = 0
    for ds in (data.train_ds, data.val_ds, data.test_ds):
        for x, y in ds:
            assert x.shape[1:] == (24, 24, 3) and x.dtype == "float32"
            assert 0 <= float(x.numpy().min()) and float(x.numpy().max()) <= 255
            seen += len(y)
    assert seen == len(used)


@pytest.mark.parametrize("name, expected", [("gray.png", (77, 77, 77)), ("clear.png", (255, 255, 255))])
def test_classify_path_handles_modes(odd_folder, name, expected):
    folder = odd_folder / ("crow" if name == "gray.png" else "robin")
    image = images.load_image(folder / name, 24)
    assert image.shape == (24, 24, 3) and np.allclose(image[5, 5], expected, atol=1)
    cmyk = images.load_image(odd_folder / "crow" / "cmyk.jpg", (20, 30))
    assert cmyk.shape == (20, 30, 3)


def test_classify_path_rejects_non_image(odd_folder):
    with pytest.raises(images.NotAnImageError, match="not a readable image"):
        images.load_image(odd_folder / "robin" / "fake.jpg", 24)


# --- tf.distribute with two logical CPUs (a fresh process: devices are fixed at TF start-up) -----
DISTRIBUTE_SCRIPT = textwrap.dedent("""
    import json, os
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import tensorflow as tf
    tf.config.set_logical_device_configuration(
        tf.config.list_physical_devices("CPU")[0], [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras, numpy as np

    def train_head(strategy, x, y):  # the lesson's training code, unchanged for any strategy
        with strategy.scope():
            g = keras.Sequential([keras.Input((x.shape[1],)), keras.layers.Dense(8, activation="relu"),
                                  keras.layers.Dense(3, activation="softmax", dtype="float32")])
            g.compile(optimizer=keras.optimizers.Adam(learning_rate=0.05), loss="sparse_categorical_crossentropy")
        history = g.fit(x, y, batch_size=8 * strategy.num_replicas_in_sync, epochs=15, verbose=0)
        return g, history.history["loss"]

    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 96)
    x = (np.eye(3)[y] * 3 + rng.normal(0, 0.3, (96, 3))).astype("float32")
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    g, losses = train_head(strategy, x, y)
    accuracy = float(np.mean(g.predict(x, verbose=0).argmax(1) == y))
    print(json.dumps({"replicas": strategy.num_replicas_in_sync, "first": losses[0], "last": losses[-1],
                      "accuracy": accuracy, "devices": len(tf.config.list_logical_devices("CPU"))}))
""")


def test_training_code_runs_under_mirrored_strategy_on_two_logical_cpus(tmp_path):
    script = tmp_path / "distribute.py"
    script.write_text(DISTRIBUTE_SCRIPT)
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=240, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["devices"] == 2 and result["replicas"] == 2
    assert result["last"] < result["first"] and result["accuracy"] > 0.9
