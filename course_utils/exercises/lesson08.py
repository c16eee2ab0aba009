"""Checkers for lesson 08 (pitfalls clinic): a snippet fixed, BN-safe unfreezing, scaling inside, leakage."""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..i18n import say
from .core import CORRECT, Verdict, call, correct, exercise, expect, lesson_value, prediction_note

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


@exercise("8.1", hint="Match each line of the snippet with a pitfall of the lesson: a graph that does not connect, "
                      "a head of the wrong size, an argument name from old Keras. And a fourth trap the snippet would "
                      "fall into once fixed: which model owns the layers you freeze?",
          recipe="Work on a copy of the source (keras.models.clone_model, then set_weights with the source's weights), "
                 "so that freezing the copy's hidden layer leaves the source alone. Build the target from the copy's "
                 "input to the copy's hidden output, add a new 10-unit softmax Dense on top, freeze the copied hidden "
                 "layer, compile with SGD using learning_rate (not lr) and momentum, and return the model.",
          hint_zh="把代码片段的每一行与本课的一个陷阱对应起来：不连通的计算图、大小不对的分类头、旧版 Keras 的参数名。"
                  "还有修好之后会遇到的第四个陷阱：你冻结的层属于哪个模型？",
          recipe_zh="在源模型的副本上操作（keras.models.clone_model，再用源模型的权重 set_weights），这样冻结副本的隐藏层"
                    "不会影响源模型。从副本的输入到副本的隐藏层输出搭建目标模型，在上面接一个新的 10 单元 softmax Dense 层，"
                    "冻结复制来的隐藏层，用 SGD 编译（用 learning_rate 而不是 lr，并设置 momentum），然后返回模型。")
def _fixed_snippet(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    import keras

    source, x_tgt = lesson_value(ns, "source"), lesson_value(ns, "x_tgt")
    expect(callable(answer), say("answer_8_1 should be your function build_target(source)",
                                 "answer_8_1 应该是你写的函数 build_target(source)"))
    given = copy_of(source)
    before = [w.copy() for w in given.get_weights()]
    was_trainable = [layer.trainable for layer in given.layers]
    model = call(answer, given, name="build_target(source)")
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
    shared = [layer.name for layer in given.layers if any(layer is mine for mine in all_layers(model))
              and layer.weights]
    expect(not shared and [layer.trainable for layer in given.layers] == was_trainable
           and all(np.array_equal(a, b) for a, b in zip(before, given.get_weights())),
           say(f"your target shares layers with the source it was given ({', '.join(shared) or 'its trainable flags changed'}): "
               "freezing them froze the source too, and training the target would change the source. Build the target "
               "on a copy (keras.models.clone_model + set_weights)",
               f"你的目标模型与传入的源模型共用了层（{', '.join(shared) or '它的 trainable 标志变了'}）：冻结它们也冻结了源模型，"
               "训练目标模型还会改动源模型。请在副本上搭建目标模型（keras.models.clone_model + set_weights）"))
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


@exercise("8.2", hint="Setting trainable on a model reaches every layer inside it, and a frozen outer model hides "
                      "trainable layers from fit. Think about the order of the two switches, and about layers that are "
                      "models themselves.",
          recipe="First switch the whole model on (its trainable flag), which switches on everything nested; then walk "
                 "its layers: a batch-normalization layer gets trainable = False, a layer that has its own .layers is "
                 "a nested model, so apply the same function to it. Check model.trainable_weights afterwards: it must "
                 "hold every kernel and bias.",
          hint_zh="对模型设置 trainable 会传到它里面的每一层，而被冻结的外层模型会让 fit 看不到里面可训练的层。"
                  "想一想两个开关的先后顺序，以及本身就是模型的层。",
          recipe_zh="先把整个模型打开（它的 trainable 标志），这会打开所有嵌套的层；再遍历它的各层：批量规范化层设 "
                    "trainable = False；自身带有 .layers 的层是嵌套模型，对它调用同一个函数。之后检查 "
                    "model.trainable_weights：它必须包含每一个卷积核和偏置。")
def _unfreeze(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    from keras import layers

    expect(callable(answer), say("answer_8_2 should be your function unfreeze_for_fine_tuning(model)",
                                 "answer_8_2 应该是你写的函数 unfreeze_for_fine_tuning(model)"))
    model = frozen_bn_test_model(lesson_value(ns, "build_bn_body"))
    call(answer, model, name="unfreeze_for_fine_tuning(model)")
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
    should_train = {id(w) for layer in all_layers(model) if not isinstance(layer, layers.BatchNormalization)
                    and not hasattr(layer, "layers") for w in layer.weights}
    trains = {id(w) for w in model.trainable_weights}
    missing = len(should_train - trains)
    expect(not missing, say(f"model.trainable_weights lacks {missing} of the {len(should_train)} weights outside batch "
                            "normalization: a model (or a nested body) whose own trainable flag is False hides its "
                            "layers from fit, however their flags are set. Switch the model on first",
                            f"model.trainable_weights 缺少批量规范化层之外 {len(should_train)} 个权重中的 {missing} 个："
                            "自身 trainable 标志为 False 的模型（或嵌套主体）会让 fit 看不到它的层，无论这些层的标志如何。"
                            "请先把模型打开"))
    bn = {id(w) for layer in all_layers(model) if isinstance(layer, layers.BatchNormalization) for w in layer.weights}
    expect(not (bn & trains), say("batch normalization's scale and shift are among the trainable weights",
                                  "批量规范化层的缩放和平移参数出现在可训练权重中"))
    return CORRECT


@exercise("8.3", hint="A model can be a layer of another model. Which Keras layer multiplies its input by a "
                      "constant?",
          recipe="Make a keras.Sequential that starts with an Input of the raw image shape, then a Rescaling layer "
                 "with the factor that maps 0-255 to 0-1, then the unchanged source model as its last layer.",
          hint_zh="一个模型可以作为另一个模型的一层。哪个 Keras 层把输入乘以一个常数？",
          recipe_zh="建一个 keras.Sequential：先是原始图像形状的 Input，然后是一个把 0-255 映射到 0-1 的 Rescaling 层，"
                    "最后一层是未改动的源模型。")
def _scaling_inside(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    source, mnist = lesson_value(ns, "source"), lesson_value(ns, "mnist")
    expect(hasattr(answer, "predict") and hasattr(answer, "layers"),
           say("answer_8_3 should be a Keras model", "answer_8_3 应该是一个 Keras 模型"))
    raw = mnist.x_test[:200].astype("float32")
    expected = np.asarray(source(raw / 255.0, training=False))
    got = np.asarray(call(lambda: answer(raw, training=False), name="answer_8_3(images)"))
    expect(got.shape == expected.shape, say(f"the model should give {expected.shape[1]} probabilities per image",
                                            f"模型应为每张图像给出 {expected.shape[1]} 个概率"))
    expect(np.allclose(got, expected, atol=1e-5), say("on raw 0-255 pixels your model does not give the source's "
                                                      "probabilities for scaled pixels",
                                                      "对 0-255 的原始像素，你的模型给出的概率与源模型对缩放后像素"
                                                      "给出的概率不同"))
    return CORRECT


@exercise("8.4", hint="Pitfall 8's cells already build the copies, the two splits and the classifier for all "
                      "five shifts: wrap them in a loop over k that uses only the first k shifts. Predict first.",
          recipe="For each k from 1 to len(shifts): stack the originals moved by each of the first k shifts (flattened, "
                 "scaled to 0-1), repeat the labels and the group ids (the original's index) k times; make one random "
                 "split and one split by group with the lesson's test size and seed; fit a 1-nearest-neighbour "
                 "classifier on each training side, score it on its test side, and record a row.",
          hint_zh="陷阱 8 的单元格已经为全部五种平移构造了副本、两种划分和分类器：把它们放进一个对 k 的循环，"
                  "只用前 k 种平移。先预测。",
          recipe_zh="对 k 从 1 到 len(shifts)：把按前 k 种平移各移动一次的原图堆叠起来（展平，缩放到 0-1），"
                    "把标签和组编号（原图的下标）重复 k 次；用本课的测试比例和种子做一次随机划分和一次按组划分；"
                    "在每种划分的训练部分上拟合 1-近邻分类器，在其测试部分上评分，记一行。")
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
    expect((leaky - grouped).iloc[1:].max() > abs(leaky.iloc[0] - grouped.iloc[0]),
           say("the gap between the two splits should open as copies are added: is each row measured with its own k "
               "copies?", "随着副本增加，两种划分之间的差距应当拉开：每一行都是用它自己的 k 个副本测的吗？"))
    measured = {int(c): float(v) for c, v in zip(copies, leaky)}
    return correct(prediction_note(ns, "8.4", measured) + say(" (leaky accuracy by number of copies)",
                                                              "（按副本数的有泄露准确率）"))
