"""Lessons 01-02 helpers: loss surfaces (gradients, minima), race, sweep and boundary plots, the computational
graph, the widget explorer (with presets) and the lesson runner's report."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils.lessons.nn_basics import plot_computational_graph, plot_curves_by_loss  # noqa: E402
from course_utils.lessons.surfaces import (BOWL, ROSENBROCK, SURFACES, distance_to_minimum,  # noqa: E402
                                           plot_decision_boundary, plot_lr_sweep, plot_race, widest_good_range)


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


def test_plot_race_draws_one_panel_per_optimiser_and_one_distance_curve_each():
    paths = {"a": np.array([BOWL.start, (30.0, 9.0), (0.0, 0.0)]), "b": np.array([BOWL.start, (-1.0, 0.0)])}
    panels, distance_ax = plot_race(BOWL, paths, rates={"a": 0.1, "b": 0.25})   # "a" leaps far out of the window
    assert [ax.get_title() for ax in panels] == ["a (rate 0.1)", "b (rate 0.25)"]
    assert [line.get_label() for line in panels[0].get_lines()].count("a") == 1
    assert "b" not in [line.get_label() for line in panels[0].get_lines()]        # one path per panel
    assert panels[0].get_xlim() == BOWL.xlim and panels[1].get_ylim() == BOWL.ylim  # a leap cannot rescale a panel
    curves = [line for line in distance_ax.get_lines() if line.get_label() in paths]
    assert len(curves) == 2 and distance_ax.get_yscale() == "log"
    np.testing.assert_allclose(curves[0].get_ydata()[-1], 1e-12)                 # reached the minimum: the floor


def test_plot_race_draws_a_wide_window_tall_enough_to_read():
    """The bowl's window is 10 wide and 3.2 high: five to-scale panels in one row were each about an inch high."""
    paths = {name: np.array([BOWL.start, (0.0, 0.0)]) for name in "abcde"}
    panels, _ = plot_race(BOWL, paths)
    fig = panels[0].figure
    fig.canvas.draw()
    heights = [ax.get_position().height * fig.get_figheight() for ax in panels]
    plt.close(fig)
    assert min(heights) >= 1.4, heights


def test_plot_race_marks_a_run_that_stopped_early():
    paths = {"long": np.zeros((5, 2)) + 1.0, "short": np.zeros((2, 2)) + 1.0}
    _, distance_ax = plot_race(BOWL, paths)
    crosses = [line for line in distance_ax.get_lines() if line.get_marker() == "x"]
    assert len(crosses) == 1 and crosses[0].get_xdata()[0] == 1


def test_plot_lr_sweep_draws_diverged_runs_as_crosses_and_circles_the_chosen_rate():
    rates = [0.01, 0.1, 1.0]
    ax = plot_lr_sweep(BOWL, rates, {"a": [1.0, 0.01, np.inf]}, best={"a": 0.1})
    line = next(line for line in ax.get_lines() if line.get_label() == "a")
    np.testing.assert_allclose(line.get_xdata(), [0.01, 0.1])                    # the diverged rate is not on the line
    crosses = [line for line in ax.get_lines() if line.get_marker() == "x" and len(line.get_xdata())]
    assert len(crosses) == 1 and list(crosses[0].get_xdata()) == [1.0]
    circles = [line for line in ax.get_lines() if line.get_marker() == "o" and len(line.get_xdata())]
    assert [float(c.get_xdata()[0]) for c in circles] == [0.1]
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "learning rate"


def test_plot_lr_sweep_draws_the_crosses_above_every_finite_distance():
    """A finite distance as large as the default row of crosses (RMSprop ends 56 away on Rosenbrock) must not be read
    as a cross: the rows move above the largest finite value, and a dashed line separates them."""
    ax = plot_lr_sweep(BOWL, [0.1, 1.0, 10.0], {"a": [1.0, 56.0, np.inf], "b": [np.inf, 15.0, 28.0]})
    crosses = [line for line in ax.get_lines() if line.get_marker() == "x" and len(line.get_xdata())]
    assert len(crosses) == 2 and min(float(np.min(c.get_ydata())) for c in crosses) > 56
    dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert len(dashed) == 1 and 56 < float(dashed[0].get_ydata()[0]) < min(float(np.min(c.get_ydata())) for c in crosses)


def test_plot_lr_sweep_keeps_the_legend_off_the_points():
    """w_012: the legend in the lower left covered Adam's points near 1e-12 on Rosenbrock, the ones the lesson's prose
    sends the reader to; it now sits below the axes, so no drawn point lies under it."""
    import matplotlib.pyplot as plt

    ax = plot_lr_sweep(BOWL, [0.001, 0.01, 0.1, 1.0], {"a": [1.0, 1e-13, 1e-12, np.inf], "b": [2.0, 0.5, 1e-3, 1.0]},
                       best={"a": 0.01})
    fig = ax.figure
    fig.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    assert legend.y1 <= ax.get_window_extent().y0      # wholly below the axes
    plt.close(fig)


@pytest.mark.parametrize("distances, expected", [
    ([0.5, 0.001, 0.002, 3.0], (0.2, 0.4)),
    ([0.001, 0.5, 0.001, 0.001], (0.4, 0.8)),        # the longer run wins, not the first
    ([1.0, 1.0, 1.0, 1.0], None),
    ([0.001, np.inf, np.inf, np.inf], (0.1, 0.1)),   # diverged runs are never good
])
def test_widest_good_range(distances, expected):
    assert widest_good_range([0.1, 0.2, 0.4, 0.8], distances, close=0.01) == expected


def test_computational_graph_has_one_box_per_value_and_a_backward_label_per_arrow():
    nodes = (("$X$", "op1", "back1"), ("$Y$", "op2", "back2"), ("$L$", "", ""))
    ax = plot_computational_graph(nodes, title="graph")
    texts = [t.get_text() for t in ax.texts]
    assert {"$X$", "$Y$", "$L$", "op1", "op2", "back1", "back2"} <= set(texts)
    assert ax.get_title() == "graph"


def test_curves_by_loss_give_one_line_per_seed_and_one_legend_entry_per_loss():
    ax = plot_curves_by_loss({"MSE": [[0.1, 0.5], [0.2, 0.6]], "cross-entropy": [[0.3, 0.9]]})
    assert len(ax.get_lines()) == 3
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["MSE (2 seeds)", "cross-entropy (1 seeds)"]
    np.testing.assert_allclose(ax.get_lines()[0].get_xdata(), [1, 2])            # steps count from 1


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
    from course_utils.widgets import explorer

    calls = []
    explorer(lambda steps: calls.append(steps), {"steps": widgets.IntSlider(value=5)}, show_default=False)
    assert calls == []


def test_explorer_preset_sets_other_controls_then_redraws_once():
    from course_utils.widgets import explorer

    tuned = {"gd": 0.03, "adam": 0.2}
    calls = []
    controls = {"optimiser": widgets.Dropdown(options=list(tuned), value="gd"),
                "lr": widgets.FloatLogSlider(value=0.03, base=10, min=-4, max=1)}
    explorer(lambda optimiser, lr: calls.append((optimiser, lr)), controls,
             presets={"optimiser": lambda optimiser, lr: {"lr": tuned[optimiser]}})
    controls["optimiser"].value = "adam"
    assert calls[1:] == [("adam", 0.2)]               # one redraw, already at the tuned rate
    controls["lr"].value = 0.5                        # a plain control still redraws on its own
    assert calls[-1] == ("adam", 0.5)


def test_explorer_rejects_a_preset_for_an_unknown_control():
    from course_utils.widgets import explorer

    with pytest.raises(ValueError, match="do not exist"):
        explorer(lambda lr: None, {"lr": widgets.FloatSlider(value=0.1)}, presets={"optimiser": lambda **_: {}})


def test_run_lesson_reports_check_lines_and_tagged_results_only():
    from course_utils.tools.run_lesson import report_lines

    def stream(text):
        return nbformat.v4.new_output("stream", name="stdout", text=text)

    checked = nbformat.v4.new_code_cell("check()", outputs=[stream("chatter\n✅ accuracy = 0.97\n❌ loss = 3\n")])
    tagged = nbformat.v4.new_code_cell("table", metadata={"tags": ["results"]}, outputs=[
        nbformat.v4.new_output("execute_result", data={"text/plain": "a  1\nb  2"}, execution_count=1)])
    quiet = nbformat.v4.new_code_cell("x = 1", outputs=[stream("not a result\n")])
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("✅ prose"), checked, quiet, tagged])
    assert report_lines(notebook) == ["[cell 1] ✅ accuracy = 0.97", "[cell 1] ❌ loss = 3",
                                      "--- cell 3 (tagged results) ---", "a  1", "b  2"]


def test_run_lesson_reports_a_check_printed_after_a_displayed_table():
    """A table shown with display() and a check printed after it in the same cell: the check is its own line."""
    from course_utils.tools.run_lesson import report_lines

    cell = nbformat.v4.new_code_cell("display(t); check()", outputs=[
        nbformat.v4.new_output("display_data", data={"text/plain": "   low  high\na  0.1  0.2"}),
        nbformat.v4.new_output("stream", name="stdout", text="✅ interval below 0\n")])
    assert report_lines(nbformat.v4.new_notebook(cells=[cell])) == ["[cell 0] ✅ interval below 0"]


def test_run_lesson_refuses_to_write_into_the_lessons_folder(tmp_path):
    from course_utils.tools.run_lesson import save_executed

    lesson = tmp_path / "01_x.ipynb"
    lesson.write_text("{}")
    with pytest.raises(SystemExit, match="Refusing"):
        save_executed(nbformat.v4.new_notebook(), lesson, tmp_path)
    assert save_executed(nbformat.v4.new_notebook(), lesson, tmp_path / "run") == tmp_path / "run" / "01_x.ipynb"


def test_tested_range_reads_requirements_with_the_lower_bound_first(monkeypatch, tmp_path):
    from course_utils import config, env

    (tmp_path / "requirements.txt").write_text("# comment\ntensorflow<2.22,>=2.19   # why\nKeras>=3.8,<4\n-e .\n")
    monkeypatch.setattr(config, "repo_root", lambda: tmp_path)
    assert env.tested_range("tensorflow") == ">=2.19,<2.22"
    assert env.tested_range("keras") == ">=3.8,<4"           # names compare case-insensitively
    assert env.tested_range("jax") is None
    monkeypatch.setattr(config, "repo_root", lambda: None)
    assert env.tested_range("tensorflow") is None


@pytest.mark.parametrize("version, expected", [("2.21.0", True), ("2.19.0", True), ("2.18.1", False),
                                               ("2.22.0", False), ("2.22.0rc1", False)])
def test_in_range(version, expected):
    from course_utils import env

    assert env.in_range(version, ">=2.19,<2.22") is expected


def test_the_checkout_requirements_give_tensorflow_and_keras_a_range():
    from course_utils import env

    for package in ("tensorflow", "keras"):
        allowed = env.tested_range(package)
        assert allowed and ">=" in allowed and "<" in allowed, f"{package}: {allowed}"
