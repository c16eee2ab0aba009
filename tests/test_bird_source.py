"""Lesson 7's bird source: no photo of the 10 target species or of the 10 unknown species in its training data;
the transfer runs on a tiny synthetic task (every method and depth)."""
import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from conftest import make_cub100_mirror

from course_utils.data import cub_species
from course_utils.data.birds import BIRD_SPECIES
from course_utils.lessons import bird_source

MIRROR = Path(os.environ.get("COURSE_DATA_MIRROR", "/nonexistent"))
EXCLUDED = set(BIRD_SPECIES) | set(cub_species.OTHER_SPECIES)


def test_source_species_are_a_fixed_list_disjoint_from_targets_and_unknowns():
    species = cub_species.SOURCE_SPECIES
    assert len(species) == 80 == len(set(species)) and species == sorted(species)
    assert not set(species) & EXCLUDED
    assert set(cub_species.NEAR_RELATIVES) <= set(cub_species.OTHER_SPECIES)
    assert all(known in BIRD_SPECIES for known, _genus in cub_species.NEAR_RELATIVES.values())


@pytest.fixture
def fake_cub100(tmp_path, monkeypatch):
    """A mirror whose cub100/ holds two source species, one target and one unknown species (4 photos each)."""
    return make_cub100_mirror(tmp_path, monkeypatch, (*cub_species.SOURCE_SPECIES[:2], BIRD_SPECIES[0],
                                                      cub_species.OTHER_SPECIES[0]), per_species=4, train=2)


def test_source_photos_come_only_from_the_source_species_folders(fake_cub100):
    photos = bird_source.source_photos(cub_species.SOURCE_SPECIES[:2])
    assert len(photos.files) == 8 and {p.parent.name for p in photos.files} == set(cub_species.SOURCE_SPECIES[:2])
    assert photos.labels.tolist() == [0] * 4 + [1] * 4
    assert photos.is_val.sum() == 0   # every 10th photo of a species: none among 4


def test_long_species_lists_get_a_short_cache_folder_name():
    name = cub_species.source_folder_name(cub_species.SOURCE_SPECIES)
    assert len(name) < 40 and name.startswith("80-species-")
    assert cub_species.source_folder_name(["046.Gadwall", "014.Indigo_Bunting"]) == "014-046"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.skipif(not (MIRROR / "cub100" / "cub100_split.csv").is_file(), reason="needs the mirror's cub100/")
def test_no_target_or_unknown_photo_is_in_the_source_training_data(monkeypatch):
    """By folder, by file contents and by a 16 px picture: none of the source's photos is a photo of the 20."""
    from course_utils.data.images import decode_files

    monkeypatch.setenv("COURSE_DATA_MIRROR", str(MIRROR))
    photos = bird_source.source_photos()
    assert len(photos.files) > 4000 and not {p.parent.name for p in photos.files} & EXCLUDED
    excluded_files = [p for name in EXCLUDED for p in (MIRROR / "cub100" / name).glob("*.jpg")]
    excluded_files += list((MIRROR / "birds").glob("*/*.jpg"))
    assert len(excluded_files) > 1000
    source_hashes = {_sha(p) for p in photos.files}
    assert not source_hashes & {_sha(p) for p in excluded_files}
    # the same photo re-encoded would differ in bytes: compare small grayscale pictures too
    small = lambda files: decode_files(files, 16).mean(-1).reshape(len(files), -1)  # noqa: E731
    src, other = small(photos.files), small(excluded_files)
    src = (src - src.mean(1, keepdims=True)) / (src.std(1, keepdims=True) + 1e-6)
    other = (other - other.mean(1, keepdims=True)) / (other.std(1, keepdims=True) + 1e-6)
    best = (other @ src.T / src.shape[1]).max()   # highest correlation of any pair
    assert best < 0.98, f"a source photo looks like a target or unknown photo (correlation {best:.3f})"


# --- the transfer runs, on a tiny synthetic task --------------------------------------------------
@pytest.fixture(scope="module")
def tiny():
    rng = np.random.default_rng(0)
    def images(n, label_of):
        y = np.arange(n) % 3
        x = rng.integers(0, 60, (n, 16, 16, 3)).astype(np.uint8)
        x[y == 1, :8] += 150   # class 1: bright top half, class 2: bright left half
        x[y == 2, :, :8] += 150
        return x, y
    (xs, ys), (xt, yt), (xv, yv), (xe, ye) = images(60, 0), images(30, 0), images(15, 0), images(15, 0)
    import keras

    keras.utils.set_random_seed(0)
    source = bird_source.build_conv4(3, image_size=16, width=8)
    source.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    source.fit(xs.astype("float32"), ys, epochs=2, verbose=0)
    target = bird_source.Target({"train": xt, "val": xv, "test": xe}, {"train": yt, "val": yv, "test": ye}, 3)
    return source, target


def test_subset_indices_take_n_per_class_reproducibly():
    labels = np.repeat(np.arange(3), 7)
    a, b = bird_source.subset_indices(labels, 2, seed=5), bird_source.subset_indices(labels, 2, seed=5)
    assert np.array_equal(a, b) and np.bincount(labels[a]).tolist() == [2, 2, 2]
    assert len(bird_source.subset_indices(labels, None, seed=5)) == 21
    assert not np.array_equal(a, bird_source.subset_indices(labels, 2, seed=6))


def test_new_head_copies_the_body_and_leaves_the_source_alone(tiny):
    source, _ = tiny
    fresh = bird_source.with_new_head(source, 5, seed=1)
    assert fresh.output_shape == (None, 5)
    np.testing.assert_array_equal(fresh.get_layer("block3_conv").get_weights()[0],
                                  source.get_layer("block3_conv").get_weights()[0])
    fresh.get_layer("block3_conv").kernel.assign(np.zeros_like(fresh.get_layer("block3_conv").get_weights()[0]))
    assert np.abs(source.get_layer("block3_conv").get_weights()[0]).sum() > 0


@pytest.mark.parametrize("depth, changed", [("head only", set()), ("top block", {"block4"}),
                                            ("everything", {"block1", "block2", "block3", "block4"})])
def test_depth_decides_which_blocks_learn(tiny, depth, changed):
    source, target = tiny
    model = bird_source.with_new_head(source, 3, seed=0)
    before = {layer.name: [w.copy() for w in layer.get_weights()] for layer in model.layers if layer.weights}
    bird_source.train_network(model, target.x["train"], target.y["train"], bird_source.DEPTHS[depth], seed=0, steps=3)
    moved = {name.split("_")[0] for name, ws in before.items()
             if any(not np.array_equal(w, v) for w, v in zip(ws, model.get_layer(name).get_weights()))}
    assert moved == changed | {"logits"}


@pytest.mark.parametrize("method", bird_source.METHODS)
def test_every_method_gives_a_row_with_per_photo_correctness(tiny, method):
    source, target = tiny
    row = bird_source.transfer_run(method, source, target, n_per_class=2, seed=0, steps=3)
    assert row["n_train"] == 6 and row["method"] == method and len(row["test_correct"]) == 15
    assert 0 <= row["test_accuracy"] <= 1 and row["test_accuracy"] == row["test_correct"].mean()


def test_frozen_random_probes_the_scratch_arms_untrained_start_not_the_source(tiny):
    """The untrained control: its network is the one scratch starts from on the same seed (same weights), and the
    source's weights play no part in it (a source with other weights gives the same row)."""
    import keras

    source, target = tiny
    start = bird_source.random_network(source, target, seed=3)
    keras.utils.set_random_seed(3)
    scratch_start = bird_source.build_conv4(target.n_classes, 16, 8, bn_momentum=bird_source.TARGET_BN_MOMENTUM)
    for a, b in zip(start.get_weights(), scratch_start.get_weights()):
        np.testing.assert_array_equal(a, b)
    row = bird_source.transfer_run("frozen random", source, target, n_per_class=2, seed=3)
    other = keras.models.clone_model(source)   # same shape, other (fresh) weights
    again = bird_source.transfer_run("frozen random", other, target, n_per_class=2, seed=3)
    assert row["steps"] == 0 and row["depth"] == "linear probe"
    np.testing.assert_array_equal(row["test_correct"], again["test_correct"])
    assert row["val_accuracy"] == again["val_accuracy"]


def test_paired_gains_compare_each_arm_with_scratch_on_the_same_seeds():
    import pandas as pd

    rows = [{"method": m, "depth": d, "n_per_class": 5, "seed": s, "test_accuracy": acc + 0.01 * s}
            for s in range(3) for m, d, acc in (("scratch", "everything", 0.3), ("frozen", "linear probe", 0.5),
                                                 ("fine-tuned", "top block", 0.4))]
    gains = bird_source.paired_gains(pd.DataFrame(rows)).set_index("arm")
    assert gains.loc["frozen", "gain"] == pytest.approx(0.2) and gains.loc["fine-tuned (top block)", "seeds"] == 3


def test_paired_gains_take_another_baseline_and_metric():
    import pandas as pd

    rows = [{"method": "fine-tuned", "depth": d, "n_per_class": "5", "seed": s, "test_accuracy": 0.5,
             "val_accuracy": acc + 0.01 * s * (d == "head only")}
            for s in range(3) for d, acc in (("everything", 0.4), ("head only", 0.5))]
    gains = bird_source.paired_gains(pd.DataFrame(rows), baseline="fine-tuned (everything)", metric="val_accuracy")
    assert gains["arm"].tolist() == ["fine-tuned (head only)"]
    assert gains["gain"].iloc[0] == pytest.approx(0.11) and gains["low"].iloc[0] > 0


def _twin_runs(accuracies, weights=None, source="s.keras"):
    import pandas as pd

    rows = [{"method": m, "depth": d, "n_per_class": "5", "seed": 0, "steps": steps, "source": source,
             "test_accuracy": accuracies[m]}
            for m, d, steps in (("frozen", "linear probe", 0), ("fine-tuned", "everything", 80),
                                ("scratch", "everything", 80))]
    table = pd.DataFrame(rows)
    return table if weights is None else table.assign(source_weights=weights)


def test_rerun_gaps_say_which_twins_read_the_same_source_weights():
    """Lesson 7's rerun comparison: scratch never uses the source; the transferred arms are twins only when the
    source weights' fingerprints match, and a recorded table without fingerprints cannot say."""
    live = _twin_runs({"frozen": 0.5, "fine-tuned": 0.4, "scratch": 0.3}, weights="aaa")
    recorded = {"frozen": 0.51, "fine-tuned": 0.4, "scratch": 0.3}
    gaps = bird_source.rerun_gaps(live, _twin_runs(recorded), n_test=300)
    assert gaps["arm"].iloc[0] == "scratch"
    assert dict(zip(gaps["arm"], gaps["source weights"])) == {
        "scratch": "not used", "frozen": "not recorded", "fine-tuned (everything)": "not recorded"}
    assert dict(zip(gaps["arm"], gaps["difference"])) == {"scratch": 0, "frozen": -3, "fine-tuned (everything)": 0}
    assert set(bird_source.rerun_gaps(live, _twin_runs(recorded, "aaa"), 300)["source weights"]) == {"not used", "same"}
    assert set(bird_source.rerun_gaps(live, _twin_runs(recorded, "bbb"), 300)["source weights"]) == {"not used",
                                                                                                     "different"}
    assert bird_source.rerun_gaps(live, _twin_runs(recorded, source="other.keras"), 300).empty


def test_rerun_gaps_call_twins_different_from_the_records_not_from_retraining():
    """A recorded table without fingerprints: its twins read other source weights when the two source models'
    recorded validation accuracies differ (0.253 live, 0.269 for the grid); equal or missing accuracies cannot tell.
    Retraining alone proves nothing (two retrainings gave the same weights). Frozen random never reads the source."""
    import pandas as pd

    live = _twin_runs({"frozen": 0.5, "fine-tuned": 0.4, "scratch": 0.3}, weights="aaa")
    recorded = _twin_runs({"frozen": 0.51, "fine-tuned": 0.4, "scratch": 0.3})
    control = live[live["method"] == "scratch"].assign(method="frozen random", depth="linear probe", steps=0)
    live, recorded = pd.concat([live, control]), pd.concat([recorded, control.drop(columns="source_weights")])
    gaps = bird_source.rerun_gaps(live, recorded, n_test=300, live_source_accuracy=0.2533,
                                  recorded_source_accuracy=0.269)
    assert dict(zip(gaps["arm"], gaps["source weights"])) == {
        "scratch": "not used", "frozen random": "not used", "frozen": "different",
        "fine-tuned (everything)": "different"}
    assert list(gaps["source weights"][:2]) == ["not used", "not used"]
    for accuracies in ({}, {"live_source_accuracy": 0.2686, "recorded_source_accuracy": 0.269},
                       {"live_source_accuracy": 0.2533}):
        loaded = bird_source.rerun_gaps(live, recorded, n_test=300, **accuracies)
        assert set(loaded["source weights"]) == {"not used", "not recorded"}


def test_the_grid_source_record_matches_the_results_file():
    record = bird_source.recorded_source()
    if record is None:
        pytest.skip("no docs/results in this checkout")
    assert record["source val accuracy"] == record["val accuracy per epoch"][-1] == 0.269
    assert "**0.269**" in (bird_source.results_csv("07_birds.md")).read_text()


def test_the_transfer_figure_labels_all_with_its_photos_per_species():
    import pandas as pd

    rows = [{"method": "scratch", "depth": "everything", "n_per_class": n, "n_train": t, "seed": 0}
            for n, t in (("1", 10), ("10", 100), ("all", 238))]
    assert bird_source.size_ticks(pd.DataFrame(rows)) == ["1", "10", "all (≈24)"]


def test_source_record_carries_the_fingerprint_of_its_weights(tmp_path, monkeypatch):
    """The cache file's name hashes the settings and photos, not the weights: the record gives the weights'
    fingerprint, the same after a reload and another when the model is trained again under the same name."""
    from course_utils import caching
    from course_utils.data import images

    make_cub100_mirror(tmp_path, monkeypatch, cub_species.SOURCE_SPECIES[:2], per_species=10, train=5)
    monkeypatch.setenv("COURSE_ARTIFACTS_DIR", str(tmp_path / "artifacts"))
    rng = np.random.default_rng(0)   # fake photos: another draw at each decoding, so retraining differs
    monkeypatch.setattr(images, "decode_files",
                        lambda files, size: rng.integers(0, 256, (len(files), size, size, 3)).astype(np.uint8))
    photos = bird_source.source_photos(cub_species.SOURCE_SPECIES[:2])
    model, first = bird_source.pretrained_source_model(photos, image_size=16, epochs=1, verbose=False)
    assert not first["cache hit"] and first["weights fingerprint"] == caching.weights_fingerprint(model)
    _, loaded = bird_source.pretrained_source_model(photos, image_size=16, epochs=1, verbose=False)
    assert loaded["cache hit"] and loaded["weights fingerprint"] == first["weights fingerprint"]
    _, again = bird_source.pretrained_source_model(photos, image_size=16, epochs=1, retrain=True, verbose=False)
    assert again["file"] == first["file"] and again["weights fingerprint"] != first["weights fingerprint"]


def test_depth_choice_marks_sizes_where_only_one_depth_ran():
    import pandas as pd

    rows = [{"method": "fine-tuned", "depth": d, "n_per_class": n, "seed": s, "val_accuracy": acc, "test_accuracy": acc}
            for s in range(3) for n, d, acc in (("1", "everything", 0.2), ("5", "head only", 0.5),
                                                 ("5", "everything", 0.4))]
    rows += [{"method": "scratch", "depth": "everything", "n_per_class": "5", "seed": s, "val_accuracy": 0.1,
              "test_accuracy": 0.1} for s in range(3)]
    table = bird_source.depth_choice(pd.DataFrame(rows)).set_index(["n_per_class", "depth"])["validation choice"]
    assert table.to_dict() == {("1", "everything"): "only depth run", ("5", "head only"): "chosen",
                               ("5", "everything"): ""}


RESULTS = Path(__file__).resolve().parents[1] / "docs" / "results"


def _recorded(name):
    import pandas as pd

    path = RESULTS / name
    if not path.is_file():
        pytest.skip(f"{name} is not in this checkout")
    return pd.read_csv(path, dtype={"n_per_class": str})


def test_recorded_budget_control_supports_the_lesson_text():
    """Lesson 7 and 07_birds.md: with all photos, fine-tuned vs frozen is not told apart at 80 steps but
    fine-tuned is above frozen at 320 (3 seeds), and scratch at 320 steps is not told apart from frozen."""
    import pandas as pd

    grid, budget = _recorded("07_bird_source_grid.csv"), _recorded("07_bird_source_budget.csv")
    grid = grid[(grid["n_per_class"] == "all") & grid["seed"].isin([0, 1, 2])
                & grid["depth"].isin(["everything", "linear probe"])]
    frozen = grid[grid["method"] == "frozen"]
    at = {80: grid[grid["method"] != "frozen"], 320: budget[budget["steps"] == 320]}
    gains = {steps: bird_source.paired_gains(pd.concat([runs, frozen]), baseline="frozen").set_index("arm")
             for steps, runs in at.items()}
    tuned_80, tuned_320 = (gains[s].loc["fine-tuned (everything)"] for s in (80, 320))
    assert tuned_80["low"] < 0 < tuned_80["high"]
    assert tuned_320["low"] > 0 and tuned_320["gain"] == pytest.approx(0.071, abs=0.001)
    scratch_320 = gains[320].loc["scratch"]
    assert scratch_320["low"] < 0 < scratch_320["high"]
    # the lesson quotes frozen minus scratch at 320 steps: +0.9 points (-8.3 to +10.1)
    assert [round(-100 * scratch_320[k], 1) for k in ("gain", "high", "low")] == [0.9, -8.3, 10.1]


def test_recorded_head_only_is_below_the_frozen_probe_on_every_seed_with_all_photos():
    grid = _recorded("07_bird_source_grid.csv")
    grid = grid[grid["n_per_class"] == "all"]
    probe = grid[grid["method"] == "frozen"].set_index("seed")
    head = grid[(grid["method"] == "fine-tuned") & (grid["depth"] == "head only")].set_index("seed")
    for metric in ("val_accuracy", "test_accuracy"):
        assert (head[metric] < probe.loc[head.index, metric]).all()


def test_recorded_untrained_control_supports_the_lesson_text():
    """Lesson 7 (cell b7s-random-md) and 07_birds.md: the source's features beat the same network's random features
    at every size, and the probe on random features is below scratch at every size (five seeds, paired)."""
    import pandas as pd

    grid, random = _recorded("07_bird_source_grid.csv"), _recorded("07_bird_source_random.csv")
    assert sorted(random.groupby("n_per_class")["seed"].nunique().items()) == [("1", 5), ("10", 5), ("5", 5),
                                                                               ("all", 5)]
    probes = pd.concat([grid[grid["method"].isin(["frozen", "scratch"])], random])
    features = bird_source.paired_gains(probes[probes["method"] != "scratch"], baseline="frozen random")
    control = bird_source.paired_gains(probes[probes["method"] != "frozen"])
    assert (features["low"] > 0).all() and (control["high"] < 0).all() and len(features) == len(control) == 4
    quoted = {n: [round(100 * v, 1) for v in (g, lo, hi)]
              for n, g, lo, hi in features[["n_per_class", "gain", "low", "high"]].itertuples(index=False)}
    assert quoted == {"1": [19.3, 11.1, 27.6], "5": [32.7, 29.3, 36.0], "10": [29.3, 27.3, 31.2],
                      "all": [34.7, 30.7, 38.7]}
    assert sorted(round(-100 * g, 1) for g in control["gain"]) == [7.4, 12.4, 13.0, 16.3]
    means = random.groupby("n_per_class")["test_accuracy"].mean().round(3).to_dict()
    assert means == {"1": 0.139, "5": 0.229, "10": 0.285, "all": 0.303}


def test_recorded_random_resnet50_probe_is_above_the_grids_scratch_with_all_photos():
    """Lesson 7 (cell b7s-resnet-md): the random-weights ResNet50 probe's 0.493 (148 of 300 test photos, the recorded
    full run) minus the grid's scratch runs with all photos, paired by seed: +6.7 points (+1.0 to +12.3)."""
    from course_utils import stats

    grid = _recorded("07_bird_source_grid.csv")
    scratch = grid[(grid["method"] == "scratch") & (grid["n_per_class"] == "all")]["test_accuracy"]
    assert len(scratch) == 5
    assert [round(100 * v, 1) for v in stats.paired_interval(148 / 300 - scratch)] == [6.7, 1.0, 12.3]
