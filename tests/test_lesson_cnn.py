"""Lessons 3 and 4: the code the lessons teach, and the contract lesson 5 relies on.

The lesson code is taken from the notebooks themselves (the cells that define it), so
these tests fail when a lesson's convolution, pooling or source-model architecture drifts.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
LESSON_3 = NOTEBOOKS / "03_convolution_mnist.ipynb"
LESSON_4 = NOTEBOOKS / "04_pretraining_mnist.ipynb"


def code_cells(path: Path) -> list[str]:
    """Source of every code cell of a notebook."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]


def cell_defining(path: Path, pattern: str) -> str:
    """The one code cell whose source matches ``pattern`` (a regex), or fail."""
    found = [src for src in code_cells(path) if re.search(pattern, src, re.MULTILINE)]
    assert len(found) == 1, f"expected one cell matching {pattern!r} in {path.name}, found {len(found)}"
    return found[0]


def run_cell(path: Path, pattern: str, functions_only: bool = False) -> dict:
    """Execute the cell matching ``pattern`` in a fresh namespace with NumPy and Keras, return the namespace.

    With ``functions_only`` only the cell's ``def`` statements run (not the demo lines that use lesson data).
    """
    import ast

    import keras
    from keras import layers

    tree = ast.parse(cell_defining(path, pattern))
    if functions_only:
        tree.body = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    ns = {"np": np, "keras": keras, "layers": layers}
    exec(compile(tree, path.name, "exec"), ns)
    return ns


def architecture(model) -> list[tuple]:
    return [(l.name, type(l).__name__, tuple(l.output.shape), l.count_params()) for l in model.layers]


# ---- lesson 3: the hand-written convolution and pooling -------------------------------------------

def test_lesson_conv2d_matches_scipy_and_keras_with_strides():
    from scipy.signal import correlate2d
    import keras

    conv2d = run_cell(LESSON_3, r"^def conv2d", functions_only=True)["conv2d"]
    rng = np.random.default_rng(0)
    image, kernel = rng.normal(size=(12, 10)), rng.normal(size=(3, 3))
    assert np.allclose(conv2d(image, kernel), correlate2d(image, kernel, mode="valid"))
    layer = keras.layers.Conv2D(1, 3, strides=2, use_bias=False)
    layer.build((None, 12, 10, 1))
    layer.set_weights([kernel.reshape(3, 3, 1, 1)])
    expected = layer(image[None, :, :, None].astype("float32")).numpy()[0, :, :, 0]
    assert np.allclose(conv2d(image, kernel, stride=2), expected, atol=1e-5)


def test_lesson_conv2d_detects_a_flipped_kernel():
    """Convolution as deep learning defines it does not flip the kernel: a flipped one gives another map."""
    conv2d = run_cell(LESSON_3, r"^def conv2d", functions_only=True)["conv2d"]
    image = np.arange(25.0).reshape(5, 5) ** 2
    kernel = np.array([[1.0, 2.0], [0.0, -1.0]])
    assert not np.allclose(conv2d(image, kernel), conv2d(image, kernel[::-1, ::-1]))


def test_lesson_max_pool_matches_keras_and_drops_odd_edge():
    import keras

    max_pool = run_cell(LESSON_3, r"^def max_pool", functions_only=True)["max_pool"]
    feature_map = np.random.default_rng(1).normal(size=(11, 9)).astype("float32")
    expected = keras.layers.MaxPooling2D()(feature_map[None, :, :, None]).numpy()[0, :, :, 0]
    assert max_pool(feature_map).shape == (5, 4)
    assert np.allclose(max_pool(feature_map), expected)


def test_lesson_selectivity_is_zero_for_flat_and_one_for_single_class_channels():
    selectivity = run_cell(LESSON_3, r"^def selectivity", functions_only=True)["selectivity"]
    flat = np.ones((10, 4))
    one_class = np.zeros((10, 4))
    one_class[3] = 2.0
    assert selectivity(flat) == pytest.approx(0.0)
    assert selectivity(one_class) == pytest.approx(1.0)


# ---- lesson 4: the source models are the shared builders, and the saved-file contract -------------

@pytest.mark.parametrize("variable, builder", [("mlp", "build_mnist_mlp"), ("cnn", "build_mnist_cnn")])
def test_lesson_4_models_equal_the_shared_builders(variable, builder):
    from course_utils import models

    lesson_model = run_cell(LESSON_4, rf"^{variable} = keras\.Sequential\(")[variable]
    assert architecture(lesson_model) == architecture(getattr(models, builder)())


def test_lesson_4_saves_the_paths_lesson_5_loads(monkeypatch):
    """Lesson 4's save cell, run for both profiles, names the files ``transfer.source_path`` (lesson 5) loads."""
    import ast

    import course_utils as cu
    from course_utils import transfer

    tree = ast.parse(cell_defining(LESSON_4, r"^MLP_PATH = "))
    saves = {(node.value.func.value.id, ast.unparse(node.value.args[0])) for node in tree.body
             if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
             and isinstance(node.value.func, ast.Attribute) and node.value.func.attr == "save"}
    assert saves == {("mlp", "MLP_PATH"), ("cnn", "CNN_PATH")}, "lesson 4 must save mlp to MLP_PATH, cnn to CNN_PATH"
    tree.body = [node for node in tree.body if isinstance(node, ast.Assign)]  # the paths, not the saves
    for profile in ("full", "smoke"):
        monkeypatch.setenv("COURSE_PROFILE", profile)
        paths = {"cu": cu}
        exec(compile(tree, LESSON_4.name, "exec"), paths)
        assert (paths["MLP_PATH"], paths["CNN_PATH"]) == (transfer.source_path("mlp"), transfer.source_path("cnn"))
    assert re.search(r"/ 255\.0", "\n".join(code_cells(LESSON_4))), "lesson 4 must scale pixels to [0, 1]"


def test_saved_cnn_round_trips_with_the_contracted_input_shape(tmp_path):
    import keras

    from course_utils import models

    model = models.build_mnist_cnn()
    path = tmp_path / "source_mnist_cnn.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)
    x = np.random.default_rng(2).random((8, 28, 28, 1)).astype("float32")
    assert tuple(reloaded.inputs[0].shape) == (None, 28, 28, 1)
    assert np.allclose(model.predict(x, verbose=0), reloaded.predict(x, verbose=0), atol=1e-6)


# ---- both lessons: exercises and plot plumbing ---------------------------------------------------

@pytest.mark.parametrize("path", [LESSON_3, LESSON_4], ids=lambda p: p.name)
def test_at_least_three_exercises_each_with_hidden_solution_and_check(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    solutions = [i for i, c in enumerate(cells) if "solution" in c.get("metadata", {}).get("tags", [])]
    assert len(solutions) >= 3
    for i in solutions:
        source = "".join(cells[i]["source"])
        assert "### BEGIN SOLUTION" in source and "### END SOLUTION" in source
        assert cells[i]["metadata"].get("jupyter", {}).get("source_hidden") is True
        assert "cu.check(" in "".join(cells[i + 1]["source"]), f"cell {i + 1} should check the exercise"


def test_convolution_plots_draw_the_expected_grids():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from course_utils import convolution

    kernels = {"blur": np.full((3, 3), 1 / 9), "edge": np.array([[-1, 0, 1]] * 3, float)}
    axes = convolution.plot_kernel_outputs(kernels, {k: np.random.rand(26, 26) for k in kernels})
    assert axes.shape == (2, 2)
    assert len(convolution.plot_feature_maps(np.random.rand(26, 26, 12), "maps", ncols=8).flat) == 16
    assert len(convolution.plot_filters(np.random.randn(3, 3, 1, 32)).flat) == 32
    ax = convolution.plot_class_profiles(np.random.rand(10, 32), [str(i) for i in range(10)], "profiles")
    assert ax.get_title() == "profiles"
    plt.close("all")
