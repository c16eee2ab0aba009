"""Lessons 3 and 4: the code the lessons teach, and the architectures lessons 5 and 8 rely on.

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


def _is_constant(node) -> bool:
    """True for ``NAME = <literal>`` (a tuple of strings, a number...): settings a function may read."""
    import ast

    if not isinstance(node, ast.Assign):
        return False
    try:
        ast.literal_eval(node.value)
    except ValueError:
        return False
    return True


def run_cell(path: Path, pattern: str, functions_only: bool = False, **names) -> dict:
    """Execute the cell matching ``pattern`` in a fresh namespace with NumPy, pandas and Keras, return the namespace.

    With ``functions_only`` only the cell's ``def`` statements and literal constants run (not the demo lines
    that use lesson data). ``names`` are added to the namespace first (lesson values a cell needs).
    """
    import ast

    import keras
    import pandas as pd
    from keras import layers

    tree = ast.parse(cell_defining(path, pattern))
    if functions_only:
        tree.body = [node for node in tree.body if isinstance(node, ast.FunctionDef) or _is_constant(node)]
    ns = {"np": np, "pd": pd, "keras": keras, "layers": layers, **names}
    exec(compile(tree, path.name, "exec"), ns)
    return ns


def architecture(model) -> list[tuple]:
    return [(l.name, type(l).__name__, tuple(l.output.shape), l.count_params()) for l in model.layers]


# ---- lesson 3: the hand-written convolution and pooling -------------------------------------------

def test_lesson_conv2d_matches_scipy_and_keras_with_strides():
    from scipy.signal import correlate2d
    import keras

    conv2d = run_cell(LESSON_3, r"^def conv2d\(", functions_only=True)["conv2d"]
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
    conv2d = run_cell(LESSON_3, r"^def conv2d\(", functions_only=True)["conv2d"]
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


def test_lesson_conv2d_multi_sums_over_channels_like_keras():
    """The hand-written multi-channel convolution: one kernel per input channel per filter, summed, plus bias."""
    import keras

    conv2d = run_cell(LESSON_3, r"^def conv2d\(", functions_only=True)["conv2d"]
    conv2d_multi = run_cell(LESSON_3, r"^def conv2d_multi", functions_only=True, conv2d=conv2d)["conv2d_multi"]
    rng = np.random.default_rng(3)
    image, kernels, bias = rng.normal(size=(9, 7, 4)), rng.normal(size=(3, 3, 4, 5)), rng.normal(size=5)
    layer = keras.layers.Conv2D(5, 3)
    layer.build((None, 9, 7, 4))
    layer.set_weights([kernels, bias])
    expected = layer(image[None].astype("float32")).numpy()[0]
    assert conv2d_multi(image, kernels, bias).shape == (7, 5, 5)
    assert np.allclose(conv2d_multi(image, kernels, bias), expected, atol=1e-4)


def test_lesson_receptive_fields_follow_the_formula_and_the_measurement():
    """r = r + (k - 1) j, j = j s: 3, 4, 8, 10 px for the small CNN; a stride-2 convolution doubles the jump."""
    import keras
    from keras import layers

    from course_utils import models

    fields = run_cell(LESSON_3, r"^def receptive_fields", functions_only=True)["receptive_fields"]
    measured = run_cell(LESSON_3, r"^def measured_receptive_field", functions_only=True)["measured_receptive_field"]
    cnn = models.build_mnist_cnn()
    table = fields(cnn)
    assert table["receptive field r (px)"].tolist() == [3, 4, 8, 10]
    assert table["jump j (px)"].tolist() == [1, 2, 2, 4]
    assert [measured(cnn, name) for name in ("conv1", "conv2", "pool2")] == [(3, 3), (8, 8), (10, 10)]
    strided = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(2, 5, strides=2, name="a"),
                                layers.Conv2D(2, 3, name="b")])
    assert fields(strided)["receptive field r (px)"].tolist() == [5, 9]
    assert measured(strided, "b") == (9, 9)


class _FullProfile:
    """Stands in for ``course_utils`` in a parameter cell: ``by_profile`` returns the full-profile value."""

    @staticmethod
    def by_profile(full, smoke):
        return full


# ---- lesson 4: the source models are the shared builders, and the saved-file contract -------------

@pytest.mark.parametrize("path, variable, builder", [(LESSON_4, "mlp", "build_mnist_mlp"),
                                                     (LESSON_4, "cnn", "build_mnist_cnn"),
                                                     (LESSON_3, "cnn", "build_mnist_cnn")])
def test_lesson_models_equal_the_shared_builders(path, variable, builder):
    """The lessons build their models in plain sight; the seed tools and lesson 5 use the builders."""
    from course_utils import models

    lesson_model = run_cell(path, rf"^{variable} = keras\.Sequential\(")[variable]
    assert architecture(lesson_model) == architecture(getattr(models, builder)())


def test_pretrain_tool_uses_the_lessons_settings():
    """``python -m course_utils.tools.pretrain_seeds`` trains with lesson 4's full-profile settings and callback."""
    from course_utils.tools import pretrain_seeds as tool

    settings = run_cell(LESSON_4, r"^N_TRAIN = ", cu=_FullProfile())
    assert (settings["N_TRAIN"], settings["N_TEST"], settings["VAL_FRACTION"], settings["BATCH_SIZE"],
            settings["LEARNING_RATE"], settings["PATIENCE"]) == (
        tool.N_TRAIN, tool.N_TEST, tool.VAL_FRACTION, tool.BATCH_SIZE, tool.LEARNING_RATE, tool.PATIENCE)
    assert (settings["MLP_EPOCHS"], settings["CNN_EPOCHS"]) == (tool.EPOCHS["mlp"], tool.EPOCHS["cnn"])
    source = "\n".join(code_cells(LESSON_4))
    assert f"np.random.default_rng({tool.SPLIT_SEED})" in source
    assert f"alpha={tool.FINAL_FRACTION}" in source
    assert 'EarlyStopping(monitor="val_loss", patience=PATIENCE, restore_best_weights=True)' in source


def test_lesson_4_lists_every_confusion_at_the_maximum(monkeypatch):
    """The most frequent mistake is reported with its ties (two pairs at 6 are both named), in the catalog's words."""
    import ast

    from course_utils import i18n

    def shown(ns: dict) -> str:
        """The value the cell displays: its last expression (the message)."""
        last = ast.parse(cell_defining(LESSON_4, pattern)).body[-1]
        return eval(compile(ast.Expression(last.value), LESSON_4.name, "eval"), ns)

    pattern = r"^most = confusion\.max\(\)"
    monkeypatch.setenv("COURSE_LANG", "en")
    y_test = np.array([5] * 6 + [7] * 6 + [1] * 3 + [0, 1, 2])
    cnn_pred = np.array([3] * 6 + [2] * 6 + [4] * 3 + [0, 1, 2])
    ns = run_cell(LESSON_4, pattern, y_test=y_test, cnn_pred=cnn_pred, i18n=i18n)
    assert ns["top_pairs"] == [(5, 3), (7, 2)] and ns["most"] == 6 and ns["tie"]
    assert shown(ns) == ("Most frequent CNN mistakes, 6 times each (2 pairs tie): true 5 predicted as 3, "
                         "true 7 predicted as 2")
    ns = run_cell(LESSON_4, pattern, y_test=y_test[3:], cnn_pred=cnn_pred[3:], i18n=i18n)
    assert ns["top_pairs"] == [(7, 2)] and not ns["tie"]
    assert shown(ns) == "Most frequent CNN mistake: true 7 predicted as 2, 6 times"
    monkeypatch.setenv("COURSE_LANG", "zh")
    ns = run_cell(LESSON_4, pattern, y_test=y_test, cnn_pred=cnn_pred, i18n=i18n)
    assert shown(ns) == "CNN 最常见的错误（2 对并列，各 6 次）：真实的 5 被预测成 3、真实的 7 被预测成 2"


def test_lesson_4_saves_the_paths_transfer_source_path_names(monkeypatch):
    """Lesson 4's save cell, run for both profiles, names the files ``transfer.source_path`` gives (lesson 4's own
    files, read by exercise 4.4; lessons 5 and 8 train their sources from ``transfer.SOURCE_RECIPE`` instead)."""
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


# ---- lesson 3: plot plumbing ---------------------------------------------------

def test_convolution_plots_draw_the_expected_grids():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from course_utils import convolution

    kernels = {"blur": np.full((3, 3), 1 / 9), "edge": np.array([[-1, 0, 1]] * 3, float)}
    axes = convolution.plot_kernel_outputs(kernels, {k: np.random.rand(26, 26) for k in kernels})
    assert axes.shape == (2, 2)
    assert len(axes[0, 0].figure.axes) == 4 + 2, "each output panel has its colour bar"
    assert len(convolution.plot_feature_maps(np.random.rand(26, 26, 12), "maps", ncols=8)[""].flat) == 16
    plt.close("all")


def test_filter_grids_share_one_symmetric_scale_with_a_colour_bar():
    """Before and after training on the same red-blue scale, so magnitudes compare across the two grids."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from course_utils import convolution

    before, after = 0.1 * np.random.randn(3, 3, 1, 32), np.random.randn(3, 3, 1, 32)
    grids = convolution.plot_filters({"before": before, "after": after})
    limits = {image.get_clim() for axes in grids.values() for ax in axes.flat for image in ax.get_images()}
    assert limits == {(-np.abs(after).max(), np.abs(after).max())}
    assert sum(len(axes.flat) for axes in grids.values()) == 64
    figure = next(iter(grids.values()))[0, 0].figure
    assert any(ax.get_ylabel() == "weight" for ax in figure.axes), "a colour bar labelled 'weight'"
    plt.close("all")


def test_feature_maps_share_one_scale_per_block():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from course_utils import convolution

    maps = {"untrained": np.random.rand(26, 26, 8), "trained": 3 * np.random.rand(26, 26, 8)}
    blocks = convolution.plot_feature_maps(maps, "maps", limit=4)
    for name, axes in blocks.items():
        limits = {image.get_clim() for ax in axes.flat for image in ax.get_images()}
        assert limits == {(0.0, float(maps[name][..., :4].max()))}
    plt.close("all")
