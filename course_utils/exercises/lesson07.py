"""Checkers for lesson 07 (ResNet50 on birds): what fine-tuning trains, when the cache pays, where the model errs."""
from __future__ import annotations

from collections import Counter
from typing import Any, Mapping

import numpy as np

from .core import CORRECT, Verdict, exercise, expect, lesson_value

SPECIES_COLUMNS = ("species", "test photos", "recall", "most confused with")


def stage_weights(base_model, stages: tuple[str, ...], batch_norm: bool) -> int:
    """Number of weights in the layers of ``stages`` (name prefixes): BatchNormalization layers or the others."""
    from keras import layers

    return sum(int(np.prod(w.shape)) for layer in base_model.layers if layer.name.startswith(stages)
               and isinstance(layer, layers.BatchNormalization) == batch_norm for w in layer.weights)


@exercise("7.1", hint="Walk base_model.layers; keep the names starting with 'conv4_' or 'conv5_'; skip the "
                      "BatchNormalization layers (frozen, so not updated); add up the sizes of the remaining "
                      "layers' weights (int(np.prod(w.shape)) for w in layer.weights).")
def _unfreeze_conv4(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    base_model = lesson_value(ns, "base_model")
    expect(np.ndim(answer) == 0 and float(answer) == int(answer), "answer_7_1 should be a whole number of weights")
    count = int(answer)
    convolutions = stage_weights(base_model, ("conv4_", "conv5_"), batch_norm=False)
    norms = stage_weights(base_model, ("conv4_", "conv5_"), batch_norm=True)
    expect(count != convolutions + norms, "that includes the BatchNormalization layers, which stay frozen")
    expect(count != stage_weights(base_model, ("conv5_",), batch_norm=False), "that is conv5 alone: add conv4")
    expect(count != stage_weights(base_model, ("conv4_",), batch_norm=False), "that is conv4 alone: conv5 stays "
                                                                               "trainable too")
    expect(count == convolutions, f"{count:,} is not the number of weights the optimiser would update")
    return CORRECT


def break_even_epochs(extraction: float, cached: float, uncached: float) -> int | None:
    """Smallest whole E with extraction + E * cached <= E * uncached (None if the cache never pays)."""
    if uncached <= cached:
        return None
    return max(1, int(np.ceil(extraction / (uncached - cached) - 1e-12)))


@exercise("7.2", hint="Solve extraction + E·cached ≤ E·uncached for E: E ≥ extraction / (uncached - cached); "
                      "round up to a whole number of epochs (np.ceil), and at least 1.")
def _break_even(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    extraction, cached, uncached = (float(lesson_value(ns, n)) for n in ("extraction", "cached_epoch",
                                                                         "uncached_epoch"))
    expected = break_even_epochs(extraction, cached, uncached)
    expect(expected is not None, "in this run an epoch on cached features was not faster than one through the base, so "
                                 "the cache never pays: rerun the timing cells on quieter cores")
    expect(np.ndim(answer) == 0 and float(answer) == int(answer), "answer_7_2 should be a whole number of epochs")
    epochs = int(answer)
    expect(extraction + epochs * cached <= epochs * uncached, f"after {epochs} epoch(s) the cache has not paid for "
                                                              "itself yet")
    expect(epochs == expected, f"the cache already pays for itself before {epochs} epochs: find the smallest E")
    return CORRECT


def species_rows(y_true: np.ndarray, y_pred: np.ndarray, class_names: list[str]) -> dict[str, dict]:
    """Per species: test photos, recall, and the set of species most often predicted instead (empty: no mistakes)."""
    rows = {}
    for c, name in enumerate(class_names):
        mask = y_true == c
        wrong = Counter(int(p) for p in y_pred[mask] if p != c)
        top = max(wrong.values(), default=0)
        rows[name] = {"test photos": int(mask.sum()), "recall": float(np.mean(y_pred[mask] == c)) if mask.any() else 0.0,
                      "confused": {class_names[k] for k, v in wrong.items() if v == top}}
    return rows


@exercise("7.3", hint="y_pred = finetuned_probs.argmax(1). For species c: mask = y_test == c; test photos = "
                      "mask.sum(); recall = np.mean(y_pred[mask] == c); most confused with = the most frequent wrong "
                      "prediction among y_pred[mask] (collections.Counter), or None if there is none.")
def _species_table(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    class_names = list(lesson_value(ns, "class_names"))
    y_pred = np.asarray(lesson_value(ns, "finetuned_probs")).argmax(axis=1)
    expected = species_rows(np.asarray(lesson_value(ns, "y_test")), y_pred, class_names)
    expect(hasattr(answer, "columns") and hasattr(answer, "iterrows"), "answer_7_3 should be a pandas DataFrame")
    table = answer.reset_index() if "species" not in answer.columns else answer
    missing = [c for c in SPECIES_COLUMNS if c not in table.columns]
    expect(not missing, f"the table lacks the column(s) {missing}")
    expect(sorted(map(str, table["species"])) == sorted(class_names), "the table should have one row per species")
    for _, row in table.iterrows():
        want = expected[str(row["species"])]
        expect(int(row["test photos"]) == want["test photos"], f"{row['species']}: count its test photos")
        expect(np.isclose(float(row["recall"]), want["recall"], atol=1e-6), f"{row['species']}: the recall is off")
        confused = row["most confused with"]
        if want["confused"]:
            expect(confused in want["confused"], f"{row['species']}: another species is predicted instead more often")
        else:
            expect(confused is None or confused != confused or confused in ("", "none", "None"),
                   f"{row['species']}: no photo of it is misclassified, so it is confused with nothing (None)")
    return CORRECT


@exercise("7.4", hint="probabilities = bird_model.predict(photo[None], verbose=0)[0]; np.argsort sorts ascending: "
                      "reverse it ([::-1]), keep the first three indices and look up their class_names.")
def _top_three(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    class_names = list(lesson_value(ns, "class_names"))
    probabilities = lesson_value(ns, "bird_model").predict(lesson_value(ns, "photo")[None], verbose=0)[0]
    expect(isinstance(answer, (list, tuple)) and len(answer) == 3, "answer_7_4 should be a list of three species names")
    expect(all(name in class_names for name in answer), "every entry should be a species name from class_names")
    chosen = [probabilities[class_names.index(name)] for name in answer]
    third_best = np.sort(probabilities)[::-1][2]
    expect(min(chosen) >= third_best - 1e-7, "these are not the three most likely species")
    expect(all(a >= b - 1e-7 for a, b in zip(chosen, chosen[1:])), "put the most likely species first")
    return CORRECT
