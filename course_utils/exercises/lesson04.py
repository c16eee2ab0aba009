"""Checkers for lesson 04 (pre-training on MNIST): metrics by hand, mistakes, and loading a saved model."""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from ..i18n import say
from .core import CORRECT, Verdict, exercise, expect, lesson_value

ERROR_COLUMNS = ("digit", "CNN errors", "MLP errors", "both wrong")


@exercise("4.1", hint="Precision divides the true positives by everything *predicted* 9 (cnn_pred == 9); recall "
                      "divides them by everything that *is* 9 (y_test == 9).",
          hint_zh="精确率用真正例数除以所有*预测*为 9 的样本数（cnn_pred == 9）；"
                  "召回率用它除以所有*真实*为 9 的样本数（y_test == 9）。")
def _precision_recall(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    y_test, cnn_pred = lesson_value(ns, "y_test"), lesson_value(ns, "cnn_pred")
    values = np.asarray(answer, dtype=float)
    expect(values.shape == (2,), say("answer_4_1 should be a pair: (precision, recall)",
                                     "answer_4_1 应该是一对数：(精确率, 召回率)"))
    tp = np.sum((cnn_pred == 9) & (y_test == 9))
    precision, recall = tp / max(np.sum(cnn_pred == 9), 1), tp / max(np.sum(y_test == 9), 1)
    if np.allclose(values, [recall, precision], atol=1e-6) and not np.isclose(precision, recall):
        expect(False, say("you have the two the wrong way round", "你把这两个数的顺序弄反了"))
    expect(np.isclose(values[0], precision, atol=1e-6), say("the precision for the digit 9 is off",
                                                            "数字 9 的精确率不对"))
    expect(np.isclose(values[1], recall, atol=1e-6), say("the recall for the digit 9 is off", "数字 9 的召回率不对"))
    return CORRECT


@exercise("4.2", hint="For digit d, the test images that are d: mask = y_test == d. CNN errors: "
                      "np.sum(cnn_pred[mask] != d); MLP errors likewise with mlp_pred; both wrong: both conditions "
                      "at once (&).",
          hint_zh="对数字 d，真实标签为 d 的测试图像由 mask = y_test == d 选出。CNN errors：np.sum(cnn_pred[mask] != d)；"
                  "MLP errors 同理，换成 mlp_pred；both wrong：两个条件同时成立（&）。")
def _error_table(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    y_test, cnn_pred, mlp_pred = (lesson_value(ns, n) for n in ("y_test", "cnn_pred", "mlp_pred"))
    expect(hasattr(answer, "columns") and hasattr(answer, "sort_values"),
           say("answer_4_2 should be a pandas DataFrame", "answer_4_2 应该是一个 pandas DataFrame"))
    missing = [c for c in ERROR_COLUMNS if c not in answer.columns]
    expect(not missing, say(f"the table lacks the column(s) {missing}", f"表格缺少这些列：{missing}"))
    table = answer.sort_values("digit")
    expect([int(d) for d in table["digit"]] == list(range(10)),
           say("the table should have one row per digit, 0 to 9", "表格应为 0 到 9 每个数字各列一行"))
    cnn_wrong, mlp_wrong = cnn_pred != y_test, mlp_pred != y_test
    true = {"CNN errors": [np.sum(cnn_wrong & (y_test == d)) for d in range(10)],
            "MLP errors": [np.sum(mlp_wrong & (y_test == d)) for d in range(10)],
            "both wrong": [np.sum(cnn_wrong & mlp_wrong & (y_test == d)) for d in range(10)]}
    for column, counts in true.items():
        off = [d for d, (a, b) in enumerate(zip(table[column], counts)) if int(a) != int(b)]
        expect(not off, say(f"'{column}' is off for the digit(s) {off}: count test images of that true digit",
                            f"数字 {off} 的 '{column}' 不对：请统计真实标签为该数字的测试图像"))
    return CORRECT


@exercise("4.3", hint="Keep the indices where mlp_pred != y_test, look up each one's largest probability "
                      "(mlp_proba[i].max()), and return the index (into x_test) with the largest of those.",
          hint_zh="保留 mlp_pred != y_test 的下标，查出每个下标的最大概率（mlp_proba[i].max()），"
                  "再返回其中概率最大的那个下标（x_test 中的下标）。")
def _confident_mistake(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    y_test, mlp_pred, mlp_proba = (lesson_value(ns, n) for n in ("y_test", "mlp_pred", "mlp_proba"))
    expect(np.ndim(answer) == 0 and float(answer) == int(answer),
           say("answer_4_3 should be one index into x_test", "answer_4_3 应该是 x_test 中的一个下标"))
    index = int(answer)
    expect(0 <= index < len(y_test), say(f"{index} is not an index into the {len(y_test)} test images",
                                         f"{index} 不是这 {len(y_test)} 张测试图像的下标"))
    expect(mlp_pred[index] != y_test[index], say(f"the MLP classifies test image {index} correctly: find a mistake",
                                                 f"MLP 把测试图像 {index} 分对了：请找一个分错的"))
    top = np.where(mlp_pred != y_test, mlp_proba.max(axis=1), -1.0).max()
    expect(np.isclose(mlp_proba[index].max(), top), say("the MLP gets this image wrong, but it is more confident "
                                                        "about another of its mistakes",
                                                        "MLP 确实分错了这张图像，但它对另一个错误更有把握"))
    return CORRECT


def scrambled_copy(model):
    """A copy of ``model`` whose head's outputs are rotated by one class: a file only loading can reveal."""
    import keras

    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    kernel, bias = copy.layers[-1].get_weights()
    order = np.roll(np.arange(kernel.shape[1]), 1)
    copy.layers[-1].set_weights([kernel[:, order], bias[order]])
    return copy


def accuracy_of(model, x: np.ndarray, y: np.ndarray) -> float:
    """Test accuracy of an in-memory model, feeding ``x`` in the shape the model expects."""
    x = x.reshape((-1, *model.input_shape[1:]))
    return float(np.mean(model.predict(x, batch_size=1024, verbose=0).argmax(axis=1) == y))


@exercise("4.4", hint="model = keras.models.load_model(path); reshape x_test to what it expects with "
                      "x_test.reshape((-1, *model.input_shape[1:])) (the CNN wants a channel axis, the MLP does not); "
                      "then compare predict(...).argmax(axis=1) with y_test.",
          hint_zh="model = keras.models.load_model(path)；用 x_test.reshape((-1, *model.input_shape[1:])) "
                  "把 x_test 变成模型要求的形状（CNN 需要通道轴，MLP 不需要）；"
                  "再把 predict(...).argmax(axis=1) 与 y_test 比较。")
def _accuracy_from_file(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    x_test, y_test = lesson_value(ns, "x_test"), lesson_value(ns, "y_test")
    mlp, cnn, mlp_path = lesson_value(ns, "mlp"), lesson_value(ns, "cnn"), lesson_value(ns, "MLP_PATH")
    expect(callable(answer), say("answer_4_4 should be your function test_accuracy_of(path)",
                                 "answer_4_4 应该是你写的函数 test_accuracy_of(path)"))
    with tempfile.TemporaryDirectory() as folder:
        mystery_path = Path(folder) / "mystery_cnn.keras"
        mystery = scrambled_copy(cnn)
        mystery.save(mystery_path)
        for path, model, name in [(mystery_path, mystery, say("a CNN file the check saved", "检查时保存的 CNN 文件")),
                                  (mlp_path, mlp, say("MLP_PATH", "文件 MLP_PATH"))]:
            got = answer(path)
            expect(np.ndim(got) == 0 and 0 <= float(got) <= 1, say(f"for {name} your function returned {got!r}; it "
                                                                   "should return an accuracy between 0 and 1",
                                                                   f"对于{name}，你的函数返回了 {got!r}；"
                                                                   "它应该返回一个介于 0 和 1 之间的准确率"))
            expect(abs(float(got) - accuracy_of(model, x_test, y_test)) < 1e-3,
                   say(f"for {name} your function returned {float(got):.4f}, not the accuracy of the model stored in "
                       "that file: load the model from `path`",
                       f"对于{name}，你的函数返回了 {float(got):.4f}，这不是该文件中所存模型的准确率："
                       "请从 `path` 加载模型"))
    return CORRECT
