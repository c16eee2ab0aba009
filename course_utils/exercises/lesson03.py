"""Checkers for lesson 03 (convolution): output sizes, a designed kernel, learned filters, pooling."""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..i18n import tr
from .core import CORRECT, Verdict, call, correct, exercise, expect, is_number, lesson_value, prediction_note

# (n, k, s, p, d): input side, kernel side, stride, padding, dilation; strides that do not divide evenly, padding,
# and dilated kernels (Keras refuses a stride above 1 together with a dilation above 1)
SIZE_CASES = [(28, 3, 1, 0, 1), (28, 5, 1, 2, 1), (28, 3, 2, 1, 1), (13, 3, 2, 0, 1), (32, 7, 3, 3, 1), (7, 3, 2, 1, 1),
              (10, 4, 3, 2, 1), (224, 7, 2, 3, 1), (5, 5, 1, 0, 1), (28, 3, 1, 0, 2), (28, 3, 1, 2, 2), (20, 5, 1, 0, 3),
              (11, 2, 1, 1, 4), (9, 3, 1, 0, 4)]
FILTER_COLUMNS = ("filter", "closest kernel", "similarity", "sign")
SIGNS = {"+": 1, "−": -1, "-": -1}       # exercise 3.3: the minus sign, or the hyphen a keyboard types
SIMILARITY_ATOL = 5e-4                  # exercise 3.3: similarities rounded to 3 decimals still pass
ROUNDED_ATOL = 6e-3                     # ... within this (2 decimals), it asks whether they were rounded
POOL_SIZE, POOL_STRIDE = 3, 2           # exercise 3.4: overlapping max pooling


def keras_output_size(n: int, k: int, s: int, p: int, d: int = 1) -> int:
    """Side of a Keras Conv2D output for an n x n input zero-padded by p on every side."""
    from keras import layers

    return int(layers.Conv2D(1, k, strides=s, dilation_rate=d).compute_output_shape((1, n + 2 * p, n + 2 * p, 1))[1])


@exercise("3.1", hint="Start from the formula without dilation. A dilated kernel still has k weights along a side, "
                      "but how many input pixels does it span from its first weight to its last?",
          recipe="Draw a 3-tap kernel with dilation 2 on squared paper: its taps sit 2 pixels apart, so it spans "
                 "more pixels than 3. Work out that span for k taps and dilation d, then use the span where the "
                 "undilated formula uses k; keep integer division.")
def _output_size(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    expect(callable(answer), tr("answer_3_1 should be your function output_size(n, k, s=1, p=0, d=1)"))
    for n, k, s, p, d in SIZE_CASES:
        expected = keras_output_size(n, k, s, p, d)
        got = call(answer, n, k, s, p, d, name=f"output_size({n}, {k}, {s}, {p}, {d})")
        expect(isinstance(got, (int, np.integer)) and not isinstance(got, bool),
               tr("output_size({n}, {k}, {s}, {p}, {d}) should be a whole number of pixels (an int), not {got!r}",
                  n=n, k=k, s=s, p=p, d=d, got=got))
        expect(got == expected, tr("output_size({n}, {k}, {s}, {p}, {d}) returned {got}, but Keras gives a different "
                                   "side{question}", n=n, k=k, s=s, p=p, d=d, got=got,
                                   question=tr(": how wide is a dilated kernel?") if d > 1 else ""))
    return CORRECT


@exercise("3.2", hint="A kernel responds where the image's bright pixels meet its large positive weights. Which "
                      "of the nine positions does a top-left to bottom-right stroke cover?",
          recipe="Give the three positions on the kernel's own top-left to bottom-right diagonal a positive weight "
                 "and the six others a negative one, so that the other diagonal (which shares only the centre) meets "
                 "mostly negative weights.")
def _diagonal_kernel(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    conv2d = lesson_value(ns, "conv2d")
    try:
        kernel = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        kernel = np.zeros(0)
    expect(kernel.shape == (3, 3), tr("answer_3_2 should be a 3×3 kernel, not the shape {shape}", shape=kernel.shape))
    main, other = conv2d(np.eye(12), kernel).max(), conv2d(np.fliplr(np.eye(12)), kernel).max()
    expect(main > 0, tr("the kernel should respond positively to the top-left to bottom-right diagonal"))
    expect(main >= 2 * max(other, 1e-9), tr("its strongest response to the other diagonal ({other:.2f}) is more than "
                                            "half its response to the main one ({main:.2f})", other=other, main=main))
    return CORRECT


def cosines(flat: np.ndarray, kernels: Mapping[str, np.ndarray]) -> tuple[list[str], np.ndarray]:
    """The kernels' names and the signed cosine similarity of every row of ``flat`` (F x k*k) with every kernel."""
    flat = flat / np.linalg.norm(flat, axis=1, keepdims=True)
    names = list(kernels)
    bank = np.stack([np.asarray(kernels[n], dtype=float).ravel() for n in names])
    bank = bank / np.linalg.norm(bank, axis=1, keepdims=True)
    return names, flat @ bank.T


def closest_kernels(filters: np.ndarray, kernels: Mapping[str, np.ndarray]
                    ) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """For each filter (k x k x 1 x F): the kernel with the largest |cosine similarity|, that value, the runner-up's,
    and the sign (+1 or -1) of the cosine with the closest kernel."""
    names, signed = cosines(filters.reshape(-1, filters.shape[-1]).T, kernels)
    similarity = np.abs(signed)
    ranked = np.sort(similarity, axis=1)
    best = similarity.argmax(axis=1)
    return [names[i] for i in best], ranked[:, -1], ranked[:, -2], np.sign(signed[np.arange(len(signed)), best])


def _similarity_mistake(similarity: np.ndarray, best: np.ndarray, filters: np.ndarray,
                        kernels: Mapping[str, np.ndarray], ns: Mapping[str, Any]) -> str:
    """Why 3.3's similarities differ from the right ones: the likely mistake, or the filters that differ."""
    def same(values: np.ndarray) -> bool:
        return np.allclose(similarity, values, atol=SIMILARITY_ATOL)

    _, mixed = cosines(filters.reshape(filters.shape[-1], -1), kernels)   # reshape(32, 9): rows cut across filters
    if same(np.abs(mixed).max(axis=1)):
        return tr("these are the similarities of rows that mix several filters: conv1's kernel has the shape "
                  "{shape}, filter axis last, so reshape({n_filters}, {n_weights}) cuts each row from neighbouring "
                  "filters. Reshape to ({n_weights}, {n_filters}) and transpose, so that each row holds one filter's "
                  "{n_weights} weights", shape=filters.shape, n_filters=filters.shape[-1],
                  n_weights=filters[..., 0].size)
    untrained = ns.get("initial_weights")
    if untrained is not None and np.shape(untrained[0]) == filters.shape and same(
            closest_kernels(np.asarray(untrained[0], dtype=float), kernels)[1]):
        return tr("these are the similarities of the untrained filters, initial_weights[0]: the table is about the "
                  "trained network's filters, cnn.get_layer(\"conv1\").get_weights()[0]")
    _, signed = cosines(filters.reshape(-1, filters.shape[-1]).T, kernels)
    rows = np.arange(len(signed))
    if same(signed.max(axis=1)) or same(np.abs(signed[rows, signed.argmax(axis=1)])):
        return tr("these similarities come from the largest signed cosine: take the absolute value before you pick the "
                  "closest kernel (a kernel's negative is a match too) and keep the cosine's sign in the `sign` column")
    off = np.abs(similarity - best)
    if off.max() <= ROUNDED_ATOL:
        return tr("the similarities are off by up to {off:.1g}: did you round them? Keep at least 3 decimals",
                  off=off.max())
    differ = np.flatnonzero(off > SIMILARITY_ATOL).tolist()
    if len(differ) == len(off):
        return tr("every filter's similarity differs from the absolute cosine similarity between the trained filter "
                  "and its closest kernel")
    return tr("the similarity of filter(s) {filters} differs from the absolute cosine similarity between the trained "
              "filter and its closest kernel", filters=differ)


@exercise("3.3", hint="A layer's get_weights() returns its kernel first; look at its shape to see where the 32 "
                      "filters are. Two 3×3 arrays compare like two vectors of 9 numbers.",
          recipe="Take conv1's kernel (3, 3, 1, 32): the filter axis is last, so reshape it to (9, 32) and transpose "
                 "to get 32 rows of 9 weights, one filter per row (reshape(32, 9) would mix weights of neighbouring "
                 "filters). Stack the kernels of KERNELS as rows of 9 too. The matrix product of the two gives every "
                 "dot product at once; divide by the products of the norms and take absolute values. For each filter "
                 "keep the largest value, the name "
                 "of its column and the sign of the cosine in that column before the absolute value (\"+\" or \"−\"). "
                 "Write a function of the filters so that the untrained ones get the same table.")
def _filter_table(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    expect(hasattr(answer, "columns") and hasattr(answer, "sort_values"),
           tr("answer_3_3 should be a pandas DataFrame"))
    filters = lesson_value(ns, "cnn").get_layer("conv1").get_weights()[0]
    names, best, runner_up, signs = closest_kernels(filters, lesson_value(ns, "KERNELS"))
    missing = [c for c in FILTER_COLUMNS if c not in answer.columns]
    expect(not missing, tr("the table lacks the column(s) {missing}", missing=missing))
    table = answer.sort_values("filter")
    expect([int(f) for f in table["filter"]] == list(range(len(names))),
           tr("the table should have one row per trained conv1 filter, numbered 0 to {value}", value=len(names) - 1))
    similarity = table["similarity"].astype(float).to_numpy()
    expect(np.all((similarity >= 0) & (similarity <= 1 + 1e-6)),
           tr("an absolute cosine similarity lies between 0 and 1"))
    if not np.allclose(similarity, best, atol=SIMILARITY_ATOL):
        expect(False, _similarity_mistake(similarity, best, filters, lesson_value(ns, "KERNELS"), ns))
    clear = best - runner_up > 1e-4   # rows where two kernels tie are not judged
    agree = np.array([a == b for a, b in zip(table["closest kernel"], names)])
    expect(agree[clear].all(), tr("the closest kernel is wrong for filter(s) {flatnonzero}",
                                  flatnonzero=np.flatnonzero(~agree & clear).tolist()))
    odd = sorted({str(v) for v in table["sign"] if str(v) not in SIGNS})
    expect(not odd, tr("the sign column should hold \"+\" or \"−\" in every row, not {odd}", odd=odd))
    given = np.array([SIGNS[str(v)] for v in table["sign"]])
    wrong_sign = clear & (given != signs)
    expect(not wrong_sign.any(), tr("the sign is wrong for filter(s) {flatnonzero}: it is the sign of the cosine "
                                    "between the filter and its closest kernel, before the absolute value",
                                    flatnonzero=np.flatnonzero(wrong_sign).tolist()))
    return CORRECT


def overlapping_max_pool(image: np.ndarray, size: int = POOL_SIZE, stride: int = POOL_STRIDE) -> np.ndarray:
    """Max over size x size windows every ``stride`` pixels ('valid': windows that fit entirely)."""
    side = (image.shape[0] - size) // stride + 1
    return np.array([[image[i * stride:i * stride + size, j * stride:j * stride + size].max() for j in range(side)]
                     for i in range(side)])


@exercise("3.4", hint="Keras layers work on batches of images with channels, while `edges` is a single 2-D map. "
                      "Before you run anything: how many 3×3 windows, one every 2 pixels, fit along 26 pixels?",
          recipe="Give `edges` a batch axis in front and a channel axis at the end (indexing with None, or "
                 "np.expand_dims), convert it to float32, call layers.MaxPooling2D(pool_size=3, strides=2) on it, turn "
                 "the result into a NumPy array and take away the two axes you added. Compare its side with your "
                 "prediction.")
def _keras_pooling(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    edges = np.asarray(lesson_value(ns, "edges"), dtype=float)
    expected = overlapping_max_pool(edges)
    try:
        pooled = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        pooled = np.zeros(0)
    expect(pooled.shape == expected.shape, tr("answer_3_4 should be a 2-D map of the shape {shape}, not {shape2}: "
                                              "pool with 3×3 windows every 2 pixels, then remove the batch and "
                                              "channel axes", shape=expected.shape, shape2=pooled.shape))
    expect(np.allclose(pooled, expected, atol=1e-5), tr("the values differ from 3×3 max pooling with stride 2 of the "
                                                        "edge map `edges`"))
    predicted = ns.get("prediction_3_4")
    if isinstance(predicted, (tuple, list)) and len(predicted) == 2 and all(map(is_number, predicted)) \
            and predicted[0] == predicted[1]:
        ns = {**ns, "prediction_3_4": predicted[0]}   # a square shape, (12, 12), predicts the side 12
    return correct(prediction_note(ns, "3.4", expected.shape[0], unit=" px"))
