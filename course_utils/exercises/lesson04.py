"""Checkers for lesson 04 (pre-training on MNIST): metrics by hand, mistakes, and loading a saved model."""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from ..i18n import say
from .core import CORRECT, Verdict, call, correct, exercise, expect, is_number, lesson_value, prediction_note

ERROR_COLUMNS = ("digit", "CNN errors", "MLP errors", "both wrong", "if independent")
CONFIDENCE = 0.9                 # exercise 4.1: the CNN answers "9" only at this probability or above


def _pair(answer: Any) -> np.ndarray:
    try:
        values = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        values = np.zeros(0)
    expect(values.shape == (2,), say("answer_4_1 should be a pair: (precision, recall)",
                                     "answer_4_1 应该是一对数：(精确率, 召回率)"))
    return values


@exercise("4.1", hint="Abstaining changes which images count as 'predicted 9', not which images are 9. Ask, for each "
                      "of the two ratios, what its denominator counts.",
          recipe="Mark the images the CNN now calls 9: its probability for 9 (column 9 of cnn_proba) is at least 0.9. "
                 "The true positives are those that really are 9. Precision divides them by the number of images "
                 "called 9; recall divides them by the number of test images that are 9, answered or not.",
          hint_zh="弃权改变的是哪些图像算作“预测为 9”，而不是哪些图像真的是 9。对这两个比值，各问一句：它的分母数的是什么？",
          recipe_zh="标出 CNN 现在判为 9 的图像：它对 9 的概率（cnn_proba 的第 9 列）至少为 0.9。其中真的是 9 的就是真正例。"
                    "精确率用它除以判为 9 的图像数；召回率用它除以真实为 9 的测试图像数，不管模型是否作答。")
def _precision_recall(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    y_test, cnn_pred, cnn_proba = (np.asarray(lesson_value(ns, n)) for n in ("y_test", "cnn_pred", "cnn_proba"))
    values = _pair(answer)
    said_9 = cnn_proba[:, 9] >= CONFIDENCE
    tp = np.sum(said_9 & (y_test == 9))
    precision, recall = tp / max(np.sum(said_9), 1), tp / max(np.sum(y_test == 9), 1)
    plain_tp = np.sum((cnn_pred == 9) & (y_test == 9))
    plain = (plain_tp / max(np.sum(cnn_pred == 9), 1), plain_tp / max(np.sum(y_test == 9), 1))
    if np.allclose(values, [recall, precision], atol=1e-6) and not np.isclose(precision, recall):
        expect(False, say("you have the two the wrong way round", "你把这两个数的顺序弄反了"))
    expect(not (np.allclose(values, plain, atol=1e-6) and not np.allclose(plain, [precision, recall])),
           say("these are the precision and recall of every '9' the CNN says (the row of cnn_table): count only the "
               f"answers given with a probability of at least {CONFIDENCE}",
               f"这是 CNN 所有“9”答案的精确率和召回率（cnn_table 中的那一行）：只统计概率至少为 {CONFIDENCE} 的答案"))
    expect(np.isclose(values[0], precision, atol=1e-6), say("the precision for the digit 9 is off: of the images the CNN "
                                                            "confidently calls 9, which share is a 9?",
                                                            "数字 9 的精确率不对：CNN 有把握判为 9 的图像中，"
                                                            "真的是 9 的占多少？"))
    confident_only = tp / max(np.sum(said_9 & (y_test == 9)) + np.sum(~said_9 & (y_test == 9) & (cnn_pred == 9)), 1)
    expect(not (np.isclose(values[1], confident_only, atol=1e-6) and not np.isclose(confident_only, recall)),
           say("the recall's denominator should count every test image that is a 9, including those the CNN now "
               "abstains on: abstaining lowers recall",
               "召回率的分母应统计所有真实为 9 的测试图像，包括 CNN 现在弃权的那些：弃权会降低召回率"))
    expect(np.isclose(values[1], recall, atol=1e-6), say("the recall for the digit 9 is off: of the test images that "
                                                         "are 9, which share does the CNN confidently call 9?",
                                                         "数字 9 的召回率不对：真实为 9 的测试图像中，"
                                                         "CNN 有把握判为 9 的占多少？"))
    return CORRECT


@exercise("4.2", hint="Count per digit with boolean masks: 'wrong' and 'is this digit' combine with &. For the "
                      "last column: if the two models erred independently, how often would both err on the same "
                      "image?",
          recipe="For each digit d, mask the test images that are d; the CNN errors are the masked images where "
                 "cnn_pred differs from y_test, the same for the MLP, and both wrong needs both at once. If the "
                 "models erred independently, the chance that both err on an image of d would be the product of their "
                 "error rates on d, so the expected count is CNN errors × MLP errors / (number of images of d). "
                 "Write prediction_4_2 (the total both wrong) before you count.",
          hint_zh="用布尔掩码按数字计数：“错了”和“是这个数字”用 & 组合。最后一列：如果两个模型的错误彼此独立，"
                  "它们在同一张图像上都出错的频率会是多少？",
          recipe_zh="对每个数字 d，用掩码选出真实为 d 的测试图像；CNN errors 是其中 cnn_pred 与 y_test 不同的图像数，"
                    "MLP 同理，both wrong 要求两者同时出错。如果两个模型独立地出错，它们在 d 的一张图像上同时出错的概率"
                    "就是两者在 d 上错误率的乘积，所以期望的个数是 CNN errors × MLP errors / (d 的图像数)。"
                    "计数之前先写好 prediction_4_2（both wrong 的总数）。")
def _error_table(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    y_test, cnn_pred, mlp_pred = (np.asarray(lesson_value(ns, n)) for n in ("y_test", "cnn_pred", "mlp_pred"))
    expect(hasattr(answer, "columns") and hasattr(answer, "sort_values"),
           say("answer_4_2 should be a pandas DataFrame", "answer_4_2 应该是一个 pandas DataFrame"))
    missing = [c for c in ERROR_COLUMNS if c not in answer.columns]
    expect(not missing, say(f"the table lacks the column(s) {missing}", f"表格缺少这些列：{missing}"))
    table = answer.sort_values("digit")
    expect([int(d) for d in table["digit"]] == list(range(10)),
           say("the table should have one row per digit, 0 to 9", "表格应为 0 到 9 每个数字各列一行"))
    cnn_wrong, mlp_wrong = cnn_pred != y_test, mlp_pred != y_test
    counts = np.array([np.sum(y_test == d) for d in range(10)])
    true = {"CNN errors": np.array([np.sum(cnn_wrong & (y_test == d)) for d in range(10)]),
            "MLP errors": np.array([np.sum(mlp_wrong & (y_test == d)) for d in range(10)]),
            "both wrong": np.array([np.sum(cnn_wrong & mlp_wrong & (y_test == d)) for d in range(10)])}
    for column, want in true.items():
        given = table[column].astype(float).to_numpy()
        off = [d for d in range(10) if given[d] != want[d]]
        expect(not off, say(f"'{column}' is off for the digit(s) {off}: count test images of that true digit",
                            f"数字 {off} 的 '{column}' 不对：请统计真实标签为该数字的测试图像"))
    independent = true["CNN errors"] * true["MLP errors"] / np.maximum(counts, 1)
    given = table["if independent"].astype(float).to_numpy()
    off = [d for d in range(10) if not np.isclose(given[d], independent[d], atol=0.051)]
    expect(not off, say(f"'if independent' is off for the digit(s) {off}: with independent errors, the chance that both "
                        "models err on an image of d is the product of their two error rates on d",
                        f"数字 {off} 的 'if independent' 不对：错误彼此独立时，两个模型在 d 的一张图像上同时出错的概率"
                        "是两者在 d 上错误率的乘积"))
    both, expected = int(true["both wrong"].sum()), float(independent.sum())
    return correct(prediction_note(ns, "4.2", both) + say(
        f"; independent errors would give about {expected:.1f} images wrong for both, measured {both}",
        f"；若错误彼此独立，两个模型都错的图像约为 {expected:.1f} 张，实测 {both} 张"))


@exercise("4.3", hint="Two steps: first the MLP's mistakes, then, among those only, the one it was surest of. "
                      "Keep the indices into x_test all the way.",
          recipe="np.flatnonzero on 'mlp_pred differs from y_test' gives the indices of the mistakes; the MLP's "
                 "confidence on an image is its largest probability (the row's max of mlp_proba). Take the mistake with "
                 "the largest confidence, and return its index into x_test, not its position in the list of mistakes.",
          hint_zh="分两步：先找出 MLP 的错误，再只在这些错误中找它最有把握的那个。自始至终都用 x_test 中的下标。",
          recipe_zh="对“mlp_pred 与 y_test 不同”用 np.flatnonzero 得到错误的下标；MLP 对一张图像的把握是它的最大概率"
                    "（mlp_proba 该行的最大值）。取把握最大的那个错误，返回它在 x_test 中的下标，"
                    "而不是它在错误列表中的位置。")
def _confident_mistake(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    y_test, mlp_pred, mlp_proba = (lesson_value(ns, n) for n in ("y_test", "mlp_pred", "mlp_proba"))
    expect(is_number(answer) and float(answer) == int(answer),
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


@exercise("4.4", hint="Everything must come from the file: the model in memory is not the one in the file. A "
                      "loaded model also knows what input shape it expects.",
          recipe="Load the model with keras.models.load_model(path); its input_shape (without the batch axis) tells you "
                 "how to reshape x_test, so one function serves both files; predict, take the most likely class per "
                 "image and return the share that equals y_test, as a float.",
          hint_zh="一切都必须来自文件：内存中的模型并不是文件里的那个。加载后的模型也知道自己要求什么输入形状。",
          recipe_zh="用 keras.models.load_model(path) 加载模型；它的 input_shape（去掉批量轴）告诉你该怎样改变 x_test "
                    "的形状，这样一个函数就能处理两个文件；预测，取每张图像最可能的类别，返回与 y_test 相等的比例（float）。")
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
            got = call(answer, path, name="test_accuracy_of(path)")
            expect(is_number(got) and 0 <= float(got) <= 1, say(f"for {name} your function returned {got!r}; it "
                                                                   "should return an accuracy between 0 and 1",
                                                                   f"对于{name}，你的函数返回了 {got!r}；"
                                                                   "它应该返回一个介于 0 和 1 之间的准确率"))
            expect(abs(float(got) - accuracy_of(model, x_test, y_test)) < 1e-3,
                   say(f"for {name} your function returned {float(got):.4f}, not the accuracy of the model stored in "
                       "that file: load the model from `path`",
                       f"对于{name}，你的函数返回了 {float(got):.4f}，这不是该文件中所存模型的准确率："
                       "请从 `path` 加载模型"))
    return CORRECT
