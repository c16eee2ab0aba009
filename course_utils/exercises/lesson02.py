"""Checkers for lesson 02 (Iris, a first Keras model): preprocessing, baselines, a new head."""
from __future__ import annotations

from itertools import combinations
from typing import Any, Mapping

import numpy as np

from ..i18n import say
from .core import CORRECT, Verdict, exercise, expect, lesson_value

NEW_FLOWERS = np.array([[5.0, 3.3, 1.5, 0.2], [6.1, 2.8, 4.4, 1.3], [6.4, 3.0, 5.4, 2.1]])   # cm, as in the task
PAIR_COLUMNS = ("feature 1", "feature 2", "mean accuracy", "sd")
MIN_VIRGINICA_ACCURACY = 0.85   # predicting "not virginica" for every flower scores 0.67


@exercise("2.1", hint="The network was trained on standardised inputs: transform the new measurements with the "
                      "scaler fitted on the training rows (scaler.transform), never with a scaler fitted on the "
                      "new flowers, then call model(...) and convert the result with .numpy().",
          hint_zh="网络是在标准化后的输入上训练的：用在训练集上拟合好的 scaler 变换新的测量值（scaler.transform），"
                  "绝不要在新花朵上重新拟合一个 scaler；然后调用 model(...)，再用 .numpy() 转换结果。")
def _new_flowers(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    model, scaler = lesson_value(ns, "model"), lesson_value(ns, "scaler")
    probabilities = np.asarray(answer, dtype=float)
    expect(probabilities.shape == (3, 3), say(f"answer_2_1 should hold 3 rows (flowers) of 3 probabilities (species), "
                                              f"not the shape {probabilities.shape}",
                                              f"answer_2_1 应有 3 行（花朵），每行 3 个概率（物种），"
                                              f"而不是形状 {probabilities.shape}"))
    expect(np.allclose(probabilities.sum(axis=1), 1, atol=1e-3), say("each row should be a probability distribution "
                                                                     "(it sums to 1): use the model's softmax output",
                                                                     "每一行都应是一个概率分布（和为 1）："
                                                                     "请使用模型 softmax 层的输出"))
    expected = np.asarray(model(scaler.transform(NEW_FLOWERS).astype("float32")))
    expect(np.allclose(probabilities, expected, atol=1e-4),
           say("these are not the model's probabilities for the three flowers as it was trained to see them "
               "(check how the inputs are prepared)",
               "这不是模型按训练时的输入方式看到这三朵花时给出的概率（请检查输入是怎样准备的）"))
    return CORRECT


def _pair_index(names: list[str], row) -> tuple[int, int]:
    first, second = str(row["feature 1"]), str(row["feature 2"])
    expect(first in names and second in names, say(f"feature names should come from feature_names, e.g. {names[0]!r}",
                                                    f"特征名应取自 feature_names，例如 {names[0]!r}"))
    return tuple(sorted((names.index(first), names.index(second))))


@exercise("2.2", hint="itertools.combinations(range(4), 2) gives the six pairs; for each, scores = "
                      "cv_logistic([i, j]) and a row {'feature 1': feature_names[i], 'feature 2': feature_names[j], "
                      "'mean accuracy': scores.mean(), 'sd': scores.std(ddof=1)}; then sort_values(..., ascending=False).",
          hint_zh="itertools.combinations(range(4), 2) 给出全部六对特征；对每一对，scores = cv_logistic([i, j])，"
                  "并记一行 {'feature 1': feature_names[i], 'feature 2': feature_names[j], "
                  "'mean accuracy': scores.mean(), 'sd': scores.std(ddof=1)}；最后 sort_values(..., ascending=False)。")
def _feature_pairs(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    names, cv_logistic = list(lesson_value(ns, "feature_names")), lesson_value(ns, "cv_logistic")
    expect(hasattr(answer, "columns") and hasattr(answer, "iterrows"),
           say("answer_2_2 should be a pandas DataFrame", "answer_2_2 应该是一个 pandas DataFrame"))
    missing = [c for c in PAIR_COLUMNS if c not in answer.columns]
    expect(not missing, say(f"the table lacks the column(s) {missing}", f"表格缺少这些列：{missing}"))
    pairs = [_pair_index(names, row) for _, row in answer.iterrows()]
    expect(sorted(pairs) == sorted(combinations(range(len(names)), 2)),
           say("the table should have one row for each of the six pairs of features",
               "表格应为六对特征各列一行"))
    means = answer["mean accuracy"].astype(float).to_numpy()
    expect(np.all(np.diff(means) <= 1e-12), say("sort the rows from the best pair to the worst",
                                                "请把各行从最好的一对排到最差的一对"))
    for pair, (_, row) in zip(pairs, answer.iterrows()):
        scores = cv_logistic(list(pair))
        expect(np.isclose(float(row["mean accuracy"]), scores.mean(), atol=1e-6),
               say(f"the mean accuracy of {names[pair[0]]} + {names[pair[1]]} should come from cv_logistic on the same "
                   "folds",
                   f"{names[pair[0]]} + {names[pair[1]]} 的平均准确率应由 cv_logistic 在同样的折上算出"))
        expect(min(abs(float(row["sd"]) - scores.std(ddof=d)) for d in (0, 1)) < 1e-6,
               say(f"the sd of {names[pair[0]]} + {names[pair[1]]} should be the standard deviation of its fold scores",
                   f"{names[pair[0]]} + {names[pair[1]]} 的 sd 应为它各折得分的标准差"))
    return CORRECT


@exercise("2.3", hint="body.trainable = False; new = keras.Sequential([body, keras.layers.Dense(2, "
                      "activation='softmax')]); compile it; fit it on make_ds(X_train_s, (y_train == 2).astype("
                      "'int64'), shuffle=True) for EPOCHS epochs with shuffle=False.",
          hint_zh="body.trainable = False；new = keras.Sequential([body, keras.layers.Dense(2, "
                  "activation='softmax')])；编译它；在 make_ds(X_train_s, (y_train == 2).astype('int64'), "
                  "shuffle=True) 上以 shuffle=False 训练 EPOCHS 个迭代周期。")
def _virginica_head(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    body, iris, scaler = lesson_value(ns, "body"), lesson_value(ns, "iris"), lesson_value(ns, "scaler")
    expect(hasattr(answer, "trainable_weights") and hasattr(answer, "output_shape"),
           say("answer_2_3 should be your new Keras model", "answer_2_3 应该是你的新 Keras 模型"))
    expect(tuple(answer.output_shape) == (None, 2), say(f"the new head should have 2 output units (virginica or not), "
                                                        f"not the output shape {answer.output_shape}",
                                                        f"新的分类头应有 2 个输出单元（是或不是 virginica），"
                                                        f"而不是输出形状 {answer.output_shape}"))
    body_ids = {id(w) for w in body.weights}
    expect(not any(id(w) in body_ids for w in answer.trainable_weights),
           say("the body should be frozen: only the new head may be trainable",
               "主体应被冻结：只有新的分类头可以训练"))
    expect(answer.trainable_weights, say("the new head should be trainable", "新的分类头应该是可训练的"))
    expect(any(id(w) in body_ids for w in answer.weights), say("the new model should reuse the trained `body`",
                                                               "新模型应复用训练好的 `body`"))
    predicted = np.asarray(answer(scaler.transform(iris.X).astype("float32"))).argmax(axis=1)
    score = float(np.mean(predicted == (iris.y == 2)))
    expect(score >= MIN_VIRGINICA_ACCURACY, say(f"the new model tells virginica apart from the rest in only {score:.0%} of "
                                                "all flowers (calling every flower 'not virginica' scores 67%): train the "
                                                "head on the task's labels",
                                                f"新模型只在 {score:.0%} 的花朵上正确区分了 virginica 与其他物种"
                                                "（把每朵花都判为“不是 virginica”也能得 67%）：请用这个任务的标签训练分类头"))
    return CORRECT
