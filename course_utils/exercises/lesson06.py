"""Checkers for lesson 06 (data augmentation): a shift by hand, a digit-safe pipeline, a label-keeping audit."""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..i18n import say
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
                      "pixels around to the other edge.",
          hint_zh="对每张图像抽取 dy, dx = rng.integers(-max_pixels, max_pixels + 1, size=2)；从 np.zeros_like(image) "
                  "开始，把仍留在画面内的那部分图像复制过去（偏移为正时用 out[dy:, dx:] = image[:h - dy, :w - dx] "
                  "这样的切片）。np.roll 不行：它会把像素卷绕到对面的边上。")
def _random_shift(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    expect(callable(answer), say("answer_6_1 should be your function random_shift(images, max_pixels, rng)",
                                 "answer_6_1 应该是你写的函数 random_shift(images, max_pixels, rng)"))
    batch = np.random.default_rng(0).uniform(0.1, 1.0, size=(120, 8, 8, 1)).astype("float32")  # no black pixel
    out = np.asarray(answer(batch.copy(), 2, np.random.default_rng(1)))
    expect(out.shape == batch.shape, say(f"the output should have the input's shape {batch.shape}, not {out.shape}",
                                         f"输出应与输入形状相同，即 {batch.shape}，而不是 {out.shape}"))
    offsets = [matching_shift(a, b, 2) for a, b in zip(batch, out)]
    bad = [i for i, o in enumerate(offsets) if o is None]
    expect(not bad, say(f"image {bad[0] if bad else ''} is not the original moved by at most 2 pixels with black "
                        "(0) filling the uncovered border; wrap-around (np.roll) or another fill does not count",
                        f"图像 {bad[0] if bad else ''} 不是把原图平移至多 2 个像素、并用黑色（0）填充露出的边缘"
                        "得到的；卷绕（np.roll）或其他填充方式都不算"))
    expect(len(set(offsets)) >= 10, say("every image should get its own random shift: only "
                                        f"{len(set(offsets))} different shifts in 120 images",
                                        "每张图像都应有自己的随机平移：120 张图像中只有 "
                                        f"{len(set(offsets))} 种不同的平移"))
    expect(max(max(abs(dy), abs(dx)) for dy, dx in offsets) == 2,
           say("no image moved by the full max_pixels = 2", "没有一张图像平移了整整 max_pixels = 2 个像素"))
    still = np.asarray(answer(batch.copy(), 0, np.random.default_rng(2)))
    expect(np.array_equal(still, batch), say("with max_pixels = 0 the images should come back unchanged",
                                             "max_pixels = 0 时图像应原样返回"))
    return CORRECT


def _random_layers(pipeline) -> list:
    layers = getattr(pipeline, "layers", None)
    expect(layers is not None, say("answer_6_2 should be a keras.Sequential of random preprocessing layers",
                                   "answer_6_2 应该是由随机预处理层组成的 keras.Sequential"))
    return list(layers)


@exercise("6.2", hint="keras.Sequential([layers.RandomRotation(10 / 360, fill_mode='constant'), "
                      "layers.RandomTranslation(0.1, 0.1, fill_mode='constant'), layers.RandomZoom(0.1, "
                      "fill_mode='constant')]): no RandomFlip.",
          hint_zh="keras.Sequential([layers.RandomRotation(10 / 360, fill_mode='constant'), "
                  "layers.RandomTranslation(0.1, 0.1, fill_mode='constant'), layers.RandomZoom(0.1, "
                  "fill_mode='constant')])：不要 RandomFlip。")
def _digit_safe(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    from keras import layers as kl

    batch = lesson_value(ns, "x_digits")[:32]
    steps = _random_layers(answer)
    kinds = [type(layer).__name__ for layer in steps]
    expect(len(steps) >= 2, say(f"use at least two random layers (you have {len(steps)})",
                                f"至少使用两个随机层（你用了 {len(steps)} 个）"))
    expect("RandomFlip" not in kinds, say("no flips: a mirrored 3 is no digit, an upside-down 6 is a 9",
                                          "不要翻转：镜像的 3 不是数字，倒过来的 6 就成了 9"))
    for layer in steps:
        if isinstance(layer, kl.RandomRotation):
            turn = float(np.max(np.abs(np.atleast_1d(layer.factor))))
            expect(turn <= MAX_TURN + 1e-9, say(f"a rotation factor of {turn:.3f} allows turns of ±{turn * 360:.0f}°: at "
                                                "most ±10° keeps a digit a digit",
                                                f"旋转因子 {turn:.3f} 允许转动 ±{turn * 360:.0f}°："
                                                "最多 ±10° 才能让数字仍是原来的数字"))
        expect(getattr(layer, "fill_mode", "constant") == "constant",
               say(f"{type(layer).__name__} fills with '{layer.fill_mode}': MNIST's background is black, use "
                   "fill_mode='constant'",
                   f"{type(layer).__name__} 用 '{layer.fill_mode}' 填充：MNIST 的背景是黑色的，"
                   "请用 fill_mode='constant'"))
    expect(np.array_equal(np.asarray(answer(batch, training=False)), batch),
           say("at inference (training=False) the pipeline should leave the images unchanged",
               "推理时（training=False）流水线应让图像保持不变"))
    expect(not np.array_equal(np.asarray(answer(batch, training=True)), batch),
           say("in training mode (training=True) the pipeline should change the images",
               "训练模式下（training=True）流水线应改变图像"))
    return CORRECT


def _audit_row(table, name: str):
    rows = table[table["transformation"] == name]
    expect(len(rows) == 1, say(f"the table should have exactly one row named {name!r}",
                               f"表格中应恰好有一行名为 {name!r}"))
    return rows.iloc[0]


@exercise("6.3", hint="For each transformation make a version of x_digits_test (a random layer called with "
                      "training=True, or slicing such as [:, :, ::-1]), predict it with digit_model, and compare "
                      "argmax(axis=1) with y_digits_test; then 'keeps label' = the accuracy stays within 0.05 of "
                      "the original's.",
          hint_zh="对每种变换生成 x_digits_test 的一个版本（以 training=True 调用随机层，或用 [:, :, ::-1] 这样的"
                  "切片），用 digit_model 预测，并把 argmax(axis=1) 与 y_digits_test 比较；"
                  "'keeps label' 则表示该版本的准确率与原图的准确率相差不超过 0.05。")
def _label_audit(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    predicted, y = lesson_value(ns, "predicted"), lesson_value(ns, "y_digits_test")
    expect(hasattr(answer, "columns") and hasattr(answer, "iloc"),
           say("answer_6_3 should be a pandas DataFrame", "answer_6_3 应该是一个 pandas DataFrame"))
    missing = [c for c in AUDIT_COLUMNS if c not in answer.columns]
    expect(not missing, say(f"the table lacks the column(s) {missing}", f"表格缺少这些列：{missing}"))
    expect(len(answer) >= 5, say("audit at least five versions: the original, the two flips of the lesson and at least "
                                 "two small transformations of your own",
                                 "至少检验五个版本：原图、本课的两种翻转，以及至少两种你自己设计的小幅变换"))
    accuracy = answer["accuracy"].astype(float)
    expect(accuracy.between(0, 1).all(), say("accuracies lie between 0 and 1", "准确率应介于 0 和 1 之间"))
    for name in ("original", "flipped left-right"):
        true = float(np.mean(predicted[name] == y))
        expect(abs(float(_audit_row(answer, name)["accuracy"]) - true) <= AUDIT_TOLERANCE,
               say(f"the accuracy of '{name}' should be digit_model's accuracy on that version of x_digits_test",
                   f"'{name}' 的准确率应为 digit_model 在 x_digits_test 的这个版本上的准确率"))
    flipped = float(_audit_row(answer, "flipped left-right")["accuracy"])
    expect(not bool(_audit_row(answer, "flipped left-right")["keeps label"]),
           say("a mirror does not keep a digit's label", "镜像并不保留数字的标签"))
    own = answer[~answer["transformation"].isin(list(predicted))]
    expect(len(own) >= 2, say("add at least two small transformations of your own (rotation, shift, zoom, ...)",
                              "请至少加入两种你自己设计的小幅变换（旋转、平移、缩放……）"))
    expect((own["accuracy"].astype(float) > flipped).sum() >= 2,
           say("at least two of your small transformations should keep the accuracy above the mirror's: are they small?",
               "你的小幅变换中至少应有两种让准确率高于镜像：它们的幅度够小吗？"))
    return CORRECT
