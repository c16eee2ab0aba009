"""Lesson 6 plumbing and the claims the lesson makes about augmentation layers."""
import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from course_utils import augmentation as aug
from course_utils import plots
from course_utils.runs import stratified_sample, summarize_runs
from conftest import need_shared_mirror


def _layers():
    from keras import layers

    return {
        "flip": layers.RandomFlip("horizontal", seed=1),
        "rotation": layers.RandomRotation(0.1, fill_mode="constant", seed=1),
        "zoom": layers.RandomZoom(0.2, fill_mode="constant", seed=1),
        "translation": layers.RandomTranslation(0.1, 0.1, fill_mode="constant", seed=1),
        "contrast": layers.RandomContrast(0.5, value_range=(0, 1), seed=1),
    }


@pytest.fixture(scope="module")
def batch():
    rng = np.random.default_rng(0)
    return rng.uniform(0, 1, size=(16, 28, 28, 1)).astype("float32")


@pytest.mark.parametrize("name", ["flip", "rotation", "zoom", "translation", "contrast"])
def test_augmentation_layers_are_identity_at_inference_and_random_in_training(name, batch):
    layer = _layers()[name]
    assert np.array_equal(np.asarray(layer(batch, training=False)), batch)
    trained = np.asarray(layer(batch, training=True))
    assert trained.shape == batch.shape
    assert not np.allclose(trained, batch)


def test_a_model_with_augmentation_predicts_deterministically(batch):
    import keras
    from keras import layers

    model = keras.Sequential([keras.Input((28, 28, 1)), layers.RandomFlip("horizontal"),
                              layers.RandomTranslation(0.1, 0.1), layers.Flatten(), layers.Dense(3)])
    assert np.array_equal(model.predict(batch, verbose=0), model.predict(batch, verbose=0))
    assert not np.allclose(model(batch, training=True), model(batch, training=False))


def test_random_flip_gives_the_original_or_its_mirror_and_the_mirror_of_a_digit_differs():
    from keras import layers

    digit = np.zeros((28, 28, 1), "float32")
    digit[4:24, 18:21] = 1.0          # a "1" leaning on the right half: not mirror-symmetric
    digit[4:7, 8:21] = 1.0            # with a top bar to the left: a crude "7"
    mirror = digit[:, ::-1]
    out = np.asarray(layers.RandomFlip("horizontal", seed=3)(np.repeat(digit[None], 64, 0), training=True))
    is_original = [np.array_equal(o, digit) for o in out]
    is_mirror = [np.array_equal(o, mirror) for o in out]
    assert all(a or b for a, b in zip(is_original, is_mirror))
    assert 10 < sum(is_mirror) < 54          # about half of the copies are flipped
    assert np.abs(mirror - digit).sum() > 0.5 * digit.sum()   # the mirror is a different picture


def test_an_upside_down_six_looks_like_a_nine(course_env, monkeypatch):
    from course_utils import datasets

    monkeypatch.setenv("COURSE_DATA_MIRROR", str(need_shared_mirror()))
    mnist = datasets.load_mnist()
    x, y = mnist.x_test.astype("float32") / 255, mnist.y_test
    turned_six = x[y == 6][:, ::-1, ::-1].mean(axis=0)
    distance = {d: np.abs(turned_six - x[y == d].mean(axis=0)).mean() for d in (6, 9)}
    assert distance[9] < 0.7 * distance[6]


def test_stratified_sample_is_balanced_deterministic_and_respects_exclude():
    labels = np.repeat(np.arange(10), 300)
    a = stratified_sample(labels, 1000, seed=0)
    assert len(a) == len(set(a)) == 1000
    assert np.bincount(labels[a]).tolist() == [100] * 10
    assert np.array_equal(a, stratified_sample(labels, 1000, seed=0))
    assert not np.array_equal(a, stratified_sample(labels, 1000, seed=1))
    b = stratified_sample(labels, 500, seed=2, exclude=a)
    assert not set(a) & set(b)
    assert np.bincount(labels[b]).tolist() == [50] * 10


def test_stratified_sample_edge_cases():
    labels = np.repeat(np.arange(10), 5)
    assert np.array_equal(stratified_sample(labels, 100, seed=0), np.arange(50))   # more than there is: all of it
    with pytest.raises(ValueError, match="number of classes"):
        stratified_sample(labels, 5, seed=0)
    with pytest.raises(ValueError, match="pool is empty"):
        stratified_sample(labels, 5, seed=0, exclude=np.arange(50))


def test_augmented_views_puts_the_original_first(batch):
    views = aug.augmented_views(_layers()["translation"], batch[0, ..., 0], 5)
    assert views.shape == (5, 28, 28, 1) and views.dtype == np.float32
    assert np.array_equal(views[0], batch[0])
    assert not np.allclose(views[1:], batch[0])


def test_summarize_runs_gives_mean_sd_and_count():
    rows = [{"condition": "a", "test_accuracy": v} for v in (0.8, 0.9, 1.0)] + \
           [{"condition": "b", "test_accuracy": 0.5}]
    table = summarize_runs(rows)
    assert table.loc["a", "test_accuracy mean"] == pytest.approx(0.9)
    assert table.loc["a", "test_accuracy std"] == pytest.approx(0.1)
    assert table.loc["a", "test_accuracy count"] == 3 and table.loc["b", "test_accuracy count"] == 1
    assert np.isnan(table.loc["b", "test_accuracy std"])   # one run: spread unknown, not zero


def test_plots_return_labelled_axes(batch):
    import matplotlib.pyplot as plt

    axes = aug.plot_views({"a": batch[:3], "b": batch[3:6]}, "title", col_titles=["x", "y", "z"])
    assert axes.shape == (2, 3) and axes[0, 2].get_title() == "z" and axes[1, 0].get_ylabel() == "b"
    ax = plots.plot_mean_curves({"none": [[0.1, 0.2], [0.2, 0.3]], "augmented": [[0.1, 0.4]]})
    assert ax.get_xlabel() == "epoch" and len(ax.get_lines()) == 2
    assert len(ax.collections) == 1, "a band for the condition with two runs, none for a single run"
    plt.close("all")
