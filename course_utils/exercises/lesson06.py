"""Checkers for lesson 06 (data augmentation): a shift by hand, a digit-safe pipeline, a label-keeping audit."""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from .core import CORRECT, Verdict, exercise, expect, lesson_value

MAX_TURN = 10 / 360                     # exercise 6.2: at most ±10 degrees, as a fraction of a full turn
AUDIT_COLUMNS = ("transformation", "accuracy", "keeps label")
AUDIT_TOLERANCE = 0.005                 # accuracies recomputed from the lesson's predictions


def shifted(image: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """``image`` (height, width, ...) moved down by dy and right by dx, uncovered pixels black (0)."""
    out = np.zeros_like(image)
    h, w = image.shape[:2]
    out[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = image[max(-dy, 0):h - max(dy, 0),
                                                                      max(-dx, 0):w - max(dx, 0)]
    return out


def matching_shift(original: np.ndarray, result: np.ndarray, max_pixels: int) -> tuple[int, int] | None:
    """The (dy, dx) within ±max_pixels that turns ``original`` into ``result``, or None."""
    for dy in range(-max_pixels, max_pixels + 1):
        for dx in range(-max_pixels, max_pixels + 1):
            if np.allclose(shifted(original, dy, dx), result):
                return dy, dx
    return None


@exercise("6.1", hint="For each image draw dy, dx = rng.integers(-max_pixels, max_pixels + 1, size=2); start from "
                      "np.zeros_like(image) and copy the part of the image that stays in the frame (slices such as "
                      "out[dy:, dx:] = image[:h - dy, :w - dx] for positive offsets). np.roll is not enough: it wraps "
                      "pixels around to the other edge.")
def _random_shift(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    expect(callable(answer), "answer_6_1 should be your function random_shift(images, max_pixels, rng)")
    batch = np.random.default_rng(0).uniform(0.1, 1.0, size=(120, 8, 8, 1)).astype("float32")  # no black pixel
    out = np.asarray(answer(batch.copy(), 2, np.random.default_rng(1)))
    expect(out.shape == batch.shape, f"the output should have the input's shape {batch.shape}, not {out.shape}")
    offsets = [matching_shift(a, b, 2) for a, b in zip(batch, out)]
    bad = [i for i, o in enumerate(offsets) if o is None]
    expect(not bad, f"image {bad[0] if bad else ''} is not the original moved by at most 2 pixels with black "
                    "(0) filling the uncovered border; wrap-around (np.roll) or another fill does not count")
    expect(len(set(offsets)) >= 10, "every image should get its own random shift: only "
                                    f"{len(set(offsets))} different shifts in 120 images")
    expect(max(max(abs(dy), abs(dx)) for dy, dx in offsets) == 2, "no image moved by the full max_pixels = 2")
    still = np.asarray(answer(batch.copy(), 0, np.random.default_rng(2)))
    expect(np.array_equal(still, batch), "with max_pixels = 0 the images should come back unchanged")
    return CORRECT


def _random_layers(pipeline) -> list:
    layers = getattr(pipeline, "layers", None)
    expect(layers is not None, "answer_6_2 should be a keras.Sequential of random preprocessing layers")
    return list(layers)


@exercise("6.2", hint="keras.Sequential([layers.RandomRotation(10 / 360, fill_mode='constant'), "
                      "layers.RandomTranslation(0.1, 0.1, fill_mode='constant'), layers.RandomZoom(0.1, "
                      "fill_mode='constant')]): no RandomFlip.")
def _digit_safe(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    from keras import layers as kl

    batch = lesson_value(ns, "x_digits")[:32]
    steps = _random_layers(answer)
    kinds = [type(layer).__name__ for layer in steps]
    expect(len(steps) >= 2, f"use at least two random layers (you have {len(steps)})")
    expect("RandomFlip" not in kinds, "no flips: a mirrored 3 is no digit, an upside-down 6 is a 9")
    for layer in steps:
        if isinstance(layer, kl.RandomRotation):
            turn = float(np.max(np.abs(np.atleast_1d(layer.factor))))
            expect(turn <= MAX_TURN + 1e-9, f"a rotation factor of {turn:.3f} allows turns of ±{turn * 360:.0f}°: at "
                                            "most ±10° keeps a digit a digit")
        expect(getattr(layer, "fill_mode", "constant") == "constant",
               f"{type(layer).__name__} fills with '{layer.fill_mode}': MNIST's background is black, use "
               "fill_mode='constant'")
    expect(np.array_equal(np.asarray(answer(batch, training=False)), batch),
           "at inference (training=False) the pipeline should leave the images unchanged")
    expect(not np.array_equal(np.asarray(answer(batch, training=True)), batch),
           "in training mode (training=True) the pipeline should change the images")
    return CORRECT


def _audit_row(table, name: str):
    rows = table[table["transformation"] == name]
    expect(len(rows) == 1, f"the table should have exactly one row named {name!r}")
    return rows.iloc[0]


@exercise("6.3", hint="For each transformation make a version of x_digits_test (a random layer called with "
                      "training=True, or slicing such as [:, :, ::-1]), predict it with digit_model, and compare "
                      "argmax(axis=1) with y_digits_test; then 'keeps label' = the accuracy stays within 0.05 of "
                      "the original's.")
def _label_audit(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    predicted, y = lesson_value(ns, "predicted"), lesson_value(ns, "y_digits_test")
    expect(hasattr(answer, "columns") and hasattr(answer, "iloc"), "answer_6_3 should be a pandas DataFrame")
    missing = [c for c in AUDIT_COLUMNS if c not in answer.columns]
    expect(not missing, f"the table lacks the column(s) {missing}")
    expect(len(answer) >= 5, "audit at least five versions: the original, the two flips of the lesson and at least "
                             "two small transformations of your own")
    accuracy = answer["accuracy"].astype(float)
    expect(accuracy.between(0, 1).all(), "accuracies lie between 0 and 1")
    for name in ("original", "flipped left-right"):
        true = float(np.mean(predicted[name] == y))
        expect(abs(float(_audit_row(answer, name)["accuracy"]) - true) <= AUDIT_TOLERANCE,
               f"the accuracy of '{name}' should be digit_model's accuracy on that version of x_digits_test")
    flipped = float(_audit_row(answer, "flipped left-right")["accuracy"])
    expect(not bool(_audit_row(answer, "flipped left-right")["keeps label"]), "a mirror does not keep a digit's label")
    own = answer[~answer["transformation"].isin(list(predicted))]
    expect(len(own) >= 2, "add at least two small transformations of your own (rotation, shift, zoom, ...)")
    expect((own["accuracy"].astype(float) > flipped).sum() >= 2,
           "at least two of your small transformations should keep the accuracy above the mirror's: are they small?")
    return CORRECT
