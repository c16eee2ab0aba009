"""Checkers for lesson 03 (convolution): output sizes, a designed kernel, learned filters, pooling."""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..i18n import say
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
                      "once more every s pixels: (n + 2p - k) // s + 1. Use integer division (//).",
          hint_zh="填充在两侧各加 p 个像素，所以输入宽 n + 2p；卷积核先放下一次，之后每隔 s 个像素再放一次："
                  "(n + 2p - k) // s + 1。请用整数除法（//）。")
def _output_size(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    expect(callable(answer), say("answer_3_1 should be your function output_size(n, k, s=1, p=0)",
                                 "answer_3_1 应该是你写的函数 output_size(n, k, s=1, p=0)"))
    for n, k, s, p in SIZE_CASES:
        expected, got = keras_output_size(n, k, s, p), answer(n, k, s, p)
        expect(isinstance(got, (int, np.integer)), say(f"output_size({n}, {k}, {s}, {p}) should be a whole number of "
                                                       f"pixels, not {got!r}",
                                                       f"output_size({n}, {k}, {s}, {p}) 应该是整数个像素，"
                                                       f"而不是 {got!r}"))
        expect(got == expected, say(f"output_size({n}, {k}, {s}, {p}) returned {got}, but Keras gives a different side",
                                    f"output_size({n}, {k}, {s}, {p}) 返回了 {got}，但 Keras 给出的边长不同"))
    return CORRECT


@exercise("3.2", hint="Put positive weights on the kernel's own top-left to bottom-right diagonal and negative "
                      "weights elsewhere, so the other diagonal meets mostly negative weights.",
          hint_zh="在卷积核自身从左上到右下的对角线上放正权重，其余位置放负权重，"
                  "这样另一条对角线遇到的大多是负权重。")
def _diagonal_kernel(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    conv2d = lesson_value(ns, "conv2d")
    kernel = np.asarray(answer, dtype=float)
    expect(kernel.shape == (3, 3), say(f"answer_3_2 should be a 3×3 kernel, not the shape {kernel.shape}",
                                       f"answer_3_2 应该是一个 3×3 的卷积核，而不是形状 {kernel.shape}"))
    main, other = conv2d(np.eye(12), kernel).max(), conv2d(np.fliplr(np.eye(12)), kernel).max()
    expect(main > 0, say("the kernel should respond positively to the top-left to bottom-right diagonal",
                         "卷积核对从左上到右下的对角线应有正的响应"))
    expect(main >= 2 * max(other, 1e-9), say(f"its strongest response to the other diagonal ({other:.2f}) is more than "
                                             f"half its response to the main one ({main:.2f})",
                                             f"它对另一条对角线的最强响应（{other:.2f}）超过了"
                                             f"对主对角线响应（{main:.2f}）的一半"))
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
                      "similarity. One row per filter: {'filter': f, 'closest kernel': name, 'similarity': value}.",
          hint_zh="filters = cnn.get_layer('conv1').get_weights()[0] 的形状是 (3, 3, 1, 32)；把第 f 个滤波器展平成 "
                  "9 个数，每个卷积核也展平；|a·b| / (‖a‖‖b‖) 就是余弦相似度的绝对值。每个滤波器一行："
                  "{'filter': f, 'closest kernel': name, 'similarity': value}。")
def _filter_table(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    filters = lesson_value(ns, "cnn").get_layer("conv1").get_weights()[0]
    names, best, runner_up = closest_kernels(filters, lesson_value(ns, "KERNELS"))
    expect(hasattr(answer, "columns") and hasattr(answer, "sort_values"),
           say("answer_3_3 should be a pandas DataFrame", "answer_3_3 应该是一个 pandas DataFrame"))
    missing = [c for c in FILTER_COLUMNS if c not in answer.columns]
    expect(not missing, say(f"the table lacks the column(s) {missing}", f"表格缺少这些列：{missing}"))
    table = answer.sort_values("filter")
    expect([int(f) for f in table["filter"]] == list(range(len(names))),
           say(f"the table should have one row per trained conv1 filter, numbered 0 to {len(names) - 1}",
               f"表格应为训练好的 conv1 的每个滤波器各列一行，编号从 0 到 {len(names) - 1}"))
    similarity = table["similarity"].astype(float).to_numpy()
    expect(np.all((similarity >= 0) & (similarity <= 1 + 1e-6)),
           say("an absolute cosine similarity lies between 0 and 1", "余弦相似度的绝对值介于 0 和 1 之间"))
    expect(np.allclose(similarity, best, atol=1e-4), say("some similarities differ from the absolute cosine similarity "
                                                         "between the trained filter and its closest kernel",
                                                         "有些相似度不等于训练好的滤波器与其最接近的卷积核之间"
                                                         "余弦相似度的绝对值"))
    clear = best - runner_up > 1e-4   # rows where two kernels tie are not judged
    agree = np.array([a == b for a, b in zip(table["closest kernel"], names)])
    expect(agree[clear].all(), say(f"the closest kernel is wrong for filter(s) {np.flatnonzero(~agree & clear).tolist()}",
                                   f"这些滤波器的最接近卷积核不对：{np.flatnonzero(~agree & clear).tolist()}"))
    return CORRECT


@exercise("3.4", hint="Keras wants a batch axis and a channel axis: edges[None, :, :, None] has the shape "
                      "(1, 26, 26, 1); the pooled result has the shape (1, 13, 13, 1): index [0, :, :, 0] to get "
                      "back a 2-D map.",
          hint_zh="Keras 需要一个批量轴和一个通道轴：edges[None, :, :, None] 的形状是 (1, 26, 26, 1)；"
                  "汇聚结果的形状是 (1, 13, 13, 1)：用 [0, :, :, 0] 取回一张二维图。")
def _keras_pooling(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    expected = lesson_value(ns, "max_pool")(lesson_value(ns, "edges"))
    pooled = np.asarray(answer, dtype=float)
    expect(pooled.shape == expected.shape, say(f"answer_3_4 should be a 2-D map of the shape {expected.shape}, not "
                                               f"{pooled.shape}: remove the batch and channel axes",
                                               f"answer_3_4 应该是形状为 {expected.shape} 的二维图，而不是 "
                                               f"{pooled.shape}：去掉批量轴和通道轴"))
    expect(np.allclose(pooled, expected, atol=1e-5), say("the values differ from max_pool(edges): pool the edge map "
                                                         "`edges` with 2×2 windows",
                                                         "数值与 max_pool(edges) 不同：请用 2×2 的窗口对边缘图 "
                                                         "`edges` 做汇聚"))
    return CORRECT
