"""Evaluating classifiers: per-class metrics as a table and a gallery of mistakes."""
from __future__ import annotations

from typing import Sequence

import numpy as np


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
    table.loc["macro average"] = [p.mean(), r.mean(), f.mean(), s.sum()]
    table["support"] = table["support"].astype(int)
    return table


def mistake_indices(y_true, y_pred, limit: int | None = None) -> np.ndarray:
    """Indices of misclassified examples, in dataset order."""
    wrong = np.flatnonzero(np.asarray(y_true) != np.asarray(y_pred))
    return wrong[:limit] if limit else wrong


def plot_mistakes(images, y_true, y_pred, class_names: Sequence[str], limit: int = 16, ncols: int = 8,
                  title: str = "Mistakes: true → predicted", size: float = 1.4):
    """Show up to ``limit`` misclassified images titled ``true`` over ``→ predicted``; returns the Axes array."""
    from .plots import plot_image_grid

    wrong = mistake_indices(y_true, y_pred, limit)
    titles = [f"{class_names[y_true[i]]}\n→ {class_names[y_pred[i]]}" for i in wrong]
    return plot_image_grid(np.asarray(images)[wrong], titles, ncols=min(ncols, max(1, len(wrong))), title=title,
                           size=size)
