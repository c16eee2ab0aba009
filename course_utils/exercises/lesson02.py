"""Checkers for lesson 02 (Iris, a first Keras model): preprocessing, baselines, a new head."""
from __future__ import annotations

from itertools import combinations
from typing import Any, Mapping

import numpy as np

from ..i18n import say
from .core import CORRECT, NotQuite, Verdict, call, correct, exercise, expect, lesson_value, prediction_note

NEW_FLOWERS = np.array([[5.0, 3.3, 1.5, 0.2], [6.1, 2.8, 4.4, 1.3], [6.4, 3.0, 5.4, 2.1]])   # cm, as in the task
PAIR_COLUMNS = ("feature 1", "feature 2", "mean accuracy", "sd")
MIN_PAIR_ACCURACY = 0.75       # exercise 2.3: versicolor vs virginica on the test flowers; a constant guess scores 0.5


def _model_probabilities(model, inputs: np.ndarray) -> np.ndarray:
    return np.asarray(model(np.asarray(inputs, dtype="float32")))


@exercise("2.1", hint="The model never saw centimetres: look at what the training cells did to X_train before "
                      "fitting. And three flowers are too few to estimate anything from.",
          recipe="Prepare the new measurements exactly as the training rows were prepared: with the scaler already "
                 "fitted on the training rows (its transform method; do not fit a new one on these three flowers). "
                 "Call the model on the result as float32 and turn its output into a NumPy array: one row of three "
                 "probabilities per flower.",
          hint_zh="模型从没见过厘米：看看训练前的单元格对 X_train 做了什么。而且三朵花太少，什么都估计不出来。",
          recipe_zh="用准备训练数据的同一种方式准备新的测量值：用已在训练集上拟合好的 scaler（它的 transform 方法；"
                    "不要在这三朵花上拟合新的 scaler）。把结果转成 float32 交给模型，再把输出转成 NumPy 数组："
                    "每朵花一行，每行三个概率。")
def _new_flowers(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    from sklearn.preprocessing import StandardScaler

    model, scaler = lesson_value(ns, "model"), lesson_value(ns, "scaler")
    try:
        probabilities = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        probabilities = np.zeros(0)
    expect(probabilities.shape == (3, 3), say(f"answer_2_1 should hold 3 rows (flowers) of 3 probabilities (species), "
                                              f"not the shape {probabilities.shape}",
                                              f"answer_2_1 应有 3 行（花朵），每行 3 个概率（物种），"
                                              f"而不是形状 {probabilities.shape}"))
    expect(np.allclose(probabilities.sum(axis=1), 1, atol=1e-3), say("each row should be a probability distribution "
                                                                     "(it sums to 1): use the model's softmax output",
                                                                     "每一行都应是一个概率分布（和为 1）："
                                                                     "请使用模型 softmax 层的输出"))
    expected = _model_probabilities(model, scaler.transform(NEW_FLOWERS))
    if np.allclose(probabilities, expected, atol=1e-4):
        return CORRECT
    mistakes = [
        (NEW_FLOWERS, say("these are the model's probabilities for the raw centimetres: the model was trained on "
                          "standardised inputs, so it reads 5.0 cm as five standard deviations",
                          "这是模型对原始厘米数给出的概率：模型是在标准化后的输入上训练的，会把 5.0 厘米读成五个标准差")),
        (StandardScaler().fit_transform(NEW_FLOWERS),
         say("you standardised the three flowers with their own mean and sd (a scaler fitted on them): that moves every "
             "flower relative to the other two. Use the scaler fitted on the training rows",
             "你用这三朵花自己的均值和标准差做了标准化（在它们身上拟合的 scaler）：这样每朵花的位置都取决于另外两朵。"
             "请使用在训练集上拟合好的 scaler")),
    ]
    iris = ns.get("iris")
    if iris is not None and hasattr(iris, "X"):
        mistakes.append((StandardScaler().fit(iris.X).transform(NEW_FLOWERS),
                         say("you fitted a scaler on all 150 flowers, test flowers included: use the one fitted on the "
                             "training rows, `scaler`",
                             "你在全部 150 朵花（包括测试集）上拟合了 scaler：请使用只在训练集上拟合的 `scaler`")))
    for inputs, reason in mistakes:
        expect(not np.allclose(probabilities, _model_probabilities(model, inputs), atol=1e-4), reason)
    expect(False, say("these are not the model's probabilities for the three flowers as it was trained to see them "
                      "(check how the inputs are prepared, and the order of the flowers)",
                      "这不是模型按训练时的输入方式看到这三朵花时给出的概率（请检查输入的准备方式和花朵的顺序）"))
    return CORRECT


def _pair_index(names: list[str], row) -> tuple[int, int]:
    first, second = str(row["feature 1"]), str(row["feature 2"])
    expect(first in names and second in names, say(f"feature names should come from feature_names, e.g. {names[0]!r}",
                                                    f"特征名应取自 feature_names，例如 {names[0]!r}"))
    return tuple(sorted((names.index(first), names.index(second))))


@exercise("2.2", hint="Six pairs is few enough to list by hand, but itertools can list them for you; cv_logistic "
                      "takes a list of feature indices.",
          recipe="Loop over every pair of feature indices (itertools.combinations of the four indices, two at a "
                 "time); for each, get the fold scores from cv_logistic and record a row with the two names from "
                 "feature_names, the mean of the scores and their standard deviation. Make a DataFrame of the rows and "
                 "sort it by the mean accuracy, best first. Write prediction_2_2 before you run the loop.",
          hint_zh="六对特征少到可以手工列出，不过 itertools 能替你列出它们；cv_logistic 接收一个特征下标列表。",
          recipe_zh="遍历每一对特征下标（四个下标两两组合的 itertools.combinations）；对每一对，用 cv_logistic "
                    "得到各折的得分，记一行：feature_names 中的两个名字、得分的平均值及其标准差。把这些行组成 "
                    "DataFrame，按平均准确率从高到低排序。运行循环之前先写好 prediction_2_2。")
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
    best = (names[pairs[0][0]], names[pairs[0][1]])
    predicted = ns.get("prediction_2_2")
    if isinstance(predicted, (tuple, list)) and len(predicted) == 2 and all(p in names for p in predicted):
        key = tuple(sorted(names.index(p) for p in predicted))
        if key in pairs:
            rank = pairs.index(key)
            return correct(say(f"your prediction: {' + '.join(predicted)}, ranked {rank + 1} of 6 "
                               f"(mean accuracy {means[rank]:.3f}; the best pair scores {means[0]:.3f})",
                               f"你的预测：{' + '.join(predicted)}，在 6 对中排第 {rank + 1}"
                               f"（平均准确率 {means[rank]:.3f}；最好的一对为 {means[0]:.3f}）"))
    return correct(prediction_note(ns, "2.2", " + ".join(best)))


_SETOSA_WEIGHTS: dict = {}   # trained once per set of training flowers: each check gets a fresh body with them


def setosa_body(ns: Mapping[str, Any]):
    """The body of a 4-16-2 network trained (seeded) to tell setosa from the rest: the source task of 2.3.

    Every call returns a new model (a learner's function may freeze or train it); the training runs once per
    set of training flowers.
    """
    import hashlib

    import keras

    X_train_s = np.asarray(lesson_value(ns, "X_train_s"), "float32")
    y_train = np.asarray(lesson_value(ns, "y_train"))
    init = keras.initializers.GlorotUniform(seed=0)
    inputs = keras.Input(shape=(4,))
    hidden = keras.layers.Dense(16, activation="relu", name="hidden", kernel_initializer=init)(inputs)
    source = keras.Model(inputs, keras.layers.Dense(2, activation="softmax", kernel_initializer=init)(hidden))
    key = hashlib.sha256(X_train_s.tobytes() + y_train.astype("int64").tobytes()).hexdigest()
    if key not in _SETOSA_WEIGHTS:
        source.compile(optimizer=keras.optimizers.Adam(learning_rate=0.05), loss="sparse_categorical_crossentropy")
        source.fit(X_train_s, (y_train == 0).astype("int64"), epochs=30, batch_size=16, shuffle=False, verbose=0)
        _SETOSA_WEIGHTS[key] = source.get_weights()
    source.set_weights(_SETOSA_WEIGHTS[key])
    return keras.Model(inputs, hidden, name="setosa_body")


@exercise("2.3", hint="Three things to get right: which flowers the head trains on, what labels sparse "
                      "cross-entropy accepts (0 to n - 1), and that only the head may learn.",
          recipe="Inside transfer(body): switch the body's trainable flag off; stack the body and a new Dense(2, softmax) in a "
                 "keras.Sequential; compile it; keep only the training rows whose species is versicolor or virginica "
                 "(y_train is 1 or 2) and shift their labels to 0 and 1; fit on make_ds(...) of those rows for EPOCHS "
                 "epochs; return the new model. Use only the `body` you are given.",
          hint_zh="有三件事要做对：分类头用哪些花来训练，稀疏交叉熵接受什么样的标签（0 到 n - 1），"
                  "以及只有分类头可以学习。",
          recipe_zh="在 transfer(body) 中：关掉主体的 trainable 标志；用 keras.Sequential 把主体和一个新的 "
                    "Dense(2, softmax) 叠起来；编译；只保留物种为 versicolor 或 virginica 的训练行（y_train 为 1 或 2），"
                    "并把它们的标签移到 0 和 1；在这些行的 make_ds(...) 上训练 EPOCHS 个迭代周期；返回新模型。"
                    "只使用传入的 `body`。")
def _pair_transfer(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    X_test_s, y_test = lesson_value(ns, "X_test_s"), np.asarray(lesson_value(ns, "y_test"))
    expect(callable(answer) and not hasattr(answer, "layers"),
           say("answer_2_3 should be your function transfer(body), which returns the new model",
               "answer_2_3 应该是你写的函数 transfer(body)，它返回新模型"))
    body = setosa_body(ns)
    before = [w.copy() for w in body.get_weights()]
    try:
        model = call(answer, body, name="transfer(body)")
    except NotQuite as err:
        expect("outside the valid range" not in str(err.__cause__) and "Received a label value" not in str(err.__cause__),
               say("training stopped on a label outside 0..1: a 2-unit head with sparse cross-entropy needs the labels "
                   "0 (versicolor) and 1 (virginica), so shift y_train's 1 and 2 down by one",
                   "训练因标签超出 0..1 而中止：2 个单元的分类头配稀疏交叉熵，需要标签 0（versicolor）和 1（virginica），"
                   "所以请把 y_train 中的 1 和 2 减去 1"))
        raise
    expect(hasattr(model, "trainable_weights") and hasattr(model, "output_shape"),
           say(f"transfer(body) should return the new Keras model, not {type(model).__name__}",
               f"transfer(body) 应该返回新的 Keras 模型，而不是 {type(model).__name__}"))
    expect(tuple(model.output_shape) == (None, 2), say(f"the new head should have 2 output units (versicolor, "
                                                       f"virginica), not the output shape {model.output_shape}",
                                                       f"新的分类头应有 2 个输出单元（versicolor、virginica），"
                                                       f"而不是输出形状 {model.output_shape}"))
    expect(all(np.array_equal(a, b) for a, b in zip(before, body.get_weights())),
           say("the body's weights changed during training: freeze it (body.trainable = False) before you compile",
               "训练过程中主体的权重变了：请在编译之前冻结它（body.trainable = False）"))
    body_ids = {id(w) for w in body.weights}
    expect(any(id(w) in body_ids for w in model.weights), say("the new model should be built on the `body` it is "
                                                              "given",
                                                              "新模型应建立在传入的 `body` 之上"))
    expect(model.trainable_weights and not any(id(w) in body_ids for w in model.trainable_weights),
           say("only the new head should be trainable", "应该只有新的分类头可训练"))
    pair = y_test > 0
    predicted = _model_probabilities(model, X_test_s[pair]).argmax(axis=1)
    score = float(np.mean(predicted == y_test[pair] - 1))
    expect(score >= MIN_PAIR_ACCURACY,
           say(f"on the test flowers of the two species the new model is right on {score:.0%} (a constant guess: 50%): "
               "train the head on versicolor (label 0) and virginica (label 1) training flowers only",
               f"在这两个物种的测试花朵上，新模型的正确率为 {score:.0%}（恒猜一类为 50%）："
               "请只用 versicolor（标签 0）和 virginica（标签 1）的训练花朵训练分类头"))
    return correct(say(f"{score:.0%} of the {int(pair.sum())} test flowers of the two species, on a body that only "
                       "ever learned setosa-vs-rest",
                       f"在这两个物种的 {int(pair.sum())} 朵测试花上正确率为 {score:.0%}，"
                       "而主体只学过“是不是 setosa”"))
