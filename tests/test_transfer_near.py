"""Lesson 5's near control (MNIST digits 0-4 -> 5-9), its defined source models, plain L2 and the near/far figure."""
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest

from course_utils import transfer
from course_utils.data import datasets
from course_utils.data.datasets import ImageArrays
from course_utils.lessons import transfer_data, transfer_grid, transfer_models

RESULTS = Path(__file__).resolve().parents[1] / "docs" / "results"
NEAR_CSV = RESULTS / "05_transfer_near.csv"


def fake_mnist(n_train=600, n_test=200, seed=0):
    """Digits drawn as a bright horizontal band at row 2d + 3: learnable in an epoch, ten classes in turn."""
    rng = np.random.default_rng(seed)

    def images(n):
        y = np.arange(n) % 10
        x = (60 * rng.random((n, 28, 28))).astype("uint8")
        for i, d in enumerate(y):
            x[i, 2 * d + 3:2 * d + 5, :] = 255
        return x, y.astype("uint8")

    (x_train, y_train), (x_test, y_test) = images(n_train), images(n_test)
    return ImageArrays(x_train, y_train, x_test, y_test, [str(d) for d in range(10)])


@pytest.fixture()
def mnist(monkeypatch):
    data = fake_mnist()
    monkeypatch.setattr(datasets, "load_mnist", lambda: data)
    return data


# ---- the near target's data ----------------------------------------------------------------------------

def test_digits_subset_keeps_only_those_digits_and_renumbers_them():
    x, y = np.arange(10)[:, None], np.arange(10)
    xs, ys = transfer_data.digits_subset(x, y, (5, 6, 7, 8, 9))
    assert xs.ravel().tolist() == [5, 6, 7, 8, 9] and ys.tolist() == [0, 1, 2, 3, 4]


def test_near_data_holds_digits_5_to_9_only(mnist):
    data = transfer.load_near_data("mlp", val_size=100)
    assert data["target"] == "near" and data["class_names"] == [f"digit {d}" for d in range(5, 10)]
    assert set(np.unique(data["y_train"])) == set(range(5)) == set(np.unique(data["y_test"]))
    assert len(data["y_train"]) == 300 and len(data["y_test"]) == 100   # half of each split are digits 5-9
    assert len(data["val"]) == 100 and not set(data["val"]) & set(data["pool"])
    source_digit = mnist.x_train[mnist.y_train == 5][0] / 255.0
    np.testing.assert_allclose(data["x_train"][data["y_train"] == 0][0], source_digit)   # label 0 = digit 5


def test_one_image_per_class_draws_exactly_one_of_each(mnist):
    data = transfer.load_near_data("mlp", val_size=100)
    for seed in range(5):
        assert np.bincount(data["y_train"][transfer.training_subset(data, 5, seed)]).tolist() == [1] * 5


# ---- the source models ---------------------------------------------------------------------------------

def test_build_with_five_classes_changes_only_the_head():
    ten, five = transfer.build("mlp"), transfer.build("mlp", classes=5)
    assert [layer.name for layer in ten.layers] == [layer.name for layer in five.layers]
    assert five.output_shape[-1] == 5 and ten.output_shape[-1] == 10
    assert five.get_layer("hidden").get_weights()[0].shape == ten.get_layer("hidden").get_weights()[0].shape
    assert transfer.build("cnn", classes=5).output_shape[-1] == 5


def test_train_source_learns_the_recipe_on_the_digits_asked_for(mnist):
    model = transfer.train_source("mlp", epochs=2, digits=transfer.NEAR_SOURCE_DIGITS)
    assert model.output_shape[-1] == 5 and model.name == "source_mlp"
    assert transfer.source_accuracy(model, "mlp", transfer.NEAR_SOURCE_DIGITS) > 0.9   # chance: 0.2
    keep = mnist.y_test < 5
    predicted = model.predict(mnist.x_test[keep] / 255.0, verbose=0).argmax(1)
    assert (predicted == mnist.y_test[keep]).mean() > 0.9   # label d is digit d for digits 0-4
    ten = transfer.train_source("mlp", epochs=1)
    assert ten.output_shape[-1] == 10


def test_train_source_uses_the_recipe_seed(mnist, monkeypatch):
    seeds = []
    monkeypatch.setattr(keras.utils, "set_random_seed", seeds.append)
    transfer.train_source("mlp", epochs=1)
    transfer.train_source("mlp", epochs=1, seed=3)
    assert seeds == [transfer.SOURCE_RECIPE["mlp"]["seed"], 3]


def test_load_source_trains_once_then_reads_its_file(mnist, tmp_path, monkeypatch):
    calls = []
    train = transfer_models.train_source

    def counting(*args, **kwargs):
        calls.append(kwargs.get("digits"))
        return train(*args, **kwargs)

    monkeypatch.setattr(transfer_models, "train_source", counting)
    model, origin = transfer.load_source("mlp", digits=transfer.NEAR_SOURCE_DIGITS, epochs=1, folder=tmp_path)
    assert origin.startswith("trained") and "digits 0-4" in origin and len(calls) == 1
    again, origin = transfer.load_source("mlp", digits=transfer.NEAR_SOURCE_DIGITS, epochs=1, folder=tmp_path)
    assert origin.startswith("loaded") and len(calls) == 1
    np.testing.assert_array_equal(again.get_layer("hidden").get_weights()[0], model.get_layer("hidden").get_weights()[0])
    assert transfer.source_file("mlp", transfer.NEAR_SOURCE_DIGITS, 1, tmp_path).name.startswith("source_mnist01234_mlp_")


def test_source_tags_keep_the_recorded_grid_and_tell_the_sources_apart():
    assert transfer.source_tag("mlp") == "recipe:0ec71d1703"   # the tag of every recorded far-grid MLP row
    assert transfer.source_tag("cnn") == "recipe:5d0287def5"
    tags = {transfer.source_tag("mlp"), transfer.source_tag("mlp", transfer.NEAR_SOURCE_DIGITS),
            transfer.source_tag("mlp", epochs=1)}
    assert len(tags) == 3
    assert transfer.source_file("mlp").name == "source_mnist_mlp_0ec71d1703.keras"   # the grid command's file


# ---- the near grid and its runs ------------------------------------------------------------------------

def test_near_configs_cover_five_sizes_four_methods_five_seeds():
    cfgs = transfer.near_configs("mlp")
    assert len(cfgs) == 5 * 4 * 5 and {c.target for c in cfgs} == {"near"}
    assert sorted({c.n_train for c in cfgs}) == [5, 25, 100, 500, 5000]
    assert {c.source for c in cfgs} == {transfer.source_tag("mlp", transfer.NEAR_SOURCE_DIGITS)}
    far = transfer_grid.grid_config("mlp", "scratch", 100, 0)
    near = transfer_grid.near_config("mlp", "scratch", 100, 0)
    assert transfer.config_key(far) != transfer.config_key(near)
    assert {k: v for k, v in vars(near).items() if k not in ("target", "source")} == \
        {k: v for k, v in vars(far).items() if k not in ("target", "source")}   # same budget as the far grid


def test_a_run_refuses_data_of_another_target(mnist):
    data = transfer.load_near_data("mlp", val_size=100)
    cfg = transfer.RunConfig(n_train=25, max_epochs=1, min_steps_per_epoch=2, batch_size=16)   # target fashion
    with pytest.raises(ValueError, match="load_near_data"):
        transfer.run_one(cfg, data)


def test_a_near_run_builds_a_five_class_head_and_learns(mnist):
    data = transfer.load_near_data("mlp", val_size=100)
    source = transfer.train_source("mlp", epochs=2, digits=transfer.NEAR_SOURCE_DIGITS)
    cfg = transfer.RunConfig(method="frozen body", n_train=50, max_epochs=3, min_steps_per_epoch=5, batch_size=16,
                             learning_rate=1e-2, target="near")
    row = transfer.run_one(cfg, data, source)
    assert 0.2 < row["test_accuracy"] <= 1.0   # 5 classes: chance 0.2


@pytest.mark.skipif(not NEAR_CSV.exists(), reason="no recorded near control")
def test_recorded_near_rows_are_the_near_configs():
    table = pd.read_csv(NEAR_CSV)
    assert set(table["key"]) <= {transfer.config_key(c) for c in transfer.near_configs("mlp")}
    kept = transfer.near_table(table)
    seeds = kept.groupby("n_train")["seed"].nunique()
    assert (seeds == 5).all() and list(seeds.index) == [5, 25, 100, 500, 5000]   # as the lesson and results file say
    assert set(kept["target"]) == {"near"} and len(kept) == 4 * 5 * 5


# ---- plain L2, and the statistics --------------------------------------------------------------------

def test_plain_l2_is_the_l2sp_penalty_anchored_at_zero():
    keras.utils.set_random_seed(0)
    source = transfer.build("mlp", name="source")
    model = transfer.build("mlp", name="target")
    transfer.copy_body(source, model)
    transfer.attach_l2(model, lam=0.01)
    expected = 0.01 * sum(float(np.sum(w ** 2)) for w in model.get_layer("hidden").get_weights())
    assert float(sum(model.losses)) == pytest.approx(expected, rel=1e-4)
    assert len(model.losses) == 2   # the body's kernel and bias; the head carries no penalty


def test_advanced_sweep_holds_l2_beside_l2sp_at_the_same_lambdas():
    cfgs = transfer.advanced_configs("mlp", seeds=(0,))
    lams = {m: sorted(c.l2sp_lambda for c in cfgs if c.method == m) for m in ("l2-sp", "l2")}
    assert lams["l2-sp"] == lams["l2"] == sorted(transfer_grid.LAMBDAS)
    assert "l2" not in {c.method for c in transfer.advanced_configs("cnn")}   # recorded for the MLP only
    assert "l2" in {c.method for c in transfer.advanced_configs("cnn", methods=("l2",))}


def test_paired_gains_are_the_stats_module_paired_table():
    from course_utils import stats

    rows = [dict(model="mlp", n_train=5, seed=s, method=m, test_accuracy=a)
            for m, accs in (("scratch", [0.40, 0.45, 0.50, 0.42, 0.47]), ("frozen body", [0.60, 0.62, 0.69, 0.61, 0.66]))
            for s, a in enumerate(accs)]
    gains = transfer.paired_gains(pd.DataFrame(rows)).iloc[0]
    mean, low, high = stats.paired_interval(np.array([0.20, 0.17, 0.19, 0.19, 0.19]))
    assert (gains["gain"], gains["low"], gains["high"]) == pytest.approx((mean, low, high))
    assert gains["seeds"] == 5 and gains["verdict"] == "helped"


def test_near_far_figure_has_titles_labels_and_a_zero_line():
    import matplotlib
    matplotlib.use("Agg")
    rows = []
    for n, classes in ((5, 5), (25, 5), (100, 10), (300, 10)):
        for m in transfer.METHODS[1:]:
            rows.append(dict(model="mlp", n_train=n, method=m, seeds=5, gain=0.1, low=0.05, high=0.15, classes=classes))
    gains = pd.DataFrame(rows)
    axes = transfer.plot_near_far(gains[gains["classes"] == 5], gains[gains["classes"] == 10])
    assert "near" in axes[0].get_title() and "far" in axes[1].get_title() and "5 seeds" in axes[0].get_title()
    assert "per class" in axes[0].get_xlabel() and "percentage points" in axes[0].get_ylabel()
    assert sorted(c.get_label() for c in axes[0].containers) == sorted(transfer.METHODS[1:])
    xs = sorted(x for c in axes[0].containers for x in c.lines[0].get_xdata())
    assert min(xs) == pytest.approx(1 / 1.08, rel=1e-3)   # N = 5 over 5 classes: 1 per class (offset per method)
