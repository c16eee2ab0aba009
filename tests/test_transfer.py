"""Tests for lesson 5's plumbing: weight copying, freezing, L2-SP, the joint model and the results cache."""
from dataclasses import replace

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from course_utils import transfer  # noqa: E402
from course_utils.tools import experiments  # noqa: E402


@pytest.fixture()
def source():
    keras.utils.set_random_seed(1)
    return transfer.build("mlp", name="source")


def tiny_data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, 28, 28)).astype("float32")
    y = np.arange(n) % 10
    return {"x_train": x, "y_train": y, "pool": np.arange(0, 40), "val": np.arange(40, n),
            "x_test": x[40:], "y_test": y[40:], "x_source": x, "y_source": y}


def test_set_weights_copy_predicts_identically(source):
    target = transfer.build("mlp", name="target")
    x = np.random.default_rng(0).random((5, 28, 28)).astype("float32")
    assert not np.allclose(source.predict(x, verbose=0), target.predict(x, verbose=0))
    target.set_weights(source.get_weights())
    np.testing.assert_allclose(source.predict(x, verbose=0), target.predict(x, verbose=0), rtol=1e-6)


def test_copy_body_copies_body_not_head(source):
    target = transfer.build("mlp", name="target")
    assert transfer.copy_body(source, target) == ["hidden"]
    np.testing.assert_array_equal(target.get_layer("hidden").get_weights()[0],
                                  source.get_layer("hidden").get_weights()[0])
    assert not np.allclose(target.get_layer("head").get_weights()[0], source.get_layer("head").get_weights()[0])


def test_frozen_body_does_not_change_but_head_does(source):
    data = tiny_data()
    model = transfer.build("mlp", name="target")
    transfer.copy_body(source, model)
    transfer.set_body_trainable(model, False)
    before_body, before_head = model.get_layer("hidden").get_weights()[0], model.get_layer("head").get_weights()[0]
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(data["x_train"], data["y_train"], epochs=1, batch_size=16, verbose=0)
    np.testing.assert_array_equal(model.get_layer("hidden").get_weights()[0], before_body)
    assert not np.allclose(model.get_layer("head").get_weights()[0], before_head)


def test_l2sp_penalty_is_zero_at_source_and_grows(source):
    model = transfer.build("mlp", name="target")
    transfer.copy_body(source, model)
    transfer.attach_l2sp(model, source, lam=0.01)
    assert float(sum(model.losses)) == pytest.approx(0.0, abs=1e-6)
    penalties = []
    for shift in (0.1, 0.2):
        model.get_layer("hidden").set_weights([w + shift for w in source.get_layer("hidden").get_weights()])
        penalties.append(float(sum(model.losses)))
    n_weights = sum(w.size for w in source.get_layer("hidden").get_weights())
    assert penalties[0] == pytest.approx(0.01 * n_weights * 0.1 ** 2, rel=1e-3)
    assert penalties[1] == pytest.approx(4 * penalties[0], rel=1e-3)


def test_joint_model_shares_the_body(source):
    model = transfer.build("mlp", name="target")
    joint = transfer.build_joint(model, source)
    assert model.get_layer("hidden") in joint.layers
    np.testing.assert_array_equal(joint.get_layer("source_head").get_weights()[0],
                                  source.get_layer("head").get_weights()[0])


def test_config_key_changes_with_every_parameter():
    base = transfer.RunConfig()
    assert transfer.config_key(base) == transfer.config_key(transfer.RunConfig())
    changed = [replace(base, n_train=300), replace(base, seed=1), replace(base, method="frozen body"),
               replace(base, learning_rate=1e-4), replace(base, source="other"), replace(base, l2sp_lambda=0.1)]
    keys = {transfer.config_key(c) for c in changed} | {transfer.config_key(base)}
    assert len(keys) == len(changed) + 1


def test_cached_run_runs_once_then_reads_the_cache(tmp_path, source):
    data = tiny_data()
    cfg = transfer.RunConfig(n_train=20, max_epochs=1, min_steps_per_epoch=2, batch_size=16, val_size=20,
                             method="two-stage", source="test")
    first = transfer.cached_run(cfg, data, source, tmp_path / "r.csv", verbose=False)
    second = transfer.cached_run(cfg, data, source, tmp_path / "r.csv", verbose=False)
    assert not first["cached"] and second["cached"]
    assert second["test_accuracy"] == pytest.approx(first["test_accuracy"])
    third = transfer.cached_run(replace(cfg, seed=5), data, source, tmp_path / "r.csv", verbose=False)
    assert not third["cached"]


def test_other_methods_run_and_unknown_method_fails(source):
    data = tiny_data()  # scratch, fine-tune all and two-stage run in the other tests and in the lesson
    for method in ("frozen body", "l2-sp", "joint"):
        cfg = transfer.RunConfig(method=method, n_train=20, max_epochs=1, min_steps_per_epoch=2, batch_size=16,
                                 l2sp_lambda=0.01, joint_alpha=0.5)
        result = transfer.run_one(cfg, data, source)
        assert 0.0 <= result["test_accuracy"] <= 1.0 and result["epochs"] >= 1
    with pytest.raises(ValueError, match="Unknown method"):
        transfer.run_one(transfer.RunConfig(method="magic", n_train=20), data, source)


def test_grid_configs_cover_every_cell_and_table_renders(tmp_path):
    cfgs = experiments.grid_configs("mlp", ns=(100, 300), seeds=(0, 1))
    assert len(cfgs) == 2 * 2 * len(transfer.METHODS)
    assert len({transfer.config_key(c) for c in cfgs}) == len(cfgs)
    import pandas as pd

    rows = [dict(vars(c), key=transfer.config_key(c), test_accuracy=0.5 + 0.01 * c.seed) for c in cfgs]
    pd.DataFrame(rows).to_csv(tmp_path / "g.csv", index=False)
    table = experiments.markdown_table(tmp_path / "g.csv")
    assert "| 100 |" in table and "0.505 ± 0.007 (2)" in table


def test_complete_seeds_drops_a_seed_some_methods_missed():
    import pandas as pd

    rows = [dict(model="mlp", n_train=100, seed=seed, method=m, l2sp_lambda=0.0, joint_alpha=0.0)
            for seed in (0, 1) for m in transfer.METHODS]
    rows = rows[:-1]  # seed 1 misses its last method
    kept = transfer.complete_seeds(pd.DataFrame(rows))
    assert set(kept["seed"]) == {0} and len(kept) == len(transfer.METHODS)
