"""Evaluating classifiers: per-class metrics as a table, and which examples are misclassified.

The gallery of mistakes is :func:`course_utils.plots.plot_mistakes` (general plots live in ``plots``).
"""
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
