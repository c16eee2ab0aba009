"""Lesson 5's plumbing: weight copying, freezing, L2-SP, the joint model, the methods and the results cache."""
import hashlib
from dataclasses import replace
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest

from course_utils import runs, transfer
from course_utils.lessons import transfer_grid, transfer_runs
from course_utils.tools import experiments

RESULTS = Path(__file__).resolve().parents[1] / "docs" / "results"
GRID_CSVS = sorted(RESULTS.glob("05_transfer_*.csv"))


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


def learnable_data(n=200, seed=0):
    """Images whose class is a bright horizontal band at row 2c: a model can learn them in a few epochs."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 10
    x = 0.3 * rng.random((n, 28, 28)).astype("float32")
    for i, c in enumerate(y):
        x[i, 2 * c + 3:2 * c + 5, :] += 0.7
    return {"x_train": x, "y_train": y, "pool": np.arange(0, 120), "val": np.arange(120, 160),
            "x_test": x[160:], "y_test": y[160:], "x_source": x, "y_source": y}


def small_config(**changes):
    return transfer.RunConfig(**{"n_train": 100, "max_epochs": 4, "min_steps_per_epoch": 5, "batch_size": 16,
                                 "patience": 2, "learning_rate": 1e-2, **changes})


# ---- weight transfer ----------------------------------------------------------------------------------

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


# ---- the methods ---------------------------------------------------------------------------------------

@pytest.fixture()
def spies(monkeypatch):
    """Record the target model each run builds, every early-stopping callback and every training stage."""
    seen = {"models": [], "stoppers": [], "stages": []}
    build, early_stopping, fit = transfer_runs.build, transfer_runs._early_stopping, transfer_runs._fit

    def recording_build(*args, **kwargs):
        seen["models"].append(build(*args, **kwargs))
        return seen["models"][-1]

    def recording_early_stopping(*args, **kwargs):
        seen["stoppers"].append(early_stopping(*args, **kwargs))
        return seen["stoppers"][-1]

    def recording_fit(model, *args, **kwargs):
        body_before = [w.copy() for w in model.get_layer("hidden").get_weights()]
        epochs = fit(model, *args, **kwargs)
        body_after = model.get_layer("hidden").get_weights()
        body_changed = not all(np.array_equal(a, b) for a, b in zip(body_before, body_after))
        seen["stages"].append({"optimizer_lr": float(model.optimizer.learning_rate), "body_changed": body_changed})
        return epochs

    monkeypatch.setattr(transfer_runs, "build", recording_build)
    monkeypatch.setattr(transfer_runs, "_early_stopping", recording_early_stopping)
    monkeypatch.setattr(transfer_runs, "_fit", recording_fit)
    return seen


def test_frozen_body_method_keeps_the_source_body(source, spies):
    transfer.run_one(small_config(method="frozen body"), learnable_data(), source)
    target = spies["models"][-1]
    for got, want in zip(target.get_layer("hidden").get_weights(), source.get_layer("hidden").get_weights()):
        np.testing.assert_array_equal(got, want)
    assert not np.allclose(target.get_layer("head").get_weights()[0], source.get_layer("head").get_weights()[0])


def test_random_body_control_trains_only_the_head_on_scratchs_initialisation(source, spies):
    """The untrained control: nothing copied from the source (it may be None); the body is the one scratch starts
    from on the same seed (built under the same seed, as the frozen body's head is), frozen; only the head trains."""
    data = learnable_data()
    transfer.run_one(small_config(method=transfer.RANDOM_BODY, seed=3), data, None)
    control = spies["models"][-1]
    keras.utils.set_random_seed(3)
    untrained = transfer.build("mlp", name="target")       # what run_one builds on seed 3 before any training
    for got, want in zip(control.get_layer("hidden").get_weights(), untrained.get_layer("hidden").get_weights()):
        np.testing.assert_array_equal(got, want)
    assert not np.allclose(control.get_layer("head").get_weights()[0], untrained.get_layer("head").get_weights()[0])
    assert spies["stages"] and not any(stage["body_changed"] for stage in spies["stages"])


def test_two_stage_freezes_then_unfreezes_at_a_lower_learning_rate(source, spies):
    cfg = small_config(method="two-stage", second_stage_lr_factor=0.1)
    transfer.run_one(cfg, learnable_data(), source)
    stage1, stage2 = spies["stages"]
    assert not stage1["body_changed"] and stage2["body_changed"]
    assert stage1["optimizer_lr"] == pytest.approx(cfg.learning_rate)
    assert stage2["optimizer_lr"] == pytest.approx(cfg.learning_rate * 0.1)


def test_early_stopping_restores_the_best_weights(source, spies):
    data = learnable_data()
    cfg = small_config(method="fine-tune all", learning_rate=1.0, max_epochs=6, patience=1)  # a rate that overshoots
    transfer.run_one(cfg, data, source)
    stopper, target = spies["stoppers"][-1], spies["models"][-1]
    assert min(stopper.losses) < stopper.losses[-1], "test set-up: the last epoch must not be the best"
    final_loss, _ = transfer.predict_loss_accuracy(target, data["x_train"][data["val"]], data["y_train"][data["val"]])
    assert final_loss == pytest.approx(min(stopper.losses), rel=1e-5)


def test_two_stage_row_says_whether_stage_2_was_kept(source):
    data = learnable_data()
    kept = transfer.run_one(small_config(method="two-stage", second_stage_lr_factor=1.0), data, source)
    assert kept["stage2_epochs"] >= 1 and kept["stage2_epochs_kept"] >= 1 and not kept["stage2_rolled_back"]
    assert kept["epochs"] > kept["stage2_epochs"]
    # at learning rate 0, stage 2 cannot improve the validation loss: its epochs are all rolled back
    rolled_back = transfer.run_one(small_config(method="two-stage", second_stage_lr_factor=0.0), data, source)
    assert rolled_back["stage2_epochs"] >= 1 and rolled_back["stage2_epochs_kept"] == 0
    assert rolled_back["stage2_rolled_back"]
    assert "stage2_rolled_back" not in transfer.run_one(small_config(method="frozen body"), data, source)


def test_other_methods_run_and_unknown_method_fails(source):
    data = tiny_data()  # scratch, fine-tune all, frozen body and two-stage run in the tests above
    for method in ("l2-sp", "joint"):
        cfg = transfer.RunConfig(method=method, n_train=20, max_epochs=1, min_steps_per_epoch=2, batch_size=16,
                                 l2sp_lambda=0.01, joint_alpha=0.5)
        result = transfer.run_one(cfg, data, source)
        assert 0.0 <= result["test_accuracy"] <= 1.0 and result["epochs"] >= 1
    with pytest.raises(ValueError, match="Unknown method"):
        transfer.run_one(transfer.RunConfig(method="magic", n_train=20), data, source)


# ---- the recorded grid stays reproducible -------------------------------------------------------------

def test_sampler_reproduces_the_draws_of_the_recorded_grid():
    """Digests of the draws made by the sampler the grid CSVs were recorded with (``transfer.sample_indices``,
    scikit-learn 1.9): a different draw would make every recorded row describe other training images."""
    labels = np.random.default_rng(7).integers(0, 10, 6000)
    pool, val = transfer.split_validation(labels, 500, seed=0)
    digest = lambda idx: hashlib.sha256(np.asarray(idx, dtype=np.int64).tobytes()).hexdigest()[:16]  # noqa: E731
    assert (digest(pool), digest(val)) == ("a838b36a3aa1d97c", "30d19eb414011602")
    recorded = {(100, 0): "48be05682554faf6", (100, 1): "f7d829c78c349090", (300, 2): "d15e81d34a82ce15",
                (1000, 0): "59cd0f5b25c44e07", (6000, 0): "a838b36a3aa1d97c"}
    for (n, seed), expected in recorded.items():
        assert digest(runs.stratified_sample(labels, n, seed, pool=pool)) == expected, (n, seed)
    data = {"y_train": labels, "pool": pool}
    assert np.array_equal(transfer.training_subset(data, 300, 2), runs.stratified_sample(labels, 300, 2, pool=pool))


@pytest.mark.parametrize("path", GRID_CSVS, ids=lambda p: p.name)
def test_recorded_rows_keep_their_keys(path):
    table = pd.read_csv(path)
    fields = [f for f in transfer.RunConfig.__dataclass_fields__ if f in table.columns]   # old files: no `target`
    recomputed = [transfer.config_key(transfer.RunConfig(**row)) for row in table[fields].to_dict("records")]
    assert recomputed == table["key"].tolist()


def test_grid_configs_match_the_recorded_rows():
    assert len(GRID_CSVS) == 7, GRID_CSVS   # grid, grid_cnn, advanced, the budget control, the near control and the
    #                                          untrained (random-body) controls of the far grid and the near control
    recorded = set(pd.concat([pd.read_csv(p) for p in GRID_CSVS])["key"])
    for kind, ns, seeds in (("mlp", transfer_grid.N_GRID, (0, 1, 2)), ("cnn", (100, 300, 1000), (0, 1, 2))):
        wanted = {transfer.config_key(c) for c in transfer.grid_configs(kind, ns=ns, seeds=seeds)}
        assert wanted <= recorded, f"{len(wanted - recorded)} {kind} grid cells have no recorded row"
    advanced = {transfer.config_key(c) for kind in ("mlp", "cnn") for c in transfer.advanced_configs(kind)}
    assert advanced <= recorded
    control = {transfer.config_key(c) for c in transfer.control_configs("mlp")}
    control |= {transfer.config_key(c) for c in transfer.control_configs("cnn", ns=(1000,),
                                                                           methods=("scratch", "frozen body"))}
    assert control <= set(pd.read_csv(RESULTS / "05_transfer_budget.csv")["key"])
    random_far = {transfer.config_key(c) for kind in ("mlp", "cnn") for c in transfer.random_body_configs(kind)}
    assert random_far <= set(pd.read_csv(RESULTS / "05_transfer_random_body.csv")["key"])
    random_near = {transfer.config_key(c) for c in transfer.near_random_body_configs()}
    assert random_near <= set(pd.read_csv(RESULTS / "05_transfer_near_random_body.csv")["key"])


# ---- the results cache --------------------------------------------------------------------------------

def test_config_key_changes_with_every_parameter():
    base = transfer.RunConfig()
    assert transfer.config_key(base) == transfer.config_key(transfer.RunConfig())
    changed = [replace(base, n_train=300), replace(base, seed=1), replace(base, method="frozen body"),
               replace(base, learning_rate=1e-4), replace(base, source="other"), replace(base, l2sp_lambda=0.1),
               replace(base, target="near")]
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
    third = transfer.cached_run(replace(cfg, seed=5, method="scratch"), data, source, tmp_path / "r.csv",
                                verbose=False)
    assert not third["cached"]
    table = pd.read_csv(tmp_path / "r.csv")
    assert len(table) == 2 and table["stage2_rolled_back"].isna().tolist() == [False, True]


def test_a_sweep_can_report_validation_accuracy_only(tmp_path, source, capsys):
    """Lesson 5's λ and α sweeps choose on validation data: their log line must not show test accuracy."""
    cfg = transfer.RunConfig(n_train=20, max_epochs=1, min_steps_per_epoch=2, batch_size=16, val_size=20,
                             method="l2-sp", l2sp_lambda=0.01, source="test")
    row = transfer.cached_run(cfg, tiny_data(), source, tmp_path / "r.csv", report="val_accuracy")
    line = capsys.readouterr().out
    assert f"validation accuracy {row['val_accuracy']:.3f}" in line and "test accuracy" not in line
    transfer.cached_run(replace(cfg, seed=1), tiny_data(), source, tmp_path / "r.csv")
    assert "test accuracy" in capsys.readouterr().out       # the default reports test accuracy, as before
    with pytest.raises(ValueError, match="report="):
        transfer.cached_run(cfg, tiny_data(), source, tmp_path / "r.csv", report="loss")


def test_an_interrupted_results_write_keeps_the_previous_file(tmp_path, source, monkeypatch):
    data, path = tiny_data(), tmp_path / "r.csv"
    cfg = transfer.RunConfig(n_train=20, max_epochs=1, min_steps_per_epoch=2, batch_size=16, source="test")
    transfer.cached_run(cfg, data, source, path, verbose=False)
    before = path.read_bytes()
    real_to_csv = pd.DataFrame.to_csv

    def crash_half_way(frame, target, **kwargs):
        real_to_csv(frame.iloc[: len(frame) // 2 + 1], target, **kwargs)  # part of the rows reach the disk
        raise KeyboardInterrupt("interrupted while writing")

    monkeypatch.setattr(pd.DataFrame, "to_csv", crash_half_way)
    with pytest.raises(KeyboardInterrupt):
        transfer.cached_run(replace(cfg, seed=1), data, source, path, verbose=False)
    monkeypatch.undo()
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["r.csv"]
    assert transfer.cached_run(cfg, data, source, path, verbose=False)["cached"]
    assert not transfer.cached_run(replace(cfg, seed=1), data, source, path, verbose=False)["cached"]
    assert len(pd.read_csv(path)) == 2


def test_grid_configs_cover_every_cell_and_table_renders(tmp_path):
    cfgs = transfer.grid_configs("mlp", ns=(100, 300), seeds=(0, 1))
    assert len(cfgs) == 2 * 2 * len(transfer.METHODS)
    assert len({transfer.config_key(c) for c in cfgs}) == len(cfgs)
    rows = [dict(vars(c), key=transfer.config_key(c), test_accuracy=0.5 + 0.01 * c.seed) for c in cfgs]
    rows += [dict(vars(c), key=transfer.config_key(c), test_accuracy=0.6)
             for c in transfer.grid_configs("mlp", ns=(1000,), seeds=(0,))]
    pd.DataFrame(rows).to_csv(tmp_path / "g.csv", index=False)
    table = experiments.markdown_table(tmp_path / "g.csv")
    assert "| 100 |" in table and "0.505 ± 0.007 (2)" in table
    assert "| 1000 | 0.600 (1 seed) |" in table and "± 0.000" not in table
    pd.DataFrame([dict(r, epochs=3 + r["seed"] if r["method"] == "scratch" else 15) for r in rows]).to_csv(
        tmp_path / "e.csv", index=False)
    epochs = experiments.markdown_table(tmp_path / "e.csv").split("epochs run")[1]
    assert "| 100 | 3-4 | 15 | 15 | 15 |" in epochs and "| 1000 | 3 | 15 | 15 | 15 |" in epochs


def test_complete_seeds_drops_a_seed_some_methods_missed():
    rows = [dict(model="mlp", n_train=100, seed=seed, method=m, l2sp_lambda=0.0, joint_alpha=0.0)
            for seed in (0, 1) for m in transfer.METHODS]
    rows = rows[:-1]  # seed 1 misses its last method
    kept = transfer.complete_seeds(pd.DataFrame(rows))
    assert set(kept["seed"]) == {0} and len(kept) == len(transfer.METHODS)


def test_summarise_gives_mean_sd_and_count_per_cell():
    rows = [dict(model="mlp", method="scratch", n_train=100, test_accuracy=v) for v in (0.6, 0.7, 0.8)]
    rows.append(dict(model="mlp", method="scratch", n_train=300, test_accuracy=0.9))
    stats = transfer.summarise(pd.DataFrame(rows)).set_index("n_train")
    assert stats.loc[100, "mean"] == pytest.approx(0.7) and stats.loc[100, "sd"] == pytest.approx(0.1)
    assert stats.loc[100, "count"] == 3 and np.isnan(stats.loc[300, "sd"])
    assert stats.loc[100, "low"] == pytest.approx(0.7 - 4.303 * 0.1 / np.sqrt(3), abs=1e-3)   # t interval of the mean


# ---- reading the grid: paired gains, choices on validation, the rollback report ------------------------

def seed_rows(method, accuracies, n=300, model="cnn", **extra):
    return [dict(model=model, n_train=n, seed=s, method=method, test_accuracy=a, **extra)
            for s, a in enumerate(accuracies)]


def test_paired_gains_pair_by_seed_and_give_no_interval_for_one_seed():
    # scratch varies a lot between subsets; the method is 1 point above it on every subset
    rows = seed_rows("scratch", [0.70, 0.78, 0.74]) + seed_rows("frozen body", [0.711, 0.789, 0.751])
    rows += seed_rows("scratch", [0.85], n=3000) + seed_rows("frozen body", [0.84], n=3000)
    gains = transfer.paired_gains(pd.DataFrame(rows)).set_index("n_train")
    small = gains.loc[300]
    assert small["seeds"] == 3 and small["gain"] == pytest.approx(0.01, abs=1e-3)
    assert 0 < small["low"] < 0.01 < small["high"] and small["verdict"] == "helped"   # unpaired, the sds (0.04) swamp it
    single = gains.loc[3000]
    assert single["seeds"] == 1 and np.isnan(single["low"]) and single["verdict"] == "1 seed: no interval"


def test_random_body_gains_split_the_frozen_bodys_loss_into_features_and_freezing():
    rows = seed_rows("scratch", [0.80, 0.84, 0.82]) + seed_rows("frozen body", [0.75, 0.80, 0.77])
    rows += seed_rows(transfer.RANDOM_BODY, [0.74, 0.78, 0.76])
    gains = transfer.random_body_gains(pd.DataFrame(rows)).set_index("comparison")
    assert gains.loc["features", "gain"] == pytest.approx(0.0133, abs=1e-3)     # frozen body minus random body
    assert gains.loc["freezing", "gain"] == pytest.approx(-0.06, abs=1e-3)      # random body minus scratch
    assert (gains["seeds"] == 3).all() and gains.loc["freezing", "verdict"] == "hurt"


def test_choose_on_validation_never_looks_at_test_accuracy():
    def sweep(lam, val, test):
        return seed_rows("l2-sp", test, l2sp_lambda=lam, joint_alpha=0.0, val_accuracy=val)
    rows = sweep(0.01, 0.80, [0.70, 0.71, 0.72]) + sweep(0.1, 0.75, [0.90, 0.91, 0.92])  # test prefers 0.1
    rows += seed_rows("fine-tune all", [0.69, 0.70, 0.71], l2sp_lambda=0.0, joint_alpha=0.0, val_accuracy=0.79)
    chosen = transfer.choose_on_validation(pd.DataFrame(rows)).iloc[0]
    assert chosen["setting"] == 0.01 and chosen["test_accuracy"] == pytest.approx(0.71)
    assert chosen["gain"] == pytest.approx(0.01) and chosen["seeds"] == 3


def test_rollback_report_sets_two_stage_beside_the_frozen_body():
    rows = seed_rows("frozen body", [0.70, 0.72])
    rows += seed_rows("two-stage", [0.70, 0.73], stage2_epochs=2, stage2_epochs_kept=0)
    report = transfer.rollback_report(pd.DataFrame(rows))
    assert report["two-stage − frozen"].tolist() == [0.0, pytest.approx(0.01)]
    assert report["stage2_epochs_kept"].tolist() == [0, 0]


def test_sweep_legend_promises_no_spread_for_one_seed():
    import matplotlib
    matplotlib.use("Agg")
    one = pd.DataFrame(seed_rows("l2-sp", [0.7], l2sp_lambda=0.01) + seed_rows("l2-sp", [0.72], l2sp_lambda=0.1))
    legend = lambda ax: " | ".join(t.get_text() for t in ax.get_legend().get_texts())  # noqa: E731
    assert "1 seed, no error bar" in legend(transfer.plot_sweep(one, "l2sp_lambda", 0.7, "t", "λ"))
    assert "± 1 sd" not in legend(transfer.plot_sweep(one, "l2sp_lambda", 0.7, "t", "λ"))
    three = pd.DataFrame(seed_rows("l2-sp", [0.7, 0.71, 0.72], l2sp_lambda=0.01))
    assert "± 1 sd over 3 seeds" in legend(transfer.plot_sweep(three, "l2sp_lambda", 0.7, "t", "λ"))


def test_sweep_legend_uses_the_prose_names_and_labels_every_swept_value():
    import matplotlib
    matplotlib.use("Agg")
    legend = lambda ax: " | ".join(t.get_text() for t in ax.get_legend().get_texts())  # noqa: E731
    rows = lambda method: pd.DataFrame(seed_rows(method, [0.7, 0.71], joint_alpha=0.3)  # noqa: E731
                                       + seed_rows(method, [0.72, 0.73], joint_alpha=1.0))
    assert "plain L2 (± 1 sd" in legend(transfer.plot_sweep(rows("l2"), "joint_alpha", 0.7, "t", "α", method="l2"))
    l2sp = legend(transfer.plot_sweep(rows("l2-sp"), "joint_alpha", 0.7, "t", "α"))
    assert "L2-SP (± 1 sd" in l2sp and "l2-sp" not in l2sp
    ax = transfer.plot_sweep(rows("joint"), "joint_alpha", 0.7, "t", "α", method="joint")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.3", "1"]


def test_sweep_plots_validation_accuracy_when_asked():
    import matplotlib
    matplotlib.use("Agg")
    rows = pd.DataFrame(seed_rows("l2-sp", [0.70, 0.72], l2sp_lambda=0.01, val_accuracy=0.81)
                        + seed_rows("l2-sp", [0.90, 0.92], l2sp_lambda=0.1, val_accuracy=0.75))
    ax = transfer.plot_sweep(rows, "l2sp_lambda", 0.8, "t", "λ", metric="val_accuracy")
    assert ax.get_ylabel() == "validation accuracy (fraction)"
    assert list(ax.lines[0].get_ydata()) == pytest.approx([0.81, 0.75])   # not test accuracy
    assert transfer.plot_sweep(rows, "l2sp_lambda", 0.8, "t", "λ").get_ylabel() == "test accuracy"


def test_control_configs_are_the_grid_cells_with_a_larger_epoch_cap():
    control = transfer.control_configs("mlp")
    assert {(c.n_train, c.method) for c in control} == {(n, m) for n in transfer_grid.CONTROL_N
                                                         for m in transfer_grid.CONTROL_METHODS}
    for c in control:
        grid_cell = transfer_grid.grid_config("mlp", c.method, c.n_train, c.seed)
        assert c.max_epochs == transfer_grid.CONTROL_MAX_EPOCHS > grid_cell.max_epochs
        assert replace(c, max_epochs=grid_cell.max_epochs) == grid_cell   # nothing else differs
    with pytest.raises(ValueError, match="not budget settings"):
        transfer_grid.grid_config("mlp", "scratch", 300, 0, max_epoch=50)


def test_a_trainer_passed_in_trains_the_run_and_keys_its_row(tmp_path, source):
    calls = []

    def head_only(model, cfg, x, y, val, **_):
        calls.append(len(x))
        return {"epochs": 0}

    def head_only_edited(model, cfg, x, y, val, **_):
        calls.append(len(x) + 1)
        return {"epochs": 0}

    assert transfer.trainer_tag(head_only) != transfer.trainer_tag(head_only_edited)
    cfg = transfer.RunConfig(n_train=20, max_epochs=1, min_steps_per_epoch=2, batch_size=16, method="two-stage",
                             source="test")
    path = tmp_path / "r.csv"
    row = transfer.cached_run(cfg, tiny_data(), source, path, verbose=False, trainer=head_only)
    assert calls and row["epochs"] == 0 and row["source"].startswith("test|head_only:")
    plain = transfer.cached_run(cfg, tiny_data(), source, path, verbose=False)   # the built-in two-stage: a new row
    assert not plain["cached"] and plain["key"] != row["key"]
    assert transfer.cached_run(cfg, tiny_data(), source, path, verbose=False, trainer=head_only)["cached"]


def test_pitfall7_budget_control_runs_every_recipe_with_the_epochs_its_name_says(monkeypatch, source):
    """Lesson 8's budget control (docs/results/08_pitfalls_faq.md): one row per seed, rate and recipe."""
    from course_utils.data import datasets
    from course_utils.lessons import transfer_models

    rng = np.random.default_rng(0)
    fake = datasets.ImageArrays(x_train=rng.integers(0, 256, (80, 28, 28)).astype("uint8"),
                                y_train=np.arange(80) % 10, x_test=np.zeros((1, 28, 28), "uint8"),
                                y_test=np.zeros(1, int), class_names=[str(i) for i in range(10)])
    monkeypatch.setattr(datasets, "load_fashion_mnist", lambda: fake)
    monkeypatch.setattr(transfer_models, "load_source", lambda kind: (source, "fake source"))
    fits = []
    real_fit = keras.Model.fit
    monkeypatch.setattr(keras.Model, "fit", lambda self, *a, **k: fits.append(k["epochs"]) or real_fit(self, *a, **k))
    recipes = ("one-stage", "one-stage, double", "two-stage", "scratch", "scratch, double")
    rows, origin = transfer_runs.pitfall7_budget_control(seeds=(0,), epochs=1, learning_rates=(1e-3,), recipes=recipes,
                                                        n_target=50, n_val=30)
    assert origin == "fake source"
    assert list(rows["recipe"]) == ["one-stage, 1 epochs", "one-stage, 2 epochs", "two-stage, 1 + 1 epochs",
                                    "scratch, 1 epochs", "scratch, 2 epochs"]
    assert fits == [1, 2, 1, 1, 1, 2]                  # two-stage: two fits of one epoch each
    assert rows["val accuracy"].between(0, 1).all()
