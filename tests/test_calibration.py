"""Lesson 4's calibration (course_utils.evaluation) and its early-stopping check, which must be able to fail."""
from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pytest

LESSON_4 = Path(__file__).resolve().parents[1] / "notebooks" / "04_pretraining_mnist.ipynb"


def _cell(pattern: str) -> str:
    cells = json.loads(LESSON_4.read_text(encoding="utf-8"))["cells"]
    found = ["".join(c["source"]) for c in cells if c["cell_type"] == "code" and pattern in "".join(c["source"])]
    assert len(found) == 1, pattern
    return found[0]


def _functions(source: str, **names) -> dict:
    tree = ast.parse(source)
    tree.body = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ImportFrom, ast.Import))]
    ns = {"np": np, **names}
    exec(compile(tree, LESSON_4.name, "exec"), ns)
    return ns


def test_expected_calibration_error_by_hand():
    from course_utils import evaluation

    assert evaluation.expected_calibration_error(np.array([[0.9, 0.1], [0.6, 0.4]]), [0, 1], bins=10) == pytest.approx(0.35)
    proba = np.array([[0.75, 0.25]] * 4)
    assert evaluation.expected_calibration_error(proba, [0, 0, 0, 1]) == pytest.approx(0.0)   # 3 of 4 right at 0.75


def test_reliability_table_bins_by_the_largest_probability():
    from course_utils import evaluation

    proba = np.array([[0.95, 0.05], [0.55, 0.45], [0.08, 0.92]])
    table = evaluation.reliability_table(proba, [0, 1, 1], bins=10)
    assert table["images"].tolist() == [1, 2]
    assert table["accuracy"].tolist() == [0.0, 1.0]
    assert table["confidence"].tolist() == pytest.approx([0.55, 0.935])


def test_head_logits_give_the_models_probabilities():
    from course_utils import evaluation, models

    x = np.random.default_rng(0).random((6, 28, 28)).astype("float32")
    for model, images in ((models.build_mnist_mlp(), x), (models.build_mnist_cnn(), x[..., None])):
        logits = evaluation.head_logits(model, images)
        assert np.allclose(evaluation.softmax(logits), model.predict(images, verbose=0), atol=1e-5)


def test_fit_temperature_recovers_a_known_temperature_and_the_lessons_copy_agrees():
    from course_utils import evaluation

    rng = np.random.default_rng(1)
    logits = 3.0 * rng.normal(size=(20_000, 5))
    true_proba = evaluation.softmax(logits, 2.0)                 # the labels follow softmax(logits / 2)
    labels = np.array([rng.choice(5, p=p) for p in true_proba])
    t = evaluation.fit_temperature(logits, labels)
    assert t == pytest.approx(2.0, rel=0.08)
    assert evaluation.cross_entropy(logits, labels, t) < evaluation.cross_entropy(logits, labels)
    lesson = _functions(_cell("def fit_temperature"), evaluation=evaluation)
    assert lesson["fit_temperature"](logits, labels) == pytest.approx(t, rel=1e-6)
    assert lesson["cross_entropy"](logits, labels, t) == pytest.approx(evaluation.cross_entropy(logits, labels, t))


def test_calibration_plots_draw():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from course_utils import evaluation

    proba = evaluation.softmax(np.random.default_rng(2).normal(size=(200, 10)) * 3)
    y = np.random.default_rng(3).integers(0, 10, 200)
    ax = evaluation.plot_reliability({"model": (proba, y)})
    assert "ECE" in ax.get_legend().get_texts()[1].get_text()
    ax = evaluation.plot_mistake_matrix([0, 1, 1, 2], [0, 2, 1, 1], ["a", "b", "c"])
    assert ax.get_xlabel() == "predicted class"
    plt.close("all")


class _Model:
    """A stand-in for a trained model whose validation loss is ``loss``."""

    input_shape = (None, 28, 28)

    def __init__(self, loss):
        self.loss = loss

    def evaluate(self, x, y, verbose=0):
        return [self.loss, 0.0]


class _History:
    def __init__(self, losses):
        self.history = {"val_loss": losses}


def test_the_best_epoch_check_fails_when_the_weights_were_not_restored(monkeypatch):
    """The lesson's check passes when the model has the best epoch's loss, fails when it kept the last epoch's."""
    from course_utils import checks, i18n

    monkeypatch.setenv("COURSE_STRICT_CHECKS", "1")
    ns = _functions(_cell("def check_best_epoch_kept"), checks=checks, i18n=i18n, keras=None,
                    x_val=np.zeros((4, 28, 28)), y_val=np.zeros(4), PATIENCE=3)
    losses = [0.5, 0.3, 0.35, 0.4, 0.45]
    assert ns["check_best_epoch_kept"]("restored", _Model(0.3), _History(losses)) == 2
    with pytest.raises(checks.CheckFailed):
        ns["check_best_epoch_kept"]("not restored", _Model(0.45), _History(losses))
    assert ns["check_best_epoch_kept"]("best is last", _Model(0.2), _History([0.5, 0.3, 0.2])) == 3


def test_the_best_epoch_check_can_fail_on_a_near_tie_and_says_when_it_cannot_tell(monkeypatch, capsys):
    """Best and last losses 1e-3 apart (relative) are told apart; 2e-6 apart, the check says it cannot tell."""
    from course_utils import checks, i18n

    monkeypatch.setenv("COURSE_STRICT_CHECKS", "1")
    ns = _functions(_cell("def check_best_epoch_kept"), checks=checks, i18n=i18n, keras=None,
                    x_val=np.zeros((4, 28, 28)), y_val=np.zeros(4), PATIENCE=3)
    close = [0.05, 0.0334, 0.03343]                     # printed to 4 decimals, both read 0.0334
    assert ns["check_best_epoch_kept"]("restored", _Model(0.0334 * (1 + 3e-7)), _History(close)) == 2
    with pytest.raises(checks.CheckFailed):
        ns["check_best_epoch_kept"]("not restored", _Model(0.03343), _History(close))
    capsys.readouterr()
    tie = [0.05, 0.0334, 0.0334 * (1 + 2e-6)]
    assert ns["check_best_epoch_kept"]("tie", _Model(tie[-1]), _History(tie)) == 2
    assert "too close to tell apart" in capsys.readouterr().out


@pytest.mark.parametrize("build, shape", [("build_mnist_mlp", (28, 28)), ("build_mnist_cnn", (28, 28, 1))])
def test_evaluating_again_reproduces_the_recorded_validation_loss(build, shape):
    """The float noise lesson 4's best-epoch check allows for: under 1e-6 of the loss (the check allows 1e-5)."""
    import keras

    from course_utils import models

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x, y = rng.random((700, *shape)).astype("float32"), rng.integers(0, 10, 700)
    model = getattr(models, build)()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history = model.fit(x[:400], y[:400], validation_data=(x[400:], y[400:]), epochs=2, batch_size=128, verbose=0)
    now = model.evaluate(x[400:], y[400:], verbose=0)      # default batch size 32, as in the lesson's check
    assert now == pytest.approx(history.history["val_loss"][-1], rel=1e-6, abs=0)
