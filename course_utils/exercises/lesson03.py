"""Checkers for lesson 03 (convolution): output sizes, a designed kernel, learned filters, pooling."""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from .core import CORRECT, Verdict, exercise, expect, lesson_value

# (n, k, s, p): input side, kernel side, stride, padding; several have p > 0 and a stride that does not divide evenly
SIZE_CASES = [(28, 3, 1, 0), (28, 5, 1, 2), (28, 3, 2, 1), (13, 3, 2, 0), (32, 7, 3, 3), (7, 3, 2, 1), (10, 4, 3, 2),
              (224, 7, 2, 3), (5, 5, 1, 0)]
FILTER_COLUMNS = ("filter", "closest kernel", "similarity")


def keras_output_size(n: int, k: int, s: int, p: int) -> int:
    """Side of a Keras Conv2D output for an n x n input zero-padded by p on every side."""
    from keras import layers

    return int(layers.Conv2D(1, k, strides=s).compute_output_shape((1, n + 2 * p, n + 2 * p, 1))[1])


@exercise("3.1", hint="Padding adds p pixels on both sides, so the input is n + 2p wide; the kernel fits once, then "
                      "once more every s pixels: (n + 2p - k) // s + 1. Use integer division (//).")
def _output_size(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    expect(callable(answer), "answer_3_1 should be your function output_size(n, k, s=1, p=0)")
    for n, k, s, p in SIZE_CASES:
        expected, got = keras_output_size(n, k, s, p), answer(n, k, s, p)
        expect(isinstance(got, (int, np.integer)), f"output_size({n}, {k}, {s}, {p}) should be a whole number of "
                                                   f"pixels, not {got!r}")
        expect(got == expected, f"output_size({n}, {k}, {s}, {p}) returned {got}, but Keras gives a different side")
    return CORRECT


@exercise("3.2", hint="Put positive weights on the kernel's own top-left to bottom-right diagonal and negative "
                      "weights elsewhere, so the other diagonal meets mostly negative weights.")
def _diagonal_kernel(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    conv2d = lesson_value(ns, "conv2d")
    kernel = np.asarray(answer, dtype=float)
    expect(kernel.shape == (3, 3), f"answer_3_2 should be a 3×3 kernel, not the shape {kernel.shape}")
    main, other = conv2d(np.eye(12), kernel).max(), conv2d(np.fliplr(np.eye(12)), kernel).max()
    expect(main > 0, "the kernel should respond positively to the top-left to bottom-right diagonal")
    expect(main >= 2 * max(other, 1e-9), f"its strongest response to the other diagonal ({other:.2f}) is more than "
                                         f"half its response to the main one ({main:.2f})")
    return CORRECT


def closest_kernels(filters: np.ndarray, kernels: Mapping[str, np.ndarray]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """For each filter (k x k x 1 x F): the kernel with the largest |cosine similarity|, that value, and the runner-up's."""
    flat = filters.reshape(-1, filters.shape[-1]).T
    flat = flat / np.linalg.norm(flat, axis=1, keepdims=True)
    names = list(kernels)
    bank = np.stack([np.asarray(kernels[n], dtype=float).ravel() for n in names])
    bank = bank / np.linalg.norm(bank, axis=1, keepdims=True)
    similarity = np.abs(flat @ bank.T)
    ranked = np.sort(similarity, axis=1)
    return [names[i] for i in similarity.argmax(axis=1)], ranked[:, -1], ranked[:, -2]


@exercise("3.3", hint="filters = cnn.get_layer('conv1').get_weights()[0] has the shape (3, 3, 1, 32); flatten "
                      "filter f to 9 numbers, and each kernel too; |a·b| / (‖a‖‖b‖) is the absolute cosine "
                      "similarity. One row per filter: {'filter': f, 'closest kernel': name, 'similarity': value}.")
def _filter_table(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    filters = lesson_value(ns, "cnn").get_layer("conv1").get_weights()[0]
    names, best, runner_up = closest_kernels(filters, lesson_value(ns, "KERNELS"))
    expect(hasattr(answer, "columns") and hasattr(answer, "sort_values"), "answer_3_3 should be a pandas DataFrame")
    missing = [c for c in FILTER_COLUMNS if c not in answer.columns]
    expect(not missing, f"the table lacks the column(s) {missing}")
    table = answer.sort_values("filter")
    expect([int(f) for f in table["filter"]] == list(range(len(names))),
           f"the table should have one row per trained conv1 filter, numbered 0 to {len(names) - 1}")
    similarity = table["similarity"].astype(float).to_numpy()
    expect(np.all((similarity >= 0) & (similarity <= 1 + 1e-6)), "an absolute cosine similarity lies between 0 and 1")
    expect(np.allclose(similarity, best, atol=1e-4), "some similarities differ from the absolute cosine similarity "
                                                     "between the trained filter and its closest kernel")
    clear = best - runner_up > 1e-4   # rows where two kernels tie are not judged
    agree = np.array([a == b for a, b in zip(table["closest kernel"], names)])
    expect(agree[clear].all(), f"the closest kernel is wrong for filter(s) {np.flatnonzero(~agree & clear).tolist()}")
    return CORRECT


@exercise("3.4", hint="Keras wants a batch axis and a channel axis: edges[None, :, :, None] has the shape "
                      "(1, 26, 26, 1); the pooled result has the shape (1, 13, 13, 1): index [0, :, :, 0] to get "
                      "back a 2-D map.")
def _keras_pooling(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    expected = lesson_value(ns, "max_pool")(lesson_value(ns, "edges"))
    pooled = np.asarray(answer, dtype=float)
    expect(pooled.shape == expected.shape, f"answer_3_4 should be a 2-D map of the shape {expected.shape}, not "
                                           f"{pooled.shape}: remove the batch and channel axes")
    expect(np.allclose(pooled, expected, atol=1e-5), "the values differ from max_pool(edges): pool the edge map "
                                                     "`edges` with 2×2 windows")
    return CORRECT
