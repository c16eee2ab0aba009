"""Checkers for lesson 08 (pitfalls clinic): a snippet fixed, BN-safe unfreezing, scaling inside, leakage."""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..i18n import say
from .core import CORRECT, Verdict, exercise, expect, lesson_value

LEAK_COLUMNS = ("copies", "leaky accuracy", "grouped accuracy")
TEST_SHARE = 0.2                     # exercise 8.4 splits with the lesson's test size


def split_noise(accuracy: float, n_test: float) -> float:
    """Three standard errors of an accuracy measured on n_test originals (another split may differ by that much)."""
    return max(0.02, 3 * float(np.sqrt(accuracy * (1 - accuracy) / n_test)))


def copy_of(model):
    """A separate copy of a Keras model with the same weights (so a learner's function cannot change the original)."""
    import keras

    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy


def _hidden_copy(model, kernel: np.ndarray):
    layers = [layer for layer in model.layers if any(np.shape(w) == kernel.shape for w in layer.get_weights())]
    expect(layers, say("the model has no 784×128 layer: reuse the source's body up to its hidden layer",
                       "模型里没有 784×128 的层：请复用源模型从输入到隐藏层的主体"))
    expect(np.array_equal(layers[0].get_weights()[0], kernel), say("the hidden layer's weights are not the source's",
                                                                   "隐藏层的权重不是源模型的"))
    return layers[0]


def _expect_new_head(model, given_head, head_kernel: np.ndarray) -> None:
    """The model's output layer must be a new head: not the source's MNIST head, nor a copy of its weights."""
    with_weights = [layer for layer in model.layers if layer.get_weights()]
    last = with_weights[-1] if with_weights else None
    kept = last is given_head or (last is not None and np.shape(last.get_weights()[0]) == head_kernel.shape
                                  and np.allclose(last.get_weights()[0], head_kernel))
    expect(not kept, say("the output layer is the source's MNIST head (its digit weights): put a new "
                         "Dense(10, activation='softmax') head on the hidden layer's output",
                         "输出层还是源模型的 MNIST 分类头（识别数字的权重）：请在隐藏层的输出上接一个新的 "
                         "Dense(10, activation='softmax') 分类头"))


@exercise("8.1", hint="Start from source.inputs[0] (or pass a new Input through the source's layers), put a "
                      "Dense(10, activation='softmax') on source.get_layer('hidden').output, freeze the hidden layer, "
                      "and compile with keras.optimizers.SGD(learning_rate=0.001, momentum=0.9).",
          hint_zh="从 source.inputs[0] 出发（或让一个新的 Input 依次经过源模型的各层），在 "
                  "source.get_layer('hidden').output 上接一个 Dense(10, activation='softmax')，冻结隐藏层，"
                  "再用 keras.optimizers.SGD(learning_rate=0.001, momentum=0.9) 编译。")
def _fixed_snippet(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    import keras

    source, x_tgt = lesson_value(ns, "source"), lesson_value(ns, "x_tgt")
    expect(callable(answer), say("answer_8_1 should be your function build_target(source)",
                                 "answer_8_1 应该是你写的函数 build_target(source)"))
    given = copy_of(source)
    model = answer(given)
    expect(isinstance(model, keras.Model), say("build_target should return a Keras model",
                                               "build_target 应该返回一个 Keras 模型"))
    expect(tuple(model.output_shape) == (None, 10), say(f"the head should have 10 units, one per Fashion-MNIST class "
                                                        f"(output shape {model.output_shape})",
                                                        f"分类头应有 10 个单元，Fashion-MNIST 的每个类别一个"
                                                        f"（现在的输出形状是 {model.output_shape}）"))
    probabilities = np.asarray(model(np.asarray(x_tgt[:3], dtype="float32"), training=False))
    expect(np.allclose(probabilities.sum(axis=1), 1, atol=1e-4),
           say("the outputs should be probabilities (softmax)", "输出应是概率（softmax）"))
    _expect_new_head(model, given.layers[-1], np.asarray(source.layers[-1].get_weights()[0]))
    hidden = _hidden_copy(model, np.asarray(source.get_layer("hidden").get_weights()[0]))
    expect(not hidden.trainable, say("freeze the reused body (trainable = False)",
                                     "请冻结复用的主体（trainable = False）"))
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    expect(trainable == 128 * 10 + 10, say(f"{trainable} weights are trainable; only the new head should be",
                                           f"有 {trainable} 个权重可训练；应该只有新的分类头可训练"))
    optimizer = getattr(model, "optimizer", None)
    expect(isinstance(optimizer, keras.optimizers.SGD), say("compile the model with an SGD optimiser",
                                                            "请用 SGD 优化器编译模型"))
    expect(np.isclose(float(optimizer.learning_rate), 1e-3) and np.isclose(float(optimizer.momentum), 0.9),
           say("the optimiser should have learning_rate=0.001 and momentum=0.9",
               "优化器应设置 learning_rate=0.001 和 momentum=0.9"))
    return CORRECT


def all_layers(model) -> list:
    """Every layer inside ``model``, nested models included (depth first)."""
    found = []
    for layer in model.layers:
        found.append(layer)
        if hasattr(layer, "layers"):
            found += all_layers(layer)
    return found


def frozen_bn_test_model(build_bn_body):
    """A frozen model with batch normalization nested in a sub-model and at the top level."""
    import keras
    from keras import layers

    model = keras.Sequential([keras.Input(shape=(28, 28)), build_bn_body(), layers.Dense(32, name="extra"),
                              layers.BatchNormalization(name="top_bn"), layers.Dense(10, activation="softmax")])
    model.trainable = False
    return model


@exercise("8.2", hint="Order matters: model.trainable = True first (it switches every nested layer on), then walk "
                      "all layers, nested models included (a layer with its own .layers is a model: recurse into "
                      "it), and set trainable = False on each keras.layers.BatchNormalization.",
          hint_zh="顺序很重要：先设 model.trainable = True（它会把所有嵌套的层都设为可训练），再遍历所有层，包括嵌套模型里的层"
                  "（自身带有 .layers 的层就是一个模型：递归进去），把每个 keras.layers.BatchNormalization 的 "
                  "trainable 设为 False。")
def _unfreeze(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    from keras import layers

    expect(callable(answer), say("answer_8_2 should be your function unfreeze_for_fine_tuning(model)",
                                 "answer_8_2 应该是你写的函数 unfreeze_for_fine_tuning(model)"))
    model = frozen_bn_test_model(lesson_value(ns, "build_bn_body"))
    answer(model)
    for layer in all_layers(model):
        if isinstance(layer, layers.BatchNormalization):
            expect(not layer.trainable, say(f"the BatchNormalization layer '{layer.name}' is trainable: its statistics "
                                            "would drift while fine-tuning",
                                            f"BatchNormalization 层 '{layer.name}' 是可训练的："
                                            "微调时它的统计量会漂移"))
        elif layer.weights and not hasattr(layer, "layers"):
            expect(layer.trainable, say(f"the layer '{layer.name}' is still frozen: everything but batch normalization "
                                        "should train",
                                        f"层 '{layer.name}' 仍被冻结：除批量规范化层外，其余各层都应参与训练"))
    return CORRECT


@exercise("8.3", hint="keras.Sequential([keras.Input(shape=(28, 28)), layers.Rescaling(1 / 255), source]) puts the "
                      "scaling in front of the unchanged source model.",
          hint_zh="keras.Sequential([keras.Input(shape=(28, 28)), layers.Rescaling(1 / 255), source]) "
                  "把缩放放在未改动的源模型前面。")
def _scaling_inside(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    source, mnist = lesson_value(ns, "source"), lesson_value(ns, "mnist")
    expect(hasattr(answer, "predict") and hasattr(answer, "layers"),
           say("answer_8_3 should be a Keras model", "answer_8_3 应该是一个 Keras 模型"))
    raw = mnist.x_test[:200].astype("float32")
    expected = np.asarray(source(raw / 255.0, training=False))
    got = np.asarray(answer(raw, training=False))
    expect(got.shape == expected.shape, say(f"the model should give {expected.shape[1]} probabilities per image",
                                            f"模型应为每张图像给出 {expected.shape[1]} 个概率"))
    expect(np.allclose(got, expected, atol=1e-5), say("on raw 0-255 pixels your model does not give the source's "
                                                      "probabilities for scaled pixels",
                                                      "对 0-255 的原始像素，你的模型给出的概率与源模型对缩放后像素"
                                                      "给出的概率不同"))
    return CORRECT


@exercise("8.4", hint="For k in 1..5: images_k = np.concatenate([np.roll(fashion.x_train[:N_LEAK], s, axis=(1, 2))"
                      ".reshape(N_LEAK, -1) / 255.0 for s in shifts[:k]]), labels and groups with np.tile(..., k); "
                      "split once at random (train_test_split) and once by group (GroupShuffleSplit), fit a 1-NN on "
                      "each training side and score it on the test side.",
          hint_zh="对 k = 1..5：images_k = np.concatenate([np.roll(fashion.x_train[:N_LEAK], s, axis=(1, 2))"
                  ".reshape(N_LEAK, -1) / 255.0 for s in shifts[:k]])，labels 和 groups 用 np.tile(..., k)；"
                  "先随机划分一次（train_test_split），再按组划分一次（GroupShuffleSplit），"
                  "在每种划分的训练部分上拟合一个 1-NN，并在测试部分上评分。")
def _leak_table(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    acc_leaky, acc_grouped = float(lesson_value(ns, "acc_leaky")), float(lesson_value(ns, "acc_grouped"))
    n_shifts, n_test = len(lesson_value(ns, "shifts")), TEST_SHARE * lesson_value(ns, "N_LEAK")
    expect(hasattr(answer, "columns") and hasattr(answer, "sort_values"),
           say("answer_8_4 should be a pandas DataFrame", "answer_8_4 应该是一个 pandas DataFrame"))
    missing = [c for c in LEAK_COLUMNS if c not in answer.columns]
    expect(not missing, say(f"the table lacks the column(s) {missing}", f"表格缺少这些列：{missing}"))
    table = answer.sort_values("copies")
    copies = [int(c) for c in table["copies"]]
    expect(len(set(copies)) >= 4 and min(copies) == 1 and max(copies) == n_shifts,
           say(f"measure at least four numbers of copies, from 1 to {n_shifts}",
               f"至少测量四种副本数，从 1 到 {n_shifts}"))
    leaky, grouped = table["leaky accuracy"].astype(float), table["grouped accuracy"].astype(float)
    expect(leaky.between(0, 1).all() and grouped.between(0, 1).all(),
           say("accuracies lie between 0 and 1", "准确率应介于 0 和 1 之间"))
    one_copy_noise = np.sqrt(2) * split_noise(grouped.iloc[0], n_test)
    expect(abs(leaky.iloc[0] - grouped.iloc[0]) <= one_copy_noise, say("with one copy per original there is nothing to "
                                                                       "leak: the two splits should score about the same",
                                                                       "每张原图只有一个副本时，没有什么可泄露的："
                                                                       "两种划分的得分应大致相同"))
    expect(abs(leaky.iloc[-1] - acc_leaky) <= split_noise(acc_leaky, n_test)
           and abs(grouped.iloc[-1] - acc_grouped) <= split_noise(acc_grouped, n_test),
           say(f"with all {n_shifts} copies your accuracies should be close to the lesson's acc_leaky and acc_grouped",
               f"用上全部 {n_shifts} 个副本时，你的准确率应接近本课的 acc_leaky 和 acc_grouped"))
    expect(leaky.iloc[-1] - grouped.iloc[-1] >= 0.05, say("with all copies the leaky split should score clearly higher",
                                                          "用上全部副本时，有泄露的划分得分应明显更高"))
    return CORRECT
