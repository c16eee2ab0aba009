"""Lesson 6 plumbing and the claims the lesson makes about augmentation layers."""
import matplotlib

matplotlib.use("Agg")

import json
import re
from pathlib import Path

import numpy as np
import pytest

from course_utils import augmentation as aug
from course_utils import plots
from course_utils.runs import stratified_sample
from conftest import need_shared_mirror

LESSON_6 = Path(__file__).resolve().parents[1] / "notebooks" / "06_data_augmentation.ipynb"


def TRANSLATION():
    from keras import layers

    return layers.RandomTranslation(0.1, 0.1, fill_mode="constant", seed=1)


@pytest.fixture(scope="module")
def batch():
    rng = np.random.default_rng(0)
    return rng.uniform(0, 1, size=(16, 28, 28, 1)).astype("float32")


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
    views = aug.augmented_views(TRANSLATION(), batch[0, ..., 0], 5)
    assert views.shape == (5, 28, 28, 1) and views.dtype == np.float32
    assert np.array_equal(views[0], batch[0])
    assert not np.allclose(views[1:], batch[0])


def test_summary_table_gives_mean_sd_as_spread_and_count_per_metric():
    rows = [{"condition": "a", "test_accuracy": v, "gap": 0.1} for v in (0.8, 0.9, 1.0)] + \
           [{"condition": "b", "test_accuracy": 0.5, "gap": 0.2}]
    table = aug.summary_table(rows, ("test_accuracy", "gap"))
    assert table.loc["a", ("test_accuracy", "mean")] == pytest.approx(0.9)
    assert table.loc["a", ("test_accuracy", "sd")] == pytest.approx(0.1)
    assert table.loc["a", ("test_accuracy", "count")] == 3 and table.loc["b", ("gap", "count")] == 1
    assert np.isnan(table.loc["b", ("test_accuracy", "sd")])   # one run: spread unknown, not zero


def test_contrast_factors_reads_a_known_factor():
    import keras

    class Scale(keras.layers.Layer):       # contrast times 2 around the mean 0.5, for every image
        def call(self, x, training=False):
            return (x - 0.5) * 2.0 + 0.5

    assert aug.contrast_factors(Scale(), n=3) == pytest.approx([2.0, 2.0, 2.0])


def _parameter_cell_full_profile() -> dict:
    """The lesson's parameter cell, run with ``cu.by_profile`` returning the full-profile value."""
    cells = json.loads(LESSON_6.read_text(encoding="utf-8"))["cells"]
    source = next("".join(c["source"]) for c in cells
                  if c["cell_type"] == "code" and re.search(r"^N_TRAIN = ", "".join(c["source"]), re.M))

    class FullProfile:
        by_profile = staticmethod(lambda full, smoke: full)

    namespace = {"cu": FullProfile()}
    exec(source, namespace)
    return namespace


def test_recorded_experiment_uses_the_lessons_parameters():
    """``python -m course_utils.tools.augmentation_runs`` repeats lesson 6 with its full-profile settings."""
    from course_utils.tools import augmentation_runs as tool

    lesson = _parameter_cell_full_profile()
    for name in ("N_TRAIN", "N_VAL", "N_TEST", "EPOCHS", "BATCH_SIZE", "LEARNING_RATE"):
        assert lesson[name] == aug.FULL_PROFILE[name], name
    assert (tool.N_TRAIN, tool.N_VAL, tool.N_TEST, tool.VAL_SEED) == tuple(
        aug.FULL_PROFILE[k] for k in ("N_TRAIN", "N_VAL", "N_TEST", "VAL_SEED"))
    code = "\n".join("".join(c["source"]) for c in json.loads(LESSON_6.read_text(encoding="utf-8"))["cells"]
                     if c["cell_type"] == "code")
    assert f"runs.stratified_sample(y_fashion, N_VAL, seed={aug.FULL_PROFILE['VAL_SEED']})" in code
    assert "aug.train_and_score(condition, seed, train, (x_val, y_val), (x_test, y_test), EPOCHS, BATCH_SIZE," in code


def test_plots_return_labelled_axes(batch):
    import matplotlib.pyplot as plt

    axes = aug.plot_views({"a": batch[:3], "b": batch[3:6]}, "title", col_titles=["x", "y", "z"])
    assert axes.shape == (2, 3) and axes[0, 2].get_title() == "z" and axes[1, 0].get_ylabel() == "b"
    ax = plots.plot_mean_curves({"none": [[0.1, 0.2], [0.2, 0.3]], "augmented": [[0.1, 0.4]]})
    assert ax.get_xlabel() == "epoch" and len(ax.get_lines()) == 2
    assert len(ax.collections) == 1, "a band for the condition with two runs, none for a single run"
    assert ax.get_legend().get_title().get_text() == "band: ± 1 sd over the runs"   # the legend says what the band is
    plt.close("all")


# --- The experiment's pieces: pipelines, the tf.data path, the statistics, the recorded-runs command ---

@pytest.mark.parametrize("condition", ["flip + shift", "rotation", "zoom"])
def test_each_measured_pipeline_changes_images_in_training_only_and_keeps_the_value_range(condition, batch):
    pipeline = aug.augmentation_pipeline(condition, seed=0)
    assert np.array_equal(np.asarray(pipeline(batch, training=False)), batch)
    trained = np.asarray(pipeline(batch, training=True))
    assert np.mean(np.any(trained != batch, axis=(1, 2, 3))) >= 0.5
    assert trained.min() >= 0.0 and trained.max() <= 1.0


def test_flip_and_vertical_shift_share_the_first_draw_only():
    """augmentation_pipeline's docstring: with one seed for both layers, the first call's flip decision is
    correlated with the vertical shift (RandomTranslation draws it first), not the horizontal one; later calls are
    not correlated. Measured on Keras 3.10.0 and 3.15.1."""
    flip, shift = aug.augmentation_pipeline("flip + shift", seed=0).layers
    x = np.zeros((256, 28, 28, 1), "float32")
    corr = []
    for _ in range(2):
        flips = np.asarray(flip.get_random_transformation(x, training=True)["flips"]).ravel().astype(float)
        moves = np.asarray(shift.get_random_transformation(x, training=True)["translations"])   # (horizontal, vertical)
        corr.append([abs(np.corrcoef(flips, moves[:, k])[0, 1]) for k in (1, 0)])
    (vertical_1, horizontal_1), (vertical_2, horizontal_2) = corr
    assert vertical_1 > 0.7 and horizontal_1 < 0.3
    assert vertical_2 < 0.2 and horizontal_2 < 0.2


def test_the_control_has_no_pipeline_and_unknown_conditions_are_named():
    assert aug.augmentation_pipeline("none") is None
    with pytest.raises(ValueError, match="choose one of"):
        aug.augmentation_pipeline("vertical flip")


def test_tf_data_path_augments_images_not_labels_keeps_range_and_draws_anew_every_epoch(batch):
    labels = np.arange(len(batch)) % 10
    dataset = aug.augmented_dataset(batch, labels, aug.augmentation_pipeline("flip + shift", seed=5), batch_size=4)
    (epoch_1, labels_1), (epoch_2, labels_2) = aug.one_epoch(dataset), aug.one_epoch(dataset)
    differs = lambda a, b: np.mean(np.any(a != b, axis=(1, 2, 3)))
    assert epoch_1.shape == batch.shape
    assert differs(epoch_1, batch) >= 0.5, "training images should change"
    assert np.array_equal(labels_1, labels) and np.array_equal(labels_2, labels), "labels unchanged, same order"
    assert epoch_1.min() >= 0.0 and epoch_1.max() <= 1.0
    assert differs(epoch_2, epoch_1) >= 0.5, "every epoch should draw new changes"


def test_one_epoch_of_an_unaugmented_dataset_gives_the_data_back(batch):
    import tensorflow as tf

    labels = np.arange(len(batch))
    images, got = aug.one_epoch(tf.data.Dataset.from_tensor_slices((batch, labels)).batch(5))
    assert np.array_equal(images, batch) and np.array_equal(got, labels)


def test_late_gain_and_flat_from_read_a_curve():
    rising_then_flat = np.concatenate([np.linspace(0.5, 0.8, 12), np.full(38, 0.8)])
    still_rising = np.linspace(0.5, 0.8, 50)
    assert aug.late_gain(rising_then_flat) == pytest.approx(0.0)
    assert aug.late_gain(still_rising) == pytest.approx(10 * 0.3 / 49)
    assert aug.flat_from(rising_then_flat, tolerance=0.01) == 12
    assert aug.flat_from(still_rising, tolerance=0.01) > 45
    with pytest.raises(ValueError, match="needs at least 20"):
        aug.late_gain(still_rising[:15])


def _rows():
    rows = []
    for seed, (none, flip) in enumerate([(0.80, 0.79), (0.82, 0.80), (0.81, 0.80)]):
        rows.append(dict(condition="none", seed=seed, epochs=20, train_accuracy=none + 0.15, test_accuracy=none,
                         seconds=10.0, val_curve=[0.5] * 10 + [0.8] * 10))
        rows.append(dict(condition="flip + shift", seed=seed, epochs=20, train_accuracy=flip + 0.05,
                         test_accuracy=flip, seconds=11.0, val_curve=[0.6] * 10 + [0.7] * 10))
    return rows


def test_per_seed_table_gives_each_seeds_gaps_and_their_ratio():
    table = aug.per_seed_table(_rows())
    assert list(table.index) == [0, 1, 2]
    assert table.loc[1, "test none"] == pytest.approx(0.82)
    assert table.loc[1, "gap none"] == pytest.approx(0.15) and table.loc[1, "gap flip + shift"] == pytest.approx(0.05)
    assert table["gap ratio flip + shift"].tolist() == pytest.approx([1 / 3] * 3)


def test_recorded_runs_round_trip_resume_and_table(tmp_path, monkeypatch):
    from course_utils.tools import augmentation_runs as runs_cli

    csv = tmp_path / "runs.csv"
    for row in _rows()[:4]:
        runs_cli.append_row(csv, row)
    back = aug.read_runs(csv)
    assert len(back) == 4 and back[1]["val_curve"] == [0.6] * 10 + [0.7] * 10

    trained = []
    monkeypatch.setattr(runs_cli, "fashion_split", lambda seed: (None, None, None))
    monkeypatch.setattr("course_utils.lessons.augmentation.train_and_score",
                        lambda condition, seed, *args: trained.append((condition, seed)) or
                        next(r for r in _rows() if r["condition"] == condition and r["seed"] == seed))
    runs_cli.run(["none", "flip + shift"], [0, 1, 2], epochs=20, csv=csv)
    assert trained == [("none", 2), ("flip + shift", 2)], "runs already in the CSV are skipped"

    lines = runs_cli.table(csv).splitlines()
    control = next(line for line in lines if line.startswith("| none |"))
    flip = next(line for line in lines if line.startswith("| flip + shift |"))
    assert "0.810 ± 0.010" in control and "(control)" in control and "+0.3000" in control   # late gain 0.8 - 0.5
    assert "-0.013 [-0.028, +0.001]" in flip and "made no clear difference" in flip      # t interval, n = 3
    assert "n = 3 seeds" in lines[-1] and "20 epochs" in lines[-1]
    assert "1 paired intervals" in lines[-1] and "0.05 of them would exclude 0 by chance alone" in lines[-1]
    summary = aug.recorded_table(aug.read_runs(csv))
    assert summary.loc["flip + shift", "verdict"] == "made no clear difference"
    assert summary.loc["flip + shift", "gain"] == pytest.approx(-0.013333, abs=1e-6)
    assert summary.loc["flip + shift", "seeds"] == 3
    # one comparison: the corrected interval is the 95% one; late gain per seed, paired with the control's
    assert summary.loc["flip + shift", "low (corrected)"] == pytest.approx(summary.loc["flip + shift", "low"])
    assert "late gain − control" in summary.columns and "seeds rising more" in summary.columns
