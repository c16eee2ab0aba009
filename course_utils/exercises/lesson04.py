"""Checkers for lesson 04 (pre-training on MNIST): metrics by hand, mistakes, and loading a saved model."""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from .core import CORRECT, Verdict, exercise, expect, lesson_value

ERROR_COLUMNS = ("digit", "CNN errors", "MLP errors", "both wrong")


@exercise("4.1", hint="Precision divides the true positives by everything *predicted* 9 (cnn_pred == 9); recall "
                      "divides them by everything that *is* 9 (y_test == 9).")
def _precision_recall(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    y_test, cnn_pred = lesson_value(ns, "y_test"), lesson_value(ns, "cnn_pred")
    values = np.asarray(answer, dtype=float)
    expect(values.shape == (2,), "answer_4_1 should be a pair: (precision, recall)")
    tp = np.sum((cnn_pred == 9) & (y_test == 9))
    precision, recall = tp / max(np.sum(cnn_pred == 9), 1), tp / max(np.sum(y_test == 9), 1)
    if np.allclose(values, [recall, precision], atol=1e-6) and not np.isclose(precision, recall):
        expect(False, "you have the two the wrong way round")
    expect(np.isclose(values[0], precision, atol=1e-6), "the precision for the digit 9 is off")
    expect(np.isclose(values[1], recall, atol=1e-6), "the recall for the digit 9 is off")
    return CORRECT


@exercise("4.2", hint="For digit d, the test images that are d: mask = y_test == d. CNN errors: "
                      "np.sum(cnn_pred[mask] != d); MLP errors likewise with mlp_pred; both wrong: both conditions "
                      "at once (&).")
def _error_table(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    y_test, cnn_pred, mlp_pred = (lesson_value(ns, n) for n in ("y_test", "cnn_pred", "mlp_pred"))
    expect(hasattr(answer, "columns") and hasattr(answer, "sort_values"), "answer_4_2 should be a pandas DataFrame")
    missing = [c for c in ERROR_COLUMNS if c not in answer.columns]
    expect(not missing, f"the table lacks the column(s) {missing}")
    table = answer.sort_values("digit")
    expect([int(d) for d in table["digit"]] == list(range(10)), "the table should have one row per digit, 0 to 9")
    cnn_wrong, mlp_wrong = cnn_pred != y_test, mlp_pred != y_test
    true = {"CNN errors": [np.sum(cnn_wrong & (y_test == d)) for d in range(10)],
            "MLP errors": [np.sum(mlp_wrong & (y_test == d)) for d in range(10)],
            "both wrong": [np.sum(cnn_wrong & mlp_wrong & (y_test == d)) for d in range(10)]}
    for column, counts in true.items():
        off = [d for d, (a, b) in enumerate(zip(table[column], counts)) if int(a) != int(b)]
        expect(not off, f"'{column}' is off for the digit(s) {off}: count test images of that true digit")
    return CORRECT


@exercise("4.3", hint="Keep the indices where mlp_pred != y_test, look up each one's largest probability "
                      "(mlp_proba[i].max()), and return the index (into x_test) with the largest of those.")
def _confident_mistake(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    y_test, mlp_pred, mlp_proba = (lesson_value(ns, n) for n in ("y_test", "mlp_pred", "mlp_proba"))
    expect(np.ndim(answer) == 0 and float(answer) == int(answer), "answer_4_3 should be one index into x_test")
    index = int(answer)
    expect(0 <= index < len(y_test), f"{index} is not an index into the {len(y_test)} test images")
    expect(mlp_pred[index] != y_test[index], f"the MLP classifies test image {index} correctly: find a mistake")
    top = np.where(mlp_pred != y_test, mlp_proba.max(axis=1), -1.0).max()
    expect(np.isclose(mlp_proba[index].max(), top), "the MLP gets this image wrong, but it is more confident "
                                                    "about another of its mistakes")
    return CORRECT


def scrambled_copy(model):
    """A copy of ``model`` whose head's outputs are rotated by one class: a file only loading can reveal."""
    import keras

    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    kernel, bias = copy.layers[-1].get_weights()
    order = np.roll(np.arange(kernel.shape[1]), 1)
    copy.layers[-1].set_weights([kernel[:, order], bias[order]])
    return copy


def accuracy_of(model, x: np.ndarray, y: np.ndarray) -> float:
    """Test accuracy of an in-memory model, feeding ``x`` in the shape the model expects."""
    x = x.reshape((-1, *model.input_shape[1:]))
    return float(np.mean(model.predict(x, batch_size=1024, verbose=0).argmax(axis=1) == y))


@exercise("4.4", hint="model = keras.models.load_model(path); reshape x_test to what it expects with "
                      "x_test.reshape((-1, *model.input_shape[1:])) (the CNN wants a channel axis, the MLP does not); "
                      "then compare predict(...).argmax(axis=1) with y_test.")
def _accuracy_from_file(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    x_test, y_test = lesson_value(ns, "x_test"), lesson_value(ns, "y_test")
    mlp, cnn, mlp_path = lesson_value(ns, "mlp"), lesson_value(ns, "cnn"), lesson_value(ns, "MLP_PATH")
    expect(callable(answer), "answer_4_4 should be your function test_accuracy_of(path)")
    with tempfile.TemporaryDirectory() as folder:
        mystery_path = Path(folder) / "mystery_cnn.keras"
        mystery = scrambled_copy(cnn)
        mystery.save(mystery_path)
        for path, model, name in [(mystery_path, mystery, "a CNN file the check saved"), (mlp_path, mlp, "MLP_PATH")]:
            got = answer(path)
            expect(np.ndim(got) == 0 and 0 <= float(got) <= 1, f"for {name} your function returned {got!r}; it "
                                                               "should return an accuracy between 0 and 1")
            expect(abs(float(got) - accuracy_of(model, x_test, y_test)) < 1e-3,
                   f"for {name} your function returned {float(got):.4f}, not the accuracy of the model stored in "
                   "that file: load the model from `path`")
    return CORRECT
