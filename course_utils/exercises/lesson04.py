"""Checkers for lesson 04 (pre-training on MNIST): metrics by hand, mistakes, and loading a saved model."""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from ..i18n import tr
from .core import CORRECT, Verdict, call, correct, exercise, expect, is_number, lesson_value, prediction_note

ERROR_COLUMNS = ("digit", "CNN errors", "MLP errors", "both wrong", "if independent")
CONFIDENCE = 0.9                 # exercise 4.1: the CNN answers "9" only at this probability or above


def _pair(answer: Any) -> np.ndarray:
    try:
        values = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        values = np.zeros(0)
    expect(values.shape == (2,), tr("answer_4_1 should be a pair: (precision, recall)"))
    return values


@exercise("4.1", hint="Abstaining changes which images count as 'predicted 9', not which images are 9. Ask, for each "
                      "of the two ratios, what its denominator counts.",
          recipe="Mark the images the CNN now calls 9: its probability for 9 (column 9 of cnn_proba) is at least 0.9. "
                 "The true positives are those that really are 9. Precision divides them by the number of images "
                 "called 9; recall divides them by the number of test images that are 9, answered or not.")
def _precision_recall(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    y_test, cnn_pred, cnn_proba = (np.asarray(lesson_value(ns, n)) for n in ("y_test", "cnn_pred", "cnn_proba"))
    values = _pair(answer)
    said_9 = cnn_proba[:, 9] >= CONFIDENCE
    tp = np.sum(said_9 & (y_test == 9))
    precision, recall = tp / max(np.sum(said_9), 1), tp / max(np.sum(y_test == 9), 1)
    plain_tp = np.sum((cnn_pred == 9) & (y_test == 9))
    plain = (plain_tp / max(np.sum(cnn_pred == 9), 1), plain_tp / max(np.sum(y_test == 9), 1))
    if np.allclose(values, [recall, precision], atol=1e-6) and not np.isclose(precision, recall):
        expect(False, tr("you have the two the wrong way round"))
    expect(not (np.allclose(values, plain, atol=1e-6) and not np.allclose(plain, [precision, recall])),
           tr("these are the precision and recall of every '9' the CNN says (the row of cnn_table): count only the "
              "answers given with a probability of at least {confidence}", confidence=CONFIDENCE))
    expect(np.isclose(values[0], precision, atol=1e-6), tr("the precision for the digit 9 is off: of the images the "
                                                           "CNN confidently calls 9, which share is a 9?"))
    confident_only = tp / max(np.sum(said_9 & (y_test == 9)) + np.sum(~said_9 & (y_test == 9) & (cnn_pred == 9)), 1)
    expect(not (np.isclose(values[1], confident_only, atol=1e-6) and not np.isclose(confident_only, recall)),
           tr("the recall's denominator should count every test image that is a 9, including those the CNN now "
              "abstains on: abstaining lowers recall"))
    expect(np.isclose(values[1], recall, atol=1e-6), tr("the recall for the digit 9 is off: of the test images that "
                                                        "are 9, which share does the CNN confidently call 9?"))
    return CORRECT


@exercise("4.2", hint="Count per digit with boolean masks: 'wrong' and 'is this digit' combine with &. For the "
                      "last column: if the two models erred independently, how often would both err on the same "
                      "image?",
          recipe="For each digit d, mask the test images that are d; the CNN errors are the masked images where "
                 "cnn_pred differs from y_test, the same for the MLP, and both wrong needs both at once. If the "
                 "models erred independently, the chance that both err on an image of d would be the product of their "
                 "error rates on d, so the expected count is CNN errors × MLP errors / (number of images of d). "
                 "Write prediction_4_2 (the total both wrong) before you count.")
def _error_table(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    y_test, cnn_pred, mlp_pred = (np.asarray(lesson_value(ns, n)) for n in ("y_test", "cnn_pred", "mlp_pred"))
    expect(hasattr(answer, "columns") and hasattr(answer, "sort_values"),
           tr("answer_4_2 should be a pandas DataFrame"))
    missing = [c for c in ERROR_COLUMNS if c not in answer.columns]
    expect(not missing, tr("the table lacks the column(s) {missing}", missing=missing))
    table = answer.sort_values("digit")
    expect([int(d) for d in table["digit"]] == list(range(10)),
           tr("the table should have one row per digit, 0 to 9"))
    cnn_wrong, mlp_wrong = cnn_pred != y_test, mlp_pred != y_test
    counts = np.array([np.sum(y_test == d) for d in range(10)])
    true = {"CNN errors": np.array([np.sum(cnn_wrong & (y_test == d)) for d in range(10)]),
            "MLP errors": np.array([np.sum(mlp_wrong & (y_test == d)) for d in range(10)]),
            "both wrong": np.array([np.sum(cnn_wrong & mlp_wrong & (y_test == d)) for d in range(10)])}
    for column, want in true.items():
        given = table[column].astype(float).to_numpy()
        off = [d for d in range(10) if given[d] != want[d]]
        expect(not off, tr("'{column}' is off for the digit(s) {off}: count test images of that true digit",
                           column=column, off=off))
    independent = true["CNN errors"] * true["MLP errors"] / np.maximum(counts, 1)
    given = table["if independent"].astype(float).to_numpy()
    off = [d for d in range(10) if not np.isclose(given[d], independent[d], atol=0.051)]
    expect(not off, tr("'if independent' is off for the digit(s) {off}: with independent errors, the chance that "
                       "both models err on an image of d is the product of their two error rates on d", off=off))
    both, expected = int(true["both wrong"].sum()), float(independent.sum())
    return correct(prediction_note(ns, "4.2", both) + tr("; independent errors would give about {expected:.1f} "
                                                         "images wrong for both, measured {both}", expected=expected,
                                                         both=both))


@exercise("4.3", hint="Two steps: first the MLP's mistakes, then, among those only, the one it was surest of. "
                      "Keep the indices into x_test all the way.",
          recipe="np.flatnonzero on 'mlp_pred differs from y_test' gives the indices of the mistakes; the MLP's "
                 "confidence on an image is its largest probability (the row's max of mlp_proba). Take the mistake with "
                 "the largest confidence, and return its index into x_test, not its position in the list of mistakes.")
def _confident_mistake(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    y_test, mlp_pred, mlp_proba = (lesson_value(ns, n) for n in ("y_test", "mlp_pred", "mlp_proba"))
    expect(is_number(answer) and float(answer) == int(answer),
           tr("answer_4_3 should be one index into x_test"))
    index = int(answer)
    expect(0 <= index < len(y_test), tr("{index} is not an index into the {n_y_test} test images", index=index,
                                        n_y_test=len(y_test)))
    expect(mlp_pred[index] != y_test[index], tr("the MLP classifies test image {index} correctly: find a mistake",
                                                index=index))
    top = np.where(mlp_pred != y_test, mlp_proba.max(axis=1), -1.0).max()
    expect(np.isclose(mlp_proba[index].max(), top), tr("the MLP gets this image wrong, but it is more confident "
                                                       "about another of its mistakes"))
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


def made_for_raw_pixels(model):
    """``scrambled_copy(model)`` with its first layer's kernel divided by 255: fed raw pixels (0 to 255) it gives the
    rotated scores ``model`` gives on pixels scaled to [0, 1]; fed scaled pixels, mostly its biases speak. Only a
    function that loads the file and scales the pixels gets its accuracy."""
    copy = scrambled_copy(model)
    first = next(layer for layer in copy.layers if layer.get_weights())
    kernel, *rest = first.get_weights()
    first.set_weights([kernel / 255.0, *rest])
    return copy


def predicted(model, x: np.ndarray) -> np.ndarray:
    """The most likely class of each image for an in-memory model, feeding ``x`` in the shape the model expects."""
    x = np.asarray(x, dtype="float32").reshape((-1, *model.input_shape[1:]))
    return model.predict(x, batch_size=1024, verbose=0).argmax(axis=1)


def accuracy_of(model, x: np.ndarray, y: np.ndarray) -> float:
    """Test accuracy of an in-memory model, feeding ``x`` in the shape the model expects."""
    return float(np.mean(predicted(model, x) == np.asarray(y)))


def raw_pixels(x_scaled: np.ndarray) -> np.ndarray:
    """The grey levels 0 to 255 (uint8, as MNIST stores them) of images scaled to [0, 1]."""
    return np.clip(np.round(np.asarray(x_scaled, dtype=float) * 255), 0, 255).astype("uint8")


def mixed_rows(right: np.ndarray) -> np.ndarray:
    """As many rows where ``right`` is False as where it is True (all rows if either kind is missing): on them a
    model's accuracy is 0.5, unlike on the whole test set."""
    wrong, good = np.flatnonzero(~right), np.flatnonzero(right)
    n = min(len(wrong), len(good))
    return np.sort(np.concatenate([wrong[:n], good[:n]])) if n else np.arange(len(right))


@exercise("4.4", hint="Everything must come from the file and the arguments: the model in memory is not the one in the "
                      "file. The file records the architecture, the weights and the input shape; what does it not "
                      "record about the pixels the model was trained on?",
          recipe="Load the model with keras.models.load_model(path). Convert the images to float32 and divide them by "
                 "255, as the lesson did before training: the file does not record that scaling. Reshape them to the "
                 "loaded model's input_shape (without the batch axis), so one function serves both files; predict, "
                 "take the most likely class per image and return the share that equals labels, as a float.")
def _accuracy_from_file(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    x_test, y_test = np.asarray(lesson_value(ns, "x_test")), np.asarray(lesson_value(ns, "y_test"))
    mlp, cnn, mlp_path = lesson_value(ns, "mlp"), lesson_value(ns, "cnn"), lesson_value(ns, "MLP_PATH")
    expect(callable(answer), tr("answer_4_4 should be your function test_accuracy_of(path, images, labels)"))
    raw = raw_pixels(x_test)
    with tempfile.TemporaryDirectory() as folder:
        mystery_path = Path(folder) / "mystery_cnn.keras"
        mystery = made_for_raw_pixels(cnn)
        mystery.save(mystery_path)
        for path, model, in_memory, rows, name in [
                (mystery_path, mystery, cnn, np.arange(len(raw)), tr("a CNN file the check saved")),
                (mlp_path, mlp, mlp, mixed_rows(predicted(mlp, raw / 255.0) == y_test), tr("MLP_PATH"))]:
            images, labels = raw[rows], y_test[rows]
            got = call(answer, path, images, labels, name="test_accuracy_of(path, images, labels)")
            expect(is_number(got) and 0 <= float(got) <= 1, tr("for {name} your function returned {got!r}; it should "
                                                               "return an accuracy between 0 and 1", name=name,
                                                               got=got))
            got = float(got)
            if abs(got - accuracy_of(model, images / 255.0, labels)) < 1e-3:
                continue
            expect(in_memory is model or abs(got - accuracy_of(in_memory, images / 255.0, labels)) >= 1e-3,
                   tr("for {name} your function returned {got:.4f}, not the accuracy of the model stored in that "
                      "file: load the model from `path`", name=name, got=got))
            expect(abs(got - accuracy_of(model, images, labels)) >= 1e-3,
                   tr("for {name} your function returned {got:.4f}, the accuracy on pixels from 0 to 255: the model "
                      "was trained on pixels scaled to [0, 1], and the file does not record that scaling", name=name,
                      got=got))
            expect(abs(got - accuracy_of(model, x_test, y_test)) >= 1e-3,
                   tr("for {name} your function returned {got:.4f}, the accuracy on the lesson's whole x_test: "
                      "measure it on the images and labels it is given", name=name, got=got))
            expect(False, tr("for {name} your function returned {got:.4f}, not the accuracy of the model stored in "
                             "that file on the images it was given, scaled to [0, 1]", name=name, got=got))
    return CORRECT
