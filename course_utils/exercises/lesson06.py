"""Checkers for lesson 06 (data augmentation): a shift by hand, a digit-safe pipeline, a label-keeping audit."""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..i18n import say
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
                 "for positive and negative offsets: max/min with 0 handles both) and assign one to the other.",
          hint_zh="从一张全黑的图像开始，把原图中仍留在画面内的部分复制进去。np.roll 看起来很方便："
                  "它怎样处理离开画面的像素？",
          recipe_zh="对图像循环；对每张图像用 rng.integers 抽取两个偏移（上界不包含在内，所以要加一）；建一个与批量同形状的"
                    "全零输出；对每个轴算出输出中接收像素的切片和输入中像素来源的切片（偏移为正和为负时不同：与 0 取 "
                    "max/min 可以兼顾两者），再把后者赋给前者。")
def _random_shift(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    expect(callable(answer), say("answer_6_1 should be your function random_shift(images, max_pixels, rng)",
                                 "answer_6_1 应该是你写的函数 random_shift(images, max_pixels, rng)"))
    batch = np.random.default_rng(0).uniform(0.1, 1.0, size=(120, 8, 8, 1)).astype("float32")  # no black pixel
    try:
        out = np.asarray(call(answer, batch.copy(), 2, np.random.default_rng(1), name="random_shift"), dtype=float)
    except (TypeError, ValueError):
        out = np.zeros(0)
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
    still = np.asarray(call(answer, batch.copy(), 0, np.random.default_rng(2), name="random_shift"))
    expect(np.array_equal(still, batch), say("with max_pixels = 0 the images should come back unchanged",
                                             "max_pixels = 0 时图像应原样返回"))
    return CORRECT


def _leaf_layers(pipeline) -> list:
    """Every layer of the pipeline, nested Sequential models opened (depth first)."""
    found = []
    for layer in getattr(pipeline, "layers", []):
        found += _leaf_layers(layer) if hasattr(layer, "layers") else [layer]
    return found


def _largest(factor) -> float:
    return float(np.max(np.abs(np.atleast_1d(np.asarray(factor, dtype=float)))))


@exercise("6.2", hint="For each random layer ask: could the transformed image be a different digit, or no digit? "
                      "A mirrored 3, a 6 turned upside down, a digit pushed half out of the frame or blown up until it "
                      "fills it. And what colour is MNIST's background?",
          recipe="Stack a few of Keras' random image layers in a keras.Sequential: a RandomRotation whose factor is a "
                 "fraction of a full turn (10° is 10/360), a RandomTranslation of a few pixels (a fraction of the "
                 "side, at most 0.15), a RandomZoom of at most 0.2; give each fill_mode='constant' (black). Leave "
                 "flips out.",
          hint_zh="对每个随机层都问一句：变换后的图像会不会成了另一个数字，或者根本不像数字？镜像的 3、倒过来的 6、"
                  "被推出画面一半的数字、放大到填满画面的数字。还有，MNIST 的背景是什么颜色？",
          recipe_zh="在 keras.Sequential 中叠几个 Keras 的随机图像层：一个 RandomRotation，其因子是整圈的比例"
                    "（10° 就是 10/360）；一个平移几个像素的 RandomTranslation（边长的比例，至多 0.15）；一个至多 0.2 的 "
                    "RandomZoom；每个都设 fill_mode='constant'（黑色）。不要翻转。")
def _digit_safe(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    from keras import layers as kl

    batch = lesson_value(ns, "x_digits")[:32]
    expect(hasattr(answer, "layers") and callable(answer),
           say("answer_6_2 should be a keras.Sequential of random preprocessing layers",
               "answer_6_2 应该是由随机预处理层组成的 keras.Sequential"))
    steps = _leaf_layers(answer)
    kinds = [type(layer).__name__ for layer in steps]
    expect(len(steps) >= 2, say(f"use at least two random layers (you have {len(steps)})",
                                f"至少使用两个随机层（你用了 {len(steps)} 个）"))
    expect("RandomFlip" not in kinds, say("no flips: a mirrored 3 is no digit, an upside-down 6 is a 9",
                                          "不要翻转：镜像的 3 不是数字，倒过来的 6 就成了 9"))
    for layer in steps:
        name = type(layer).__name__
        if isinstance(layer, kl.RandomRotation):
            turn = _largest(layer.factor)
            expect(turn <= MAX_TURN + 1e-9, say(f"a rotation factor of {turn:.3f} allows turns of ±{turn * 360:.0f}°: at "
                                                "most ±10° keeps a digit a digit",
                                                f"旋转因子 {turn:.3f} 允许转动 ±{turn * 360:.0f}°："
                                                "最多 ±10° 才能让数字仍是原来的数字"))
        if isinstance(layer, kl.RandomTranslation):
            shift = max(_largest(layer.height_factor), _largest(layer.width_factor))
            expect(shift <= MAX_SHIFT + 1e-9, say(f"a translation factor of {shift:g} moves a digit by up to "
                                                  f"{shift * 28:.0f} of its 28 pixels: part of it leaves the frame "
                                                  f"(at most {MAX_SHIFT} keeps it inside)",
                                                  f"平移因子 {shift:g} 会把数字移动多达 {shift * 28:.0f} 个像素"
                                                  f"（共 28 个）：有一部分会离开画面（至多 {MAX_SHIFT} 才能留在画面内）"))
        if isinstance(layer, kl.RandomZoom):
            zoom = max(_largest(layer.height_factor), _largest(layer.width_factor or 0))
            expect(zoom <= MAX_ZOOM + 1e-9, say(f"a zoom factor of {zoom:g} shrinks or blows up a digit by up to "
                                                f"{zoom:.0%}: at most ±{MAX_ZOOM:.0%} keeps it readable and in the frame",
                                                f"缩放因子 {zoom:g} 会把数字缩小或放大多达 {zoom:.0%}："
                                                f"至多 ±{MAX_ZOOM:.0%} 才能保持可读并留在画面内"))
        fill = getattr(layer, "fill_mode", "constant")
        expect(fill == "constant", say(f"{name} fills with '{fill}': MNIST's background is black, use "
                                       "fill_mode='constant'",
                                       f"{name} 用 '{fill}' 填充：MNIST 的背景是黑色的，请用 fill_mode='constant'"))
    at_inference = np.asarray(call(lambda: answer(batch, training=False), name="the pipeline (training=False)"))
    expect(at_inference.shape == batch.shape and np.array_equal(at_inference, batch),
           say("at inference (training=False) the pipeline should leave the images unchanged",
               "推理时（training=False）流水线应让图像保持不变"))
    in_training = np.asarray(call(lambda: answer(batch, training=True), name="the pipeline (training=True)"))
    expect(not np.array_equal(in_training, batch),
           say("in training mode (training=True) the pipeline should change the images",
               "训练模式下（training=True）流水线应改变图像"))
    return CORRECT


def _audit_row(table, name: str):
    rows = table[table["transformation"] == name]
    expect(len(rows) == 1, say(f"the table should have exactly one row named {name!r}",
                               f"表格中应恰好有一行名为 {name!r}"))
    return rows.iloc[0]


@exercise("6.3", hint="The lesson's `variants` already holds the original and its two flips; you add versions made "
                      "with random layers called in training mode. Write down your predictions first.",
          recipe="Make a dict of versions: the lesson's variants plus, for each small transformation, a random layer "
                 "applied to x_digits_test with training=True. For each version, predict with digit_model, take the "
                 "most likely class and compare with y_digits_test to get an accuracy. Build the table from the dict; "
                 "'model still reads it' compares each accuracy with the original's minus 0.05.",
          hint_zh="本课的 `variants` 已包含原图及其两种翻转；你再加上用随机层（训练模式调用）生成的版本。先写下你的预测。",
          recipe_zh="建一个版本字典：本课的 variants，再加上每种小幅变换——用随机层以 training=True 作用于 x_digits_test。"
                    "对每个版本，用 digit_model 预测，取最可能的类别并与 y_digits_test 比较，得到准确率。用这个字典建表；"
                    "'model still reads it' 把每个准确率与原图准确率减去 0.05 比较。")
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
    original = float(_audit_row(answer, "original")["accuracy"])
    keeps = answer["model still reads it"].map(lambda v: v if isinstance(v, (bool, np.bool_)) else None)
    expect(keeps.notna().all(), say("'model still reads it' should be True or False in every row",
                                    "每一行的 'model still reads it' 都应为 True 或 False"))
    should_keep = accuracy >= original - 0.05 - 1e-9
    wrong = [str(t) for t, k, want in zip(answer["transformation"], keeps, should_keep) if bool(k) != bool(want)]
    expect(not wrong, say(f"'model still reads it' is wrong for {wrong}: it is True exactly when the row's accuracy is at least "
                          "the original's minus 0.05",
                          f"{wrong} 的 'model still reads it' 不对：当且仅当该行准确率不低于原图准确率减 0.05 时才为 True"))
    own = answer[~answer["transformation"].isin(list(predicted))]
    expect(len(own) >= 2, say("add at least two small transformations of your own (rotation, shift, zoom, ...)",
                              "请至少加入两种你自己设计的小幅变换（旋转、平移、缩放……）"))
    expect((own["accuracy"].astype(float) > flipped).sum() >= 2,
           say("at least two of your small transformations should keep the accuracy above the mirror's: are they small?",
               "你的小幅变换中至少应有两种让准确率高于镜像：它们的幅度够小吗？"))
    measured = {str(t): float(a) for t, a in zip(answer["transformation"], accuracy)}
    return correct(prediction_note(ns, "6.3", measured))
