"""Checkers for lesson 06 (data augmentation): a shift by hand, a digit-safe pipeline, a label-keeping audit."""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..i18n import tr
from .core import CORRECT, Verdict, call, correct, exercise, expect, lesson_value, prediction_note

MAX_TURN = 10 / 360                     # exercise 6.2: at most ±10 degrees, as a fraction of a full turn
MAX_SHIFT = 0.15                        # exercise 6.2: shifts of at most 15 % of the side (4 of 28 pixels)
MAX_ZOOM = 0.2                          # exercise 6.2: zooms of at most ±20 %
AUDIT_COLUMNS = ("transformation", "accuracy", "model still reads it")
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


@exercise("6.1", hint="Start from a black image and copy into it the part of the original that is still in the "
                      "frame. np.roll looks tempting: what does it do with the pixels that leave the frame?",
          recipe="Loop over the images; for each, draw its two offsets with rng.integers (the upper bound is "
                 "exclusive, so add one); make an all-zero output of the batch's shape; for each axis work out the "
                 "slice of the output that receives pixels and the slice of the input they come from (they differ "
                 "for positive and negative offsets: max/min with 0 handles both) and assign one to the other.")
def _random_shift(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    expect(callable(answer), tr("answer_6_1 should be your function random_shift(images, max_pixels, rng)"))
    batch = np.random.default_rng(0).uniform(0.1, 1.0, size=(120, 8, 8, 1)).astype("float32")  # no black pixel
    try:
        out = np.asarray(call(answer, batch.copy(), 2, np.random.default_rng(1), name="random_shift"), dtype=float)
    except (TypeError, ValueError):
        out = np.zeros(0)
    expect(out.shape == batch.shape, tr("the output should have the input's shape {shape}, not {shape2}",
                                        shape=batch.shape, shape2=out.shape))
    offsets = [matching_shift(a, b, 2) for a, b in zip(batch, out)]
    bad = [i for i, o in enumerate(offsets) if o is None]
    expect(not bad, tr("image {value} is not the original moved by at most 2 pixels with black (0) filling the "
                       "uncovered border; wrap-around (np.roll) or another fill does not count",
                       value=bad[0] if bad else ''))
    expect(len(set(offsets)) >= 10, tr("every image should get its own random shift: only {n_set} different shifts "
                                       "in 120 images", n_set=len(set(offsets))))
    expect(max(max(abs(dy), abs(dx)) for dy, dx in offsets) == 2,
           tr("no image moved by the full max_pixels = 2"))
    for axis, drawn in ((tr("down or up"), {dy for dy, _ in offsets}), (tr("right or left"), {dx for _, dx in offsets})):
        expect({-2, 2} <= drawn, tr("in 120 images no offset {axis} was {missing}: each offset should be a whole number "
                                    "from -max_pixels to +max_pixels, both ends included (rng.integers leaves out its "
                                    "upper bound)", axis=axis, missing=" and ".join(f"{v:+d}" for v in sorted({-2, 2} - drawn))))
    again = np.asarray(call(answer, batch.copy(), 2, np.random.default_rng(1), name="random_shift"), dtype=float)
    expect(again.shape == out.shape and np.array_equal(again, out),
           tr("called twice with the same generator, np.random.default_rng(1), random_shift moved the images "
              "differently: draw the offsets from the generator rng it is given (rng.integers), not from np.random or "
              "a generator of your own, so that a run can be repeated"))
    other = np.asarray(call(answer, batch.copy(), 2, np.random.default_rng(2), name="random_shift"), dtype=float)
    expect(not np.array_equal(other, out),
           tr("with two different generators (seeds 1 and 2) random_shift moved every image the same way: draw the "
              "offsets from the generator rng it is given"))
    still = np.asarray(call(answer, batch.copy(), 0, np.random.default_rng(2), name="random_shift"))
    expect(np.array_equal(still, batch), tr("with max_pixels = 0 the images should come back unchanged"))
    return CORRECT


def _leaf_layers(pipeline) -> list:
    """Every layer of the pipeline, nested Sequential models opened (depth first)."""
    found = []
    for layer in getattr(pipeline, "layers", []):
        found += _leaf_layers(layer) if hasattr(layer, "layers") else [layer]
    return found


def _is_random(layer, batch) -> bool:
    """Whether ``layer`` draws new random parameters: two calls in training mode give different images."""
    try:
        first, second = (np.asarray(layer(batch, training=True)) for _ in range(2))
    except Exception:   # not an image layer at all: it is not random augmentation either
        return False
    return first.shape != second.shape or not np.array_equal(first, second)


def _largest(factor) -> float:
    return float(np.max(np.abs(np.atleast_1d(np.asarray(factor, dtype=float)))))


@exercise("6.2", hint="For each random layer ask: could the transformed image be a different digit, or no digit? "
                      "A mirrored 3, a 6 turned upside down, a digit pushed half out of the frame or blown up until it "
                      "fills it. And what colour is MNIST's background?",
          recipe="Stack a few of Keras' random image layers in a keras.Sequential: a RandomRotation whose factor is a "
                 "fraction of a full turn (10° is 10/360), a RandomTranslation of a few pixels (a fraction of the "
                 "side, at most 0.15), a RandomZoom of at most 0.2; give each fill_mode='constant' (black). Leave "
                 "flips out.")
def _digit_safe(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    from keras import layers as kl

    batch = lesson_value(ns, "x_digits")[:32]
    expect(hasattr(answer, "layers") and callable(answer),
           tr("answer_6_2 should be a keras.Sequential of random preprocessing layers"))
    steps = _leaf_layers(answer)
    kinds = [type(layer).__name__ for layer in steps]
    n_random = sum(_is_random(layer, batch) for layer in steps)
    expect(n_random >= 2, tr("use at least two random layers (you have {n_random}): a layer that does the same to "
                             "every image, such as Rescaling, does not count", n_random=n_random))
    expect("RandomFlip" not in kinds, tr("no flips: a mirrored 3 is no digit, an upside-down 6 is a 9"))
    expect("RandomInvert" not in kinds, tr("no RandomInvert: it turns MNIST's black background white and the strokes "
                                           "dark, a picture no digit of the task looks like"))
    # Layers of one kind act one after the other, so their ranges add up: two ±10° rotations turn by up to ±20°.
    turns = [_largest(layer.factor) for layer in steps if isinstance(layer, kl.RandomRotation)]
    turn = sum(turns)
    expect(turn <= MAX_TURN + 1e-9, tr("a rotation factor of {turn:.3f} allows turns of ±{value:.0f}°: at most ±10° "
                                       "keeps a digit a digit", turn=turn, value=turn * 360) if len(turns) == 1 else
           tr("{n} rotation layers turn one after the other, so together they allow turns of ±{value:.0f}°: at most "
              "±10° in all keeps a digit a digit", n=len(turns), value=turn * 360))
    shift = sum(max(_largest(layer.height_factor), _largest(layer.width_factor))
                for layer in steps if isinstance(layer, kl.RandomTranslation))
    expect(shift <= MAX_SHIFT + 1e-9, tr("a translation factor of {shift:g} moves a digit by up to {value:.0f} of its "
                                         "28 pixels: part of it leaves the frame (at most {max_shift} keeps it inside; "
                                         "several translation layers add up)", shift=shift, value=shift * 28,
                                         max_shift=MAX_SHIFT))
    zoom = float(np.prod([1 + max(_largest(layer.height_factor), _largest(layer.width_factor or 0))
                          for layer in steps if isinstance(layer, kl.RandomZoom)])) - 1
    expect(zoom <= MAX_ZOOM + 1e-9, tr("a zoom factor of {zoom:g} shrinks or blows up a digit by up to {zoom:.0%}: at "
                                       "most ±{max_zoom:.0%} keeps it readable and in the frame (several zoom layers "
                                       "multiply)", zoom=round(zoom, 3), max_zoom=MAX_ZOOM))
    for layer in steps:
        name = type(layer).__name__
        fill = getattr(layer, "fill_mode", "constant")
        expect(fill == "constant", tr("{name} fills with '{fill}': MNIST's background is black, use "
                                      "fill_mode='constant'", name=name, fill=fill))
        fill_value = float(getattr(layer, "fill_value", 0.0) or 0.0)
        expect(fill_value == 0, tr("{name} fills the uncovered pixels with the value {fill_value:g}: MNIST's "
                                   "background is black, 0 (leave fill_value at its default, 0.0)", name=name,
                                   fill_value=fill_value))
        value_range = getattr(layer, "value_range", None)
        if value_range is not None:
            expect([float(v) for v in value_range] == [0.0, 1.0],
                   tr("{name} has value_range={value_range}, but the digits' pixels lie in [0, 1]: pass "
                      "value_range=(0, 1), or the layer scales its changes for pixels of 0-255",
                      name=name, value_range=tuple(value_range)))
    at_inference = np.asarray(call(lambda: answer(batch, training=False), name="the pipeline (training=False)"))
    expect(at_inference.shape == batch.shape and np.array_equal(at_inference, batch),
           tr("at inference (training=False) the pipeline should leave the images unchanged"))
    in_training = np.asarray(call(lambda: answer(batch, training=True), name="the pipeline (training=True)"))
    expect(not np.array_equal(in_training, batch),
           tr("in training mode (training=True) the pipeline should change the images"))
    expect(in_training.min() >= -1e-4 and in_training.max() <= 1 + 1e-4,
           tr("in training mode the pipeline gives pixel values from {low:.2f} to {high:.2f}, outside the digits' "
              "range [0, 1]: every layer should keep the pixels in [0, 1] (one with a value_range must be told "
              "(0, 1))", low=float(in_training.min()),
              high=float(in_training.max())))
    return CORRECT


def _audit_row(table, name: str):
    rows = table[table["transformation"] == name]
    expect(len(rows) == 1, tr("the table should have exactly one row named {name!r}", name=name))
    return rows.iloc[0]


@exercise("6.3", hint="The lesson's `variants` already holds the original and its two flips; you add versions made "
                      "with random layers called in training mode. Write down your predictions first.",
          recipe="Make a dict of versions: the lesson's variants plus, for each small transformation, a random layer "
                 "applied to x_digits_test with training=True. For each version, predict with digit_model, take the "
                 "most likely class and compare with y_digits_test to get an accuracy. Build the table from the dict; "
                 "'model still reads it' compares each accuracy with the original's minus 0.05.")
def _label_audit(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    predicted, y = lesson_value(ns, "predicted"), lesson_value(ns, "y_digits_test")
    expect(hasattr(answer, "columns") and hasattr(answer, "iloc"),
           tr("answer_6_3 should be a pandas DataFrame"))
    missing = [c for c in AUDIT_COLUMNS if c not in answer.columns]
    expect(not missing, tr("the table lacks the column(s) {missing}", missing=missing))
    expect(len(answer) >= 5, tr("audit at least five versions: the original, the two flips of the lesson and at "
                                "least two small transformations of your own"))
    accuracy = answer["accuracy"].astype(float)
    expect(accuracy.between(0, 1).all(), tr("accuracies lie between 0 and 1"))
    for name in predicted:   # the lesson's three versions: original, flipped left-right, turned 180°
        true = float(np.mean(predicted[name] == y))
        expect(abs(float(_audit_row(answer, name)["accuracy"]) - true) <= AUDIT_TOLERANCE,
               tr("the accuracy of '{name}' should be digit_model's accuracy on that version of x_digits_test",
                  name=name))
    flipped = float(_audit_row(answer, "flipped left-right")["accuracy"])
    original = float(_audit_row(answer, "original")["accuracy"])
    keeps = answer["model still reads it"].map(lambda v: v if isinstance(v, (bool, np.bool_)) else None)
    expect(keeps.notna().all(), tr("'model still reads it' should be True or False in every row"))
    should_keep = accuracy >= original - 0.05 - 1e-9
    wrong = [str(t) for t, k, want in zip(answer["transformation"], keeps, should_keep) if bool(k) != bool(want)]
    expect(not wrong, tr("'model still reads it' is wrong for {wrong}: it is True exactly when the row's accuracy is "
                         "at least the original's minus 0.05", wrong=wrong))
    own = answer[~answer["transformation"].isin(list(predicted))]
    expect(len(own) >= 2, tr("add at least two small transformations of your own (rotation, shift, zoom, ...)"))
    # A random layer leaves the images unchanged unless it is called with training=True; model.predict (also of a
    # keras.Sequential of random layers) calls it with training=False. Such rows have exactly the original's
    # accuracy. A real small change can tie by chance (a ±20 % contrast did on 1 of 12 draws; geometric changes of
    # the lesson's size moved 20 or more of the 10,000 test digits every time), so two tied rows fail, one gets a note.
    unchanged = [str(t) for t, a in zip(own["transformation"], own["accuracy"].astype(float)) if a == original]
    expect(len(unchanged) < 2, tr("{rows} have exactly the original's accuracy: their images were most likely left "
                                  "unchanged. A random layer changes images only when it is called with "
                                  "training=True; model.predict, also of a keras.Sequential of random layers, runs it "
                                  "with training=False", rows=unchanged))
    expect((own["accuracy"].astype(float) > flipped).sum() >= 2,
           tr("at least two of your small transformations should keep the accuracy above the mirror's: are they "
              "small?"))
    measured = {str(t): float(a) for t, a in zip(answer["transformation"], accuracy)}
    note = prediction_note(ns, "6.3", measured)
    if unchanged:
        note += tr(" Note: {row!r} has exactly the original's accuracy; if it was made with model.predict or without "
                   "training=True, its images were not changed.", row=unchanged[0])
    return correct(note)
