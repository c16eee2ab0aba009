"""Lesson 3's linear probes: the plumbing in ``course_utils.convolution`` and the seed tool that repeats the lesson."""
from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pytest

LESSON_3 = Path(__file__).resolve().parents[1] / "notebooks" / "03_convolution_mnist.ipynb"
LESSON_FUNCTIONS = ("scaled", "probe_targets", "train_source", "probe_network")


def _lesson_functions() -> dict[str, str]:
    """{name: ast.dump} of every function the lesson defines."""
    cells = json.loads(LESSON_3.read_text(encoding="utf-8"))["cells"]
    found = {}
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        if source.lstrip().startswith(("%", "!")):
            continue
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                found[node.name] = ast.dump(node)
    return found


def test_probe_tool_runs_the_lessons_cells_word_for_word():
    """``python -m course_utils.tools.probe_seeds`` uses the lesson's functions, not a variant of them."""
    import inspect

    from course_utils.tools import probe_seeds as tool

    lesson = _lesson_functions()
    for name in LESSON_FUNCTIONS:
        ours = ast.dump(ast.parse(inspect.getsource(getattr(tool, name))).body[0])
        assert lesson.get(name) == ours, f"{name} differs between the lesson and probe_seeds"


def test_probe_tool_uses_the_lessons_full_profile_settings():
    from course_utils.tools import probe_seeds as tool

    cells = json.loads(LESSON_3.read_text(encoding="utf-8"))["cells"]
    params = next("".join(c["source"]) for c in cells
                  if c["cell_type"] == "code" and "".join(c["source"]).startswith("N_TRAIN = "))

    class FullProfile:
        @staticmethod
        def by_profile(full, smoke):
            return full

    ns = {"cu": FullProfile()}
    exec(params, ns)
    assert (ns["N_TRAIN"], ns["EPOCHS"], ns["BATCH_SIZE"], ns["PROBE_LABELLED"], ns["PROBE_TEST"]) == (
        tool.N_TRAIN, tool.EPOCHS, tool.BATCH_SIZE, tool.PROBE_LABELLED, tool.PROBE_TEST)
    assert len(ns["PROBE_SEEDS"]) >= 3


def test_stage_features_flattens_every_stage_and_keeps_the_pixels():
    from course_utils import convolution, models

    cnn = models.build_mnist_cnn()
    x = np.random.default_rng(0).random((7, 28, 28, 1)).astype("float32")
    features = convolution.stage_features(cnn, x)
    assert list(features) == list(convolution.PROBE_STAGES)
    assert {k: v.shape for k, v in features.items()} == {
        "pixels": (7, 784), "conv1": (7, 26 * 26 * 32), "conv2": (7, 11 * 11 * 64), "pool2": (7, 1600), "head": (7, 10)}
    assert np.allclose(features["pixels"], x.reshape(7, -1))
    assert list(convolution.stage_features(cnn, x, stages=("conv2",))) == ["conv2"]


def test_per_class_sample_draws_each_class_and_respects_exclusions():
    from course_utils import convolution

    labels = np.repeat(np.arange(5), 10)
    rng = np.random.default_rng(1)
    first = convolution.per_class_sample(labels, range(5), 4, rng)
    assert np.bincount(labels[first], minlength=5).tolist() == [4] * 5
    second = convolution.per_class_sample(labels, range(5), 6, rng, exclude=first)
    assert not set(first) & set(second)
    with pytest.raises(ValueError, match="fewer"):
        convolution.per_class_sample(labels, range(5), 7, rng, exclude=first)


def test_fit_probe_separates_informative_features_and_not_noise():
    """A probe is near perfect on class-coded features, near chance on features unrelated to the labels."""
    from course_utils import convolution

    rng = np.random.default_rng(2)

    def part(n, informative):
        y = np.repeat(np.arange(4), n)
        x = rng.normal(size=(4 * n, 50))
        if informative:
            x[np.arange(4 * n), y] += 4.0
        return x, y

    good = convolution.fit_probe(part(20, True), part(20, True), part(200, True))
    noise = convolution.fit_probe(part(20, False), part(20, False), part(200, False))
    assert good["test_accuracy"] > 0.9 and good["C"] in convolution.PROBE_CS
    assert noise["test_accuracy"] < 0.45


def test_fit_probe_chooses_c_on_the_validation_images_only():
    """Two probes that differ only in their test images choose the same C (the test set plays no part)."""
    from course_utils import convolution

    rng = np.random.default_rng(3)
    y = np.repeat(np.arange(3), 15)
    x = rng.normal(size=(45, 30)) + 1.5 * np.eye(30)[y]
    xv = rng.normal(size=(45, 30)) + 1.5 * np.eye(30)[y]
    test_a = (rng.normal(size=(90, 30)), np.repeat(np.arange(3), 30))
    test_b = (rng.normal(size=(90, 30)) + 1.5 * np.eye(30)[np.repeat(np.arange(3), 30)], np.repeat(np.arange(3), 30))
    a, b = convolution.fit_probe((x, y), (xv, y), test_a), convolution.fit_probe((x, y), (xv, y), test_b)
    assert a["C"] == b["C"] and a["val_accuracy"] == b["val_accuracy"]


def test_fit_probe_in_the_span_of_the_training_rows_is_the_plain_probe():
    """More features than images: the probe fitted in the training rows' span predicts as the plain one does."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    from course_utils import convolution

    rng = np.random.default_rng(4)
    means = rng.normal(size=(4, 2_000)) * 0.3

    def part(n):
        y = np.repeat(np.arange(4), n)
        return means[y] + rng.normal(size=(4 * n, 2_000)), y

    train, val, test = part(15), part(15), part(100)
    ours = convolution.fit_probe(train, val, test)
    scaler = StandardScaler().fit(train[0])
    plain = LogisticRegression(C=ours["C"], max_iter=500).fit(scaler.transform(train[0]), train[1])
    assert 0.5 < ours["test_accuracy"]
    assert abs(ours["test_accuracy"] - plain.score(scaler.transform(test[0]), test[1])) <= 0.01
    assert ours["val_accuracy"] == plain.score(scaler.transform(val[0]), val[1])


def test_plot_probes_draws_one_panel_per_target():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from course_utils import convolution

    rows = [{"seed": s, "network": n, "target": t, "stage": st, "test_accuracy": 0.5}
            for s in (1, 2) for n in ("trained", "untrained") for t in ("near", "far") for st in convolution.PROBE_STAGES]
    axes = convolution.plot_probes(pd.DataFrame(rows), chance={"near": 0.2, "far": 0.1})
    assert [ax.get_title() for ax in axes] == ["near", "far"]
    assert all(ax.get_ylabel() == "probe test accuracy" for ax in axes)
    plt.close("all")


def test_linear_probe_says_when_the_chosen_c_is_an_end_of_the_grid():
    """A C inside the grid is not at an edge; a grid too strong everywhere picks its end and says so."""
    from course_utils import evaluation

    rng = np.random.default_rng(5)
    y = np.repeat(np.arange(4), 20)
    x = rng.normal(size=(80, 40))
    x[np.arange(80), y] += 5.0
    inside = evaluation.linear_probe((x, y), (x, y), x, cs=(1e-9, 1.0, 1e9))
    assert inside["C"] == 1.0 and not inside["at_edge"] and inside["val_accuracy"] == 1.0
    assert np.array_equal(inside["test_pred"], y)
    too_strong = evaluation.linear_probe((x, y), (x, y), x, cs=(1e-8, 1e-9))   # any order: sorted first
    assert too_strong["C"] == 1e-9 and too_strong["at_edge"]


def test_the_probe_grid_spans_nine_decades_of_c():
    """One grid serves stages of 10 to 21,632 features: 1e-6 to 100, one value per power of ten."""
    from course_utils import convolution

    assert np.allclose(convolution.PROBE_CS, np.logspace(-6, 2, 9))


def test_probe_tool_summarises_rows_near_minus_far_and_edges(tmp_path, capsys):
    """``--from-csv`` prints the edge count and a near − far row equal to the per-seed difference of the gains."""
    import pandas as pd

    from course_utils import convolution
    from course_utils.tools import probe_seeds as tool

    rng = np.random.default_rng(6)
    rows = []
    for seed in (1, 2, 3):
        for network in ("trained", "untrained"):
            for target in ("near: digits 5-9", "far: Fashion-MNIST"):
                for stage in convolution.PROBE_STAGES:
                    rows.append({"seed": seed, "network": network, "target": target, "stage": stage,
                                 "C": convolution.PROBE_CS[0] if stage == "head" else 1e-2,
                                 "at_edge": stage == "head", "test_accuracy": float(rng.random())})
    probes = pd.DataFrame(rows)
    probes.to_csv(tmp_path / "rows.csv", index=False)
    assert tool.main(["--from-csv", str(tmp_path / "rows.csv")]) == 0
    assert "C is an end of the grid: 12 of 60" in capsys.readouterr().out

    wide = probes.pivot_table(index=["seed", "target", "stage"], columns="network", values="test_accuracy")
    gain = (wide["trained"] - wide["untrained"]).unstack("target")
    expected = (gain["near: digits 5-9"] - gain["far: Fashion-MNIST"]).xs("head", level="stage")
    head = tool.near_minus_far(probes).set_index("stage").loc["head"]
    assert head["seeds"] == 3 and np.isclose(head["gain"], expected.mean())


def test_pixel_strip_probes_drop_exactly_rows_and_columns_26_27(monkeypatch, capsys):
    """``--pixel-strip``: the stripped probe sees 26×26 pixels; a label written only in the strip is lost."""
    from types import SimpleNamespace

    from course_utils import convolution
    from course_utils.tools import probe_seeds as tool

    seen = []

    def fake_fit_probe(train, val, test, cs=convolution.PROBE_CS):
        seen.append(train[0].shape[1])
        return real_fit_probe(train, val, test, cs=(1.0,))

    real_fit_probe = convolution.fit_probe

    def fake_data(classes):   # the class is written only in row 27: the strip carries all the information
        labels = np.tile(np.asarray(classes), 60)
        images = np.zeros((len(labels), 28, 28), "uint8")
        images[:, 27, :] = (labels[:, None] * 20).astype("uint8")
        return SimpleNamespace(x_train=images, y_train=labels, x_test=images, y_test=labels)

    monkeypatch.setattr(tool, "mnist", fake_data(range(5, 10)))
    monkeypatch.setattr(tool, "fashion", fake_data(range(10)))
    monkeypatch.setattr(tool, "PROBE_LABELLED", 5)
    monkeypatch.setattr(tool, "PROBE_TEST", 100)
    monkeypatch.setattr(convolution, "fit_probe", fake_fit_probe)
    rows = tool.pixel_strip_rows([1, 2])
    assert sorted(set(seen)) == [26 * 26, 28 * 28]
    accuracy = rows.groupby("stage")["test_accuracy"].mean()
    assert accuracy["pixels"] > 0.9 and accuracy[tool.STRIPPED] < 0.5
    tool.summarize_pixel_strip(rows)
    assert "All pixels − pixels without rows and columns 26-27" in capsys.readouterr().out
