"""Evaluating classifiers and features: per-class metrics as a table, which examples are misclassified,
calibration, and the linear probe (how well frozen features separate a new task's classes).

The gallery of mistakes is :func:`course_utils.plots.plot_mistakes` (general plots live in ``plots``).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .i18n import N_

MACRO_AVERAGE = N_("macro average")   # the table's last row label; English in the table, shown translated


def classification_table(y_true, y_pred, class_names: Sequence[str]):
    """Per-class precision, recall, F1 and support as a pandas DataFrame (plus macro average).

    Example:
        >>> classification_table([0, 1, 1], [0, 1, 0], ["cat", "dog"]).round(2)
    """
    import pandas as pd
    from sklearn.metrics import precision_recall_fscore_support

    labels = list(range(len(class_names)))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    table = pd.DataFrame({"precision": p, "recall": r, "f1": f, "support": s}, index=list(class_names))
    table.loc[MACRO_AVERAGE] = [p.mean(), r.mean(), f.mean(), s.sum()]
    table["support"] = table["support"].astype(int)
    return table


def mistake_indices(y_true, y_pred, limit: int | None = None, per_class: int | None = None) -> np.ndarray:
    """Indices of misclassified examples, in dataset order.

    ``per_class`` keeps at most that many mistakes of each true class (the first ones), so a dataset sorted by
    class does not fill a gallery of ``limit`` mistakes with its first class alone.

    Example:
        >>> mistake_indices([0, 0, 0, 1, 1], [1, 2, 0, 0, 1], per_class=1).tolist()
        [0, 3]
    """
    y_true = np.asarray(y_true)
    wrong = np.flatnonzero(y_true != np.asarray(y_pred))
    if per_class:
        wrong = np.sort(np.concatenate([wrong[y_true[wrong] == c][:per_class] for c in np.unique(y_true[wrong])]
                                       or [np.zeros(0, int)]))
    return wrong[:limit] if limit else wrong


# ---------------------------------------------------------------- calibration (lesson 4)
def head_logits(model, images: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """The logits of a model whose last layer is ``Dense(..., activation="softmax")``: the head's input · W + b.

    Keras 3 returns only the softmax output of such a layer; temperature scaling needs the numbers
    before the softmax. They are read from the layer below the head, then multiplied by the head's
    kernel and added to its bias (so ``softmax(head_logits(m, x))`` equals ``m.predict(x)``).

    Example:
        >>> logits = head_logits(cnn, x_test[..., None])   # shape (n_images, n_classes)
    """
    import keras

    head = model.layers[-1]
    body = keras.Model(model.inputs[0], head.input)
    kernel, bias = head.get_weights()
    return np.asarray(body.predict(images, batch_size=batch_size, verbose=0), dtype="float64") @ kernel + bias


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Row-wise softmax of ``logits / temperature`` (numerically safe)."""
    z = np.asarray(logits, dtype="float64") / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def reliability_table(proba: np.ndarray, y_true, bins: int = 15):
    """Confidence against accuracy in equal-width confidence bins (the data of a reliability diagram).

    The confidence of a prediction is its largest probability. Returns a DataFrame, one row per
    non-empty bin: ``low, high, images, confidence`` (mean) and ``accuracy``.
    """
    import pandas as pd

    proba = np.asarray(proba)
    confidence, correct = proba.max(axis=1), proba.argmax(axis=1) == np.asarray(y_true)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    rows = [{"low": edges[b], "high": edges[b + 1], "images": int(np.sum(which == b)),
             "confidence": float(confidence[which == b].mean()), "accuracy": float(correct[which == b].mean())}
            for b in range(bins) if np.any(which == b)]
    return pd.DataFrame(rows)


def expected_calibration_error(proba: np.ndarray, y_true, bins: int = 15) -> float:
    """ECE (Guo et al. 2017): the image-weighted mean gap |accuracy − confidence| over equal-width bins.

    Example:
        >>> expected_calibration_error(np.array([[0.9, 0.1], [0.6, 0.4]]), [0, 1], bins=10)   # (|1-.9| + |0-.6|) / 2
        0.35
    """
    table = reliability_table(proba, y_true, bins)
    return float(np.sum(table["images"] * (table["accuracy"] - table["confidence"]).abs()) / table["images"].sum())


def plot_reliability(curves: dict, bins: int = 15, title: str = "Reliability diagram", ax=None):
    """Accuracy against confidence per bin, one line per {label: (proba, y_true)}, with the diagonal.

    Points below the diagonal are over-confident bins (the model is right less often than it says);
    the legend gives each curve's expected calibration error. Returns the Axes.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        ax = plt.subplots(figsize=(5.5, 6.2))[1]
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfect calibration")
    ax.text(0.03, 0.97, "above the diagonal:\nunder-confident", ha="left", va="top", fontsize=8, color="grey")
    ax.text(0.98, 0.03, "below the diagonal:\nover-confident", ha="right", va="bottom", fontsize=8, color="grey")
    for label, (proba, y_true) in curves.items():
        table = reliability_table(proba, y_true, bins)
        ece = expected_calibration_error(proba, y_true, bins)
        ax.plot(table["confidence"], table["accuracy"], marker="o", label=f"{label} (ECE {ece:.4f})")
    ax.set(title=title, xlabel="confidence (largest predicted probability)", ylabel="accuracy in the bin",
           xlim=(0, 1.01), ylim=(0, 1.01))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), fontsize=9)   # below the axes: it hides no point
    ax.figure.tight_layout()
    return ax


def plot_mistake_matrix(y_true, y_pred, class_names: Sequence[str], title: str = "Mistakes", ax=None):
    """Confusion matrix of the mistakes only: the diagonal (correct answers) is left blank.

    With the diagonal in it, its counts (hundreds) set the colour scale and a handful of mistakes
    look white; without it, the colours span the off-diagonal counts, so the largest mistakes stand
    out. Row = true class, column = predicted class. Returns the Axes.
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    n = len(class_names)
    matrix = np.zeros((n, n), dtype=int)
    np.add.at(matrix, (np.asarray(y_true), np.asarray(y_pred)), 1)
    if ax is None:
        ax = plt.subplots(figsize=(1.6 + 0.6 * n, 0.8 + 0.55 * n))[1]
    sns.heatmap(matrix, mask=np.eye(n, dtype=bool), annot=True, fmt="d", cmap="Reds", vmin=0,
                cbar_kws={"label": "test images"}, xticklabels=class_names, yticklabels=class_names, ax=ax)
    ax.set(title=title, xlabel="predicted class", ylabel="true class")
    ax.grid(False)   # the style's grid lines would cross the blank diagonal cells
    ax.tick_params(axis="y", labelrotation=0)
    return ax


def cross_entropy(logits: np.ndarray, y_true, temperature: float = 1.0) -> float:
    """Mean negative log-probability of the true classes under ``softmax(logits / temperature)``."""
    proba = softmax(logits, temperature)
    return float(-np.mean(np.log(proba[np.arange(len(proba)), np.asarray(y_true)])))


def fit_temperature(logits: np.ndarray, y_true) -> float:
    """Temperature scaling (Guo et al. 2017): the T > 0 minimising the cross-entropy of ``softmax(logits / T)``.

    Fit it on validation data, never on the test set. T > 1 softens every prediction, T < 1 sharpens
    it; the predicted class is the same for every T. Searched over log T in [-3, 3] (T from 0.05 to 20).
    Lesson 4 writes the same function in plain sight (``tests/test_calibration.py`` checks they agree).
    """
    from scipy.optimize import minimize_scalar

    best = minimize_scalar(lambda log_t: cross_entropy(logits, y_true, np.exp(log_t)), bounds=(-3, 3),
                           method="bounded")
    return float(np.exp(best.x))


def linear_probe(train: tuple, val: tuple, test_x: np.ndarray, cs: Sequence[float]) -> dict:
    """A linear probe: logistic regression on frozen features, its regularisation chosen on validation data.

    ``train`` and ``val`` are ``(features, labels)``; ``test_x`` holds the test features. Features are
    standardised with the training rows' mean and sd and written in an orthonormal basis of the
    training rows' span: the L2-penalised optimum's weights lie in that span (the loss gradient is a
    sum of training rows), so the probe is the same, only cheaper to fit when there are far more
    features than training rows. One L2-regularised logistic regression (scikit-learn, lbfgs) is
    fitted per ``C`` in ``cs``, in increasing order (smaller C = stronger regularisation); the C with the
    best validation accuracy is kept (the smallest on ties), and only that probe predicts the test rows.

    Returns:
        ``{"C", "val_accuracy", "test_pred", "at_edge"}``; ``at_edge`` is True when the chosen C is the
        smallest or the largest of ``cs``, where a wider grid might have chosen differently.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    cs = sorted(cs)
    scaler = StandardScaler().fit(train[0])
    x_train, x_val, x_test = (scaler.transform(x) for x in (train[0], val[0], test_x))
    _, singular, rows = np.linalg.svd(x_train, full_matrices=False)
    basis = rows[:max(1, int((singular > singular[0] * 1e-10).sum()))].T
    x_train, x_val, x_test = x_train @ basis, x_val @ basis, x_test @ basis
    best = None
    with threadpool_limits(1):   # small problems: one thread wastes less time than several waiting on each other
        for c in cs:
            probe = LogisticRegression(C=c, max_iter=1000).fit(x_train, train[1])
            score = float(np.mean(probe.predict(x_val) == np.asarray(val[1])))
            if best is None or score > best[0]:
                best = (score, c, probe)
    score, c, probe = best
    return {"C": c, "val_accuracy": score, "test_pred": probe.predict(x_test), "at_edge": c in (cs[0], cs[-1])}
