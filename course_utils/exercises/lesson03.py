"""Checkers for lesson 03 (convolution): output sizes, a designed kernel, learned filters, pooling."""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..i18n import say
from .core import CORRECT, Verdict, call, correct, exercise, expect, is_number, lesson_value, prediction_note

# (n, k, s, p, d): input side, kernel side, stride, padding, dilation; strides that do not divide evenly, padding,
# and dilated kernels (Keras refuses a stride above 1 together with a dilation above 1)
SIZE_CASES = [(28, 3, 1, 0, 1), (28, 5, 1, 2, 1), (28, 3, 2, 1, 1), (13, 3, 2, 0, 1), (32, 7, 3, 3, 1), (7, 3, 2, 1, 1),
              (10, 4, 3, 2, 1), (224, 7, 2, 3, 1), (5, 5, 1, 0, 1), (28, 3, 1, 0, 2), (28, 3, 1, 2, 2), (20, 5, 1, 0, 3),
              (11, 2, 1, 1, 4), (9, 3, 1, 0, 4)]
FILTER_COLUMNS = ("filter", "closest kernel", "similarity")
POOL_SIZE, POOL_STRIDE = 3, 2           # exercise 3.4: overlapping max pooling


def keras_output_size(n: int, k: int, s: int, p: int, d: int = 1) -> int:
    """Side of a Keras Conv2D output for an n x n input zero-padded by p on every side."""
    from keras import layers

    return int(layers.Conv2D(1, k, strides=s, dilation_rate=d).compute_output_shape((1, n + 2 * p, n + 2 * p, 1))[1])


@exercise("3.1", hint="Start from the formula without dilation. A dilated kernel still has k weights along a side, "
                      "but how many input pixels does it span from its first weight to its last?",
          recipe="Draw a 3-tap kernel with dilation 2 on squared paper: its taps sit 2 pixels apart, so it spans "
                 "more pixels than 3. Work out that span for k taps and dilation d, then use the span where the "
                 "undilated formula uses k; keep integer division.",
          hint_zh="从不带空洞的公式出发。空洞卷积核沿一条边仍只有 k 个权重，可从第一个权重到最后一个，它覆盖多少个输入像素？",
          recipe_zh="在方格纸上画一个空洞率为 2 的 3 抽头卷积核：抽头之间相隔 2 个像素，所以它覆盖的像素多于 3 个。"
                    "算出 k 个抽头、空洞率 d 时的覆盖宽度，在不带空洞的公式里用它代替 k；保持整数除法。")
def _output_size(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    expect(callable(answer), say("answer_3_1 should be your function output_size(n, k, s=1, p=0, d=1)",
                                 "answer_3_1 应该是你写的函数 output_size(n, k, s=1, p=0, d=1)"))
    for n, k, s, p, d in SIZE_CASES:
        expected = keras_output_size(n, k, s, p, d)
        got = call(answer, n, k, s, p, d, name=f"output_size({n}, {k}, {s}, {p}, {d})")
        expect(isinstance(got, (int, np.integer)) and not isinstance(got, bool),
               say(f"output_size({n}, {k}, {s}, {p}, {d}) should be a whole number of pixels (an int), not {got!r}",
                   f"output_size({n}, {k}, {s}, {p}, {d}) 应该是整数个像素（int），而不是 {got!r}"))
        expect(got == expected, say(f"output_size({n}, {k}, {s}, {p}, {d}) returned {got}, but Keras gives a different "
                                    "side" + (": how wide is a dilated kernel?" if d > 1 else ""),
                                    f"output_size({n}, {k}, {s}, {p}, {d}) 返回了 {got}，但 Keras 给出的边长不同"
                                    + ("：空洞卷积核有多宽？" if d > 1 else "")))
    return CORRECT


@exercise("3.2", hint="A kernel responds where the image's bright pixels meet its large positive weights. Which "
                      "of the nine positions does a top-left to bottom-right stroke cover?",
          recipe="Give the three positions on the kernel's own top-left to bottom-right diagonal a positive weight "
                 "and the six others a negative one, so that the other diagonal (which shares only the centre) meets "
                 "mostly negative weights.",
          hint_zh="卷积核在图像的亮像素遇上它的大正权重的地方响应强。从左上到右下的笔画覆盖九个位置中的哪几个？",
          recipe_zh="给卷积核自身从左上到右下对角线上的三个位置正权重，其余六个位置负权重；"
                    "这样另一条对角线（只与它共用中心）遇到的大多是负权重。")
def _diagonal_kernel(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    conv2d = lesson_value(ns, "conv2d")
    try:
        kernel = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        kernel = np.zeros(0)
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


@exercise("3.3", hint="A layer's get_weights() returns its kernel first; look at its shape to see where the 32 "
                      "filters are. Two 3×3 arrays compare like two vectors of 9 numbers.",
          recipe="Take conv1's kernel (3, 3, 1, 32) and reshape it to 32 rows of 9 weights; stack the kernels of KERNELS "
                 "as rows of 9 too. The matrix product of the two gives every dot product at once; divide by the "
                 "products of the norms and take absolute values. For each filter keep the largest value and the name "
                 "of its column. Write a function of the filters so that the untrained ones get the same table.",
          hint_zh="层的 get_weights() 首先返回卷积核；看看它的形状，找出 32 个滤波器在哪一维。"
                  "两个 3×3 数组可以像两个 9 维向量那样比较。",
          recipe_zh="取出 conv1 的卷积核 (3, 3, 1, 32)，变形为 32 行、每行 9 个权重；把 KERNELS 中的卷积核也各堆成一行 "
                    "9 个数。两者的矩阵乘积一次给出全部点积；除以范数之积并取绝对值。对每个滤波器保留最大值及其所在列的"
                    "名字。把它写成滤波器的函数，这样未训练的滤波器也能得到同样的表格。")
def _filter_table(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    expect(hasattr(answer, "columns") and hasattr(answer, "sort_values"),
           say("answer_3_3 should be a pandas DataFrame", "answer_3_3 应该是一个 pandas DataFrame"))
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
                 "prediction.",
          hint_zh="Keras 的层处理的是带通道的图像批量，而 `edges` 只是一张二维图。运行之前先想想："
                  "在 26 个像素上，每隔 2 个像素放一个 3×3 窗口，能放几个？",
          recipe_zh="给 `edges` 在前面加一个批量轴、在末尾加一个通道轴（用 None 索引，或 np.expand_dims），转成 float32，"
                    "再用 layers.MaxPooling2D(pool_size=3, strides=2) 处理它；把结果转成 NumPy 数组，去掉你加上的两个轴。"
                    "把它的边长与你的预测比较。")
def _keras_pooling(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    edges = np.asarray(lesson_value(ns, "edges"), dtype=float)
    expected = overlapping_max_pool(edges)
    try:
        pooled = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        pooled = np.zeros(0)
    expect(pooled.shape == expected.shape, say(f"answer_3_4 should be a 2-D map of the shape {expected.shape}, not "
                                               f"{pooled.shape}: pool with 3×3 windows every 2 pixels, then remove the "
                                               "batch and channel axes",
                                               f"answer_3_4 应该是形状为 {expected.shape} 的二维图，而不是 "
                                               f"{pooled.shape}：用每隔 2 个像素一个的 3×3 窗口汇聚，再去掉批量轴和通道轴"))
    expect(np.allclose(pooled, expected, atol=1e-5), say("the values differ from 3×3 max pooling with stride 2 of the "
                                                         "edge map `edges`",
                                                         "数值与对边缘图 `edges` 做步幅为 2 的 3×3 最大汇聚的结果不同"))
    return correct(prediction_note(ns, "3.4", expected.shape[0], unit=" px"))
