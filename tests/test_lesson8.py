"""Lesson 8's own code, taken from the notebook: the faithful shift, the learning-rate table, the source it uses."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from lesson_state import definitions, notebook


def _code() -> str:
    cells = json.loads(notebook(8).read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


def test_shift_with_black_moves_the_image_and_fills_black_where_np_roll_wraps():
    shift_with_black = definitions(8, "shift_with_black")["shift_with_black"]
    images = np.arange(2 * 4 * 5, dtype=float).reshape(2, 4, 5) + 1          # no zero pixel anywhere
    moved = shift_with_black(images, 1, -2)
    assert np.array_equal(moved[:, 1:, :3], images[:, :3, 2:])               # content moved down 1, left 2
    assert not moved[:, 0, :].any() and not moved[:, :, 3:].any()           # the uncovered border is black
    rolled = np.roll(images, (1, -2), axis=(1, 2))
    assert np.array_equal(rolled[:, 1:, :3], moved[:, 1:, :3]) and rolled[:, 0, :].all()   # np.roll wraps instead
    assert np.array_equal(shift_with_black(images, 0, 0), images)


def _rows() -> pd.DataFrame:
    """Three seeds; fine-tune is 0.02 above scratch at 0.001 on every seed, 0.05 below at 0.0001 give or take."""
    rows = []
    for seed, noise in enumerate((0.0, 0.01, -0.01)):
        for lr, scratch, fine in ((1e-4, 0.74, 0.69), (1e-3, 0.81, 0.83)):
            rows.append({"init": "scratch", "learning rate": lr, "seed": seed, "val accuracy": scratch + noise,
                         "train accuracy": scratch + 0.05, "weights moved": 0.2})
            rows.append({"init": "fine-tune", "learning rate": lr, "seed": seed, "val accuracy": fine + noise + noise / 2,
                         "train accuracy": fine + 0.04, "weights moved": 0.1})
        rows.append({"init": "two-stage", "learning rate": 1e-4, "seed": seed, "val accuracy": 0.76 + noise,
                     "train accuracy": 0.8, "weights moved": 0.05})
    return pd.DataFrame(rows)


def test_lr_table_pairs_each_init_with_scratch_at_the_same_rate():
    lr_table = definitions(8, "lr_table")["lr_table"]
    table = lr_table(_rows())
    fine = table.xs("fine-tune", level="init")
    assert fine.loc[1e-3, "gain"] == pytest.approx(0.02) and fine.loc[1e-3, "verdict"] == "helped"
    assert fine.loc[1e-4, "gain"] == pytest.approx(-0.05) and fine.loc[1e-4, "high"] < 0
    assert table.loc[(1e-4, "two-stage"), "gain"] == pytest.approx(0.02)
    assert np.isnan(table.loc[(1e-3, "scratch"), "gain"])                     # the baseline has no gain
    assert table.loc[(1e-3, "scratch"), "mean"] == pytest.approx(0.81)
    assert table.loc[(1e-3, "scratch"), "sd"] == pytest.approx(0.01)           # spread over the three seeds
    assert table.loc[(1e-4, "two-stage"), "weights moved"] == pytest.approx(0.05)
    assert table.loc[(1e-4, "fine-tune"), "train accuracy"] == pytest.approx(0.73)   # mean over the seeds


def test_lesson_uses_one_defined_source_and_the_statistics_module():
    code = _code()
    assert 'transfer.load_source("mlp"' in code, "pitfalls 3-9 start from lesson 5's cached source, one recipe"
    assert "load_model(SOURCE_PATH" not in code and "source_mnist_mlp.keras" not in code
    assert "stats.paired_interval" in code and "runs.paired_interval" not in code
    assert "course_utils.tools" not in code and "from course_utils.lessons" not in code
