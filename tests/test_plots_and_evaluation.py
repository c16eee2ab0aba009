"""The general plots (``course_utils.plots``) and evaluation helpers (``course_utils.evaluation``) every lesson uses.

A plot is checked for what a reader relies on: the numbers it draws, its title, axis labels and units, and
class names instead of indices.
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils import evaluation, plots  # noqa: E402

CLASSES = ["cat", "dog", "bird"]
Y_TRUE = np.array([0, 0, 1, 1, 2, 2, 2])
Y_PRED = np.array([0, 1, 1, 1, 2, 0, 2])


def test_classification_table_gives_each_class_its_precision_recall_f1_and_support():
    table = evaluation.classification_table(Y_TRUE, Y_PRED, CLASSES)
    assert list(table.index) == CLASSES + ["macro average"]
    assert table.loc["cat", "precision"] == pytest.approx(1 / 2)      # predicted cat twice, right once
    assert table.loc["dog", "recall"] == pytest.approx(1.0)
    assert table.loc["bird", "recall"] == pytest.approx(2 / 3)
    assert table.loc["bird", "f1"] == pytest.approx(0.8)              # precision 1, recall 2/3
    assert table["support"].tolist() == [2, 2, 3, 7]
    assert table.loc["macro average", "recall"] == pytest.approx((1 / 2 + 1 + 2 / 3) / 3)


def test_a_class_never_predicted_gets_precision_zero_not_an_error():
    table = evaluation.classification_table([0, 1, 2], [0, 0, 0], CLASSES)
    assert table.loc["dog", "precision"] == 0 and table.loc["bird", "recall"] == 0


def test_mistake_indices_are_the_wrong_predictions_in_dataset_order():
    assert evaluation.mistake_indices(Y_TRUE, Y_PRED).tolist() == [1, 5]
    assert evaluation.mistake_indices(Y_TRUE, Y_PRED, limit=1).tolist() == [1]
    assert evaluation.mistake_indices(Y_TRUE, Y_TRUE).tolist() == []


def test_mistake_indices_per_class_takes_each_true_class_in_turn():
    """Lesson 7's gallery: test photos sorted by species must not give 8 mistakes of the first species only."""
    y_true, y_pred = [0, 0, 0, 1, 1, 2, 2], [1, 2, 1, 1, 0, 0, 1]
    assert evaluation.mistake_indices(y_true, y_pred, limit=3).tolist() == [0, 1, 2]
    assert evaluation.mistake_indices(y_true, y_pred, limit=3, per_class=1).tolist() == [0, 4, 5]
    assert evaluation.mistake_indices(y_true, y_pred, per_class=2).tolist() == [0, 1, 4, 5, 6]
    assert evaluation.mistake_indices([0, 1], [0, 1], per_class=1).tolist() == []


def test_confusion_matrix_draws_the_counts_with_class_names_and_labelled_axes():
    ax = plots.plot_confusion_matrix(Y_TRUE, Y_PRED, CLASSES, title="Test set")
    counts = np.array(ax.collections[0].get_array()).reshape(3, 3)
    assert counts.tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 2]]       # rows: true class, columns: predicted
    assert [t.get_text() for t in ax.get_xticklabels()] == CLASSES
    assert [t.get_text() for t in ax.get_yticklabels()] == CLASSES
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("Test set", "predicted class", "true class")


def test_a_normalised_confusion_matrix_shows_shares_of_each_true_class():
    ax = plots.plot_confusion_matrix(Y_TRUE, Y_PRED, CLASSES, normalize=True)
    shares = np.array(ax.collections[0].get_array()).reshape(3, 3)
    assert np.allclose(shares.sum(axis=1), 1.0) and shares[2, 2] == pytest.approx(2 / 3)


def test_history_plot_draws_training_and_validation_curves_against_the_epoch():
    history = {"accuracy": [0.5, 0.7, 0.8], "val_accuracy": [0.45, 0.6, 0.65], "loss": [1.0, 0.7, 0.5]}
    ax = plots.plot_history(history, title="MLP")
    train, val = ax.get_lines()
    assert train.get_xdata().tolist() == [1, 2, 3] and train.get_ydata().tolist() == history["accuracy"]
    assert val.get_ydata().tolist() == history["val_accuracy"]
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("MLP", "epoch", "accuracy")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["training accuracy", "validation accuracy"]
    only_train = plots.plot_history({"loss": [1.0, 0.5]}, metric="loss")
    assert len(only_train.get_lines()) == 1


def test_image_grid_shows_every_image_with_its_title_and_hides_spare_cells():
    images = np.random.default_rng(0).random((5, 8, 8))
    axes = plots.plot_image_grid(images, titles=list("abcde"), ncols=3, title="Five")
    assert axes.shape == (2, 3)
    shown = [ax for ax in axes.flat if ax.images]
    assert len(shown) == 5 and [ax.get_title() for ax in shown] == list("abcde")
    assert np.allclose(shown[2].images[0].get_array(), images[2])
    assert axes.flat[0].figure._suptitle.get_text() == "Five"


def test_image_grid_shows_float_images_in_0_255_as_bytes():
    axes = plots.plot_image_grid(np.full((1, 4, 4, 3), 200.0), ncols=1)
    assert axes.flat[0].images[0].get_array().dtype == np.uint8


def test_mistakes_gallery_titles_each_wrong_image_true_then_predicted_by_name():
    images = np.arange(7 * 4 * 4, dtype=float).reshape(7, 4, 4) / 112
    axes = plots.plot_mistakes(images, Y_TRUE, Y_PRED, CLASSES)
    shown = [ax for ax in axes.flat if ax.images]
    assert [ax.get_title() for ax in shown] == ["cat\n→ dog", "bird\n→ cat"]
    assert np.allclose(shown[1].images[0].get_array(), images[5])
