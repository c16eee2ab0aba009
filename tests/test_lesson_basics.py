"""Lessons 01-02 helpers: loss surfaces (gradients, minima), race and boundary plots, the widget explorer."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils.lessons.surfaces import (BOWL, ROSENBROCK, SURFACES, distance_to_minimum, plot_decision_boundary,  # noqa: E402
                                   plot_race)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("surface", list(SURFACES.values()), ids=list(SURFACES))
def test_gradient_matches_central_differences(surface):
    rng = np.random.default_rng(0)
    for w in rng.uniform(-1.5, 1.5, size=(5, 2)):
        eps = 1e-6
        numeric = [(surface.loss(w + e) - surface.loss(w - e)) / (2 * eps) for e in np.eye(2) * eps]
        np.testing.assert_allclose(surface.grad(w), numeric, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("surface", list(SURFACES.values()), ids=list(SURFACES))
def test_minimum_has_zero_gradient_and_lowest_loss(surface):
    minimum = np.array(surface.minimum)
    np.testing.assert_allclose(surface.grad(minimum), 0.0, atol=1e-12)
    assert surface.loss(minimum) == pytest.approx(0.0)
    assert surface.loss(np.array(surface.start)) > 1.0


def test_loss_evaluates_a_grid_at_once():
    grid = np.stack(np.meshgrid(np.linspace(-1, 1, 4), np.linspace(-1, 1, 3)))
    values = ROSENBROCK.loss(grid)
    assert values.shape == (3, 4)
    assert values[1, 2] == pytest.approx(ROSENBROCK.loss(grid[:, 1, 2]))


def test_distance_to_minimum_uses_the_last_point():
    path = np.array([[5.0, 5.0], [3.0, 4.0]])
    assert distance_to_minimum(BOWL, path) == pytest.approx(5.0)
    assert distance_to_minimum(ROSENBROCK, np.array([[1.0, 1.0]])) == pytest.approx(0.0)


def test_plot_race_draws_one_trajectory_and_one_loss_curve_per_optimiser():
    paths = {"a": np.array([BOWL.start, (0.5, 0.1), (0.0, 0.0)]), "b": np.array([BOWL.start, (-1.0, 0.0)])}
    left, right = plot_race(BOWL, paths)
    assert {"a", "b"} <= {line.get_label() for line in left.get_lines()}
    assert len(right.get_lines()) == 2 and right.get_yscale() == "log"
    assert left.get_xlabel() and right.get_ylabel() and right.get_title()


def test_plot_decision_boundary_labels_classes_by_name():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 0, 1, 1])

    def predict(points):  # class 1 right of x = 0.5
        right = (points[:, 0] > 0.5).astype(float)
        return np.c_[1 - right, right]

    ax = plot_decision_boundary(predict, X, y, ["left", "right"], title="t", axis_labels=("x (cm)", "y (cm)"))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["left", "right"]
    assert ax.get_title() == "t" and ax.get_xlabel() == "x (cm)"


def test_explorer_draws_the_default_view_and_redraws_on_change():
    widgets = pytest.importorskip("ipywidgets")
    from course_utils.widgets import explorer

    calls = []
    controls = {"lr": widgets.FloatSlider(value=0.1, min=0.0, max=1.0), "steps": widgets.IntSlider(value=5)}
    box = explorer(lambda lr, steps: calls.append((lr, steps)), controls)
    assert calls == [(0.1, 5)]          # the headless default view
    controls["steps"].value = 7        # a learner moves a slider
    assert calls[-1] == (0.1, 7)
    box.redraw()
    assert len(calls) == 3


def test_explorer_can_skip_the_default_view():
    widgets = pytest.importorskip("ipywidgets")
    from course_utils.widgets import explorer

    calls = []
    explorer(lambda steps: calls.append(steps), {"steps": widgets.IntSlider(value=5)}, show_default=False)
    assert calls == []
