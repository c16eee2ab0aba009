"""Checkers for lesson 05 (MNIST -> Fashion-MNIST transfer): a new head, L2-SP's gradient, reading the grid."""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..i18n import say
from .core import CORRECT, Verdict, call, correct, exercise, expect, lesson_value, prediction_note

N_TOPS = 5                     # exercise 5.1: T-shirt/top, Trouser, Pullover, Dress, Coat -> a 5-class head
BEST_COLUMNS = ("model", "n_train", "best method", "gain", "beyond noise")


def _source_hidden_kernel(source) -> np.ndarray:
    return np.asarray(source.get_layer("hidden").get_weights()[0])


@exercise("5.1", hint="summary() shows layer names, shapes and counts but not activations: ask a layer for its "
                      "configuration (get_config()). Then ask why a whole-model set_weights cannot fit the new head.",
          recipe="Read each source layer's get_config() (the hidden layer's 'activation' included); build a new "
                 "Sequential with the same input, the same body layers under the same names, and a new Dense(5, "
                 "softmax) head; copy the weights layer by layer, by name, with get_weights/set_weights (never put the "
                 "source's layer objects in the new model); set the copied hidden layer's trainable to False.",
          hint_zh="summary() 显示层名、形状和参数个数，但不显示激活函数：向层要它的配置（get_config()）。"
                  "然后想想，为什么对整个模型调用 set_weights 放不进新的分类头。",
          recipe_zh="读取源模型每一层的 get_config()（包括隐藏层的 'activation'）；用同样的输入、同名的同样的主体层，"
                    "加一个新的 Dense(5, softmax) 分类头，搭一个新的 Sequential；按层名用 get_weights/set_weights "
                    "逐层复制权重（绝不要把源模型的层对象放进新模型）；把复制来的隐藏层的 trainable 设为 False。")
def _five_class_target(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    source = lesson_value(ns, "source")
    expect(hasattr(answer, "layers") and hasattr(answer, "output_shape"),
           say("answer_5_1 should be a Keras model", "answer_5_1 应该是一个 Keras 模型"))
    expect(tuple(answer.output_shape) == (None, N_TOPS), say(f"the new head should have {N_TOPS} outputs, one per class "
                                                             f"of the new task (output shape {answer.output_shape})",
                                                             f"新的分类头应有 {N_TOPS} 个输出，新任务的每个类别一个"
                                                             f"（现在的输出形状是 {answer.output_shape}）"))
    kernel = _source_hidden_kernel(source)
    copies = [layer for layer in answer.layers if any(np.shape(w) == kernel.shape for w in layer.get_weights())]
    expect(copies, say("the model has no 784×128 hidden layer: keep the source's body",
                       "模型里没有 784×128 的隐藏层：请保留源模型的主体"))
    hidden = copies[0]
    expect(hidden is not source.get_layer("hidden"), say("the target reuses the source's own layer object: training "
                                                         "it would change the source model too. Copy the weights into a "
                                                         "new layer",
                                                         "目标模型直接复用了源模型的层对象：训练它也会改动源模型。"
                                                         "请把权重复制到一个新层中"))
    expect(np.array_equal(hidden.get_weights()[0], kernel), say("the hidden layer's weights are not the source's: copy "
                                                                "them (get_weights / set_weights)",
                                                                "隐藏层的权重不是源模型的："
                                                                "请复制过来（get_weights / set_weights）"))
    source_activation = getattr(source.get_layer("hidden"), "activation", None)
    expect(getattr(getattr(hidden, "activation", None), "__name__", None) == getattr(source_activation, "__name__", ""),
           say(f"the hidden layer's activation is {getattr(getattr(hidden, 'activation', None), '__name__', '?')}, "
               "not the source's: the copied weights were learned through the source's activation "
               "(source.get_layer('hidden').get_config()['activation'] shows it)",
               f"隐藏层的激活函数是 {getattr(getattr(hidden, 'activation', None), '__name__', '?')}，与源模型不同："
               "复制来的权重是通过源模型的激活函数学到的（source.get_layer('hidden').get_config()['activation'] "
               "可以查看）"))
    expect(not hidden.trainable, say("the copied body should be frozen (trainable = False)",
                                     "复制来的主体应被冻结（trainable = False）"))
    trainable = sum(int(np.prod(w.shape)) for w in answer.trainable_weights)
    expect(trainable == 128 * N_TOPS + N_TOPS, say(f"{trainable} parameters are trainable; with the body frozen only the "
                                                   "new head should be",
                                                   f"有 {trainable} 个参数可训练；主体冻结后，只有新的分类头应该可训练"))
    return CORRECT


@exercise("5.2", hint="The penalty is a sum over the entries of w. Which terms of the sum does one entry w_i appear "
                      "in?",
          recipe="Write the penalty as λ·Σᵢ (wᵢ - aᵢ)². Only the i-th term depends on wᵢ; differentiate that term by the "
                 "chain rule (the derivative of u² is 2u). Do it for every entry at once with NumPy arrays: the result "
                 "has the shape of w.",
          hint_zh="惩罚项是对 w 各元素求和。某个元素 w_i 出现在求和的哪几项里？",
          recipe_zh="把惩罚项写成 λ·Σᵢ (wᵢ - aᵢ)²。只有第 i 项依赖于 wᵢ；用链式法则对这一项求导（u² 的导数是 2u）。"
                    "用 NumPy 数组一次对所有元素求导：结果的形状与 w 相同。")
def _l2sp_gradient(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    import tensorflow as tf

    l2sp_class = lesson_value(ns, "L2SP")
    expect(callable(answer), say("answer_5_2 should be your function l2sp_grad(w, anchor, lam)",
                                 "answer_5_2 应该是你写的函数 l2sp_grad(w, anchor, lam)"))
    rng = np.random.default_rng(5)
    for shape, lam in [((6, 4), 0.01), ((4,), 0.3)]:
        w, anchor = rng.normal(size=shape).astype("float32"), rng.normal(size=shape).astype("float32")
        variable = tf.Variable(w)
        with tf.GradientTape() as tape:
            penalty = l2sp_class(anchor, lam)(variable)
        expected = tape.gradient(penalty, variable).numpy()
        value = call(answer, w.copy(), anchor.copy(), lam, name="l2sp_grad")
        try:
            got = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            got = np.zeros(0)
        expect(got.shape == shape, say(f"the gradient should have the shape of w, {shape}, not {got.shape}",
                                       f"梯度的形状应与 w 相同，即 {shape}，而不是 {got.shape}"))
        for factor, reason in [(0.5, say("your gradient is exactly half TensorFlow's: the derivative of (w - a)² is "
                                         "2(w - a), a factor 2 is missing",
                                         "你的梯度恰好是 TensorFlow 的一半：(w - a)² 的导数是 2(w - a)，少了因子 2")),
                               (-1.0, say("your gradient has the wrong sign: it points from the anchor towards w, and "
                                          "the penalty grows in that direction (differentiate with respect to w)",
                                          "你的梯度符号反了：它从锚点指向 w，惩罚项正是沿这个方向增大"
                                          "（请对 w 求导）"))]:
            expect(not np.allclose(got, factor * expected, rtol=1e-4, atol=1e-6), reason)
        expect(not np.allclose(got, expected / lam, rtol=1e-4, atol=1e-6),
               say("your gradient lacks the factor λ (lam): the penalty is λ times the squared distance",
                   "你的梯度少了因子 λ（lam）：惩罚项是 λ 乘以距离的平方"))
        expect(np.allclose(got, expected, rtol=1e-4, atol=1e-6), say("your gradient differs from TensorFlow's automatic "
                                                                     "gradient of the L2SP penalty",
                                                                     "你的梯度与 TensorFlow 对 L2SP 惩罚项自动求出的"
                                                                     "梯度不一致"))
    return CORRECT


def best_transfer_rows(paired) -> list[dict]:
    """Per (model, N) of the lesson's ``paired`` table: the transfer method with the largest paired gain over
    scratch, its gain, whether its 95 % confidence interval lies wholly above 0, and every method tied with it."""
    rows = []
    for (model, n), cell in paired.groupby(["model", "n_train"]):
        gains = cell.set_index("method")["gain"].astype(float)
        best = gains.idxmax()
        low = float(cell.set_index("method").loc[best, "low"])
        rows.append({"model": model, "n_train": int(n), "best method": best, "gain": float(gains[best]),
                     "beyond noise": bool(low > 0),   # NaN (one seed, no interval) is not beyond the noise
                     "tied": set(gains.index[np.isclose(gains, gains[best], rtol=0, atol=1e-9)])})
    return rows


@exercise("5.3", hint="paired has one row per model, N and method: you want one row per model and N. pandas can "
                      "group rows and find, in each group, the row where a column is largest.",
          recipe="Group paired by model and n_train, take in each group the label of the row with the largest gain "
                 "(idxmax on the gain column), pick those rows with .loc, and build the table from their model, "
                 "n_train, method and gain; beyond noise is whether that row's lower interval end is above 0. Write "
                 "prediction_5_3 (how many rows will be beyond the noise) before you build it.",
          hint_zh="paired 对每种模型、N 和方法各有一行：你要的是每种模型和 N 一行。pandas 可以把行分组，"
                  "并在每组中找出某一列最大的那一行。",
          recipe_zh="按 model 和 n_train 对 paired 分组，在每组中取 gain 最大的那一行的标签（对 gain 列用 idxmax），"
                    "用 .loc 取出这些行，再用它们的 model、n_train、method 和 gain 建表；beyond noise 就是该行的区间下端"
                    "是否大于 0。建表之前先写好 prediction_5_3（会有几行超出噪声）。")
def _best_method_table(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    expected = {(r["model"], r["n_train"]): r for r in best_transfer_rows(lesson_value(ns, "paired"))}
    expect(hasattr(answer, "columns") and hasattr(answer, "iterrows"),
           say("answer_5_3 should be a pandas DataFrame", "answer_5_3 应该是一个 pandas DataFrame"))
    table = answer.reset_index() if not set(BEST_COLUMNS) <= set(answer.columns) else answer
    missing = [c for c in BEST_COLUMNS if c not in table.columns]
    expect(not missing, say(f"the table lacks the column(s) {missing}", f"表格缺少这些列：{missing}"))
    keys = [(str(r["model"]), int(r["n_train"])) for _, r in table.iterrows()]
    expect(sorted(keys) == sorted(expected), say("the table should have one row per model and training-set size of the "
                                                 "grid, as in `paired`",
                                                 "表格应像 `paired` 一样，为网格中每种模型和训练集大小的组合各列一行"))
    for key, (_, row) in zip(keys, table.iterrows()):
        want = expected[key]
        expect(row["best method"] in want["tied"], say(f"{key[0]} at N = {key[1]}: another method has the largest "
                                                       "paired gain over scratch",
                                                       f"{key[0]}，N = {key[1]}：相对从头训练的配对增益最大的"
                                                       "是另一种方法"))
        gain = float(row["gain"])
        expect(not (np.isclose(gain, 100 * want["gain"], atol=0.051) and abs(want["gain"]) > 1e-3),
               say(f"{key[0]} at N = {key[1]}: give the gain as a fraction, as in `paired`, not in percentage points",
                   f"{key[0]}，N = {key[1]}：增益请用 `paired` 中的小数形式，不要用百分点"))
        expect(np.isclose(gain, want["gain"], atol=1e-6), say(f"{key[0]} at N = {key[1]}: the gain should be the best "
                                                              "method's paired gain, the `gain` column of `paired`",
                                                              f"{key[0]}，N = {key[1]}：增益应为最好方法的配对增益，"
                                                              "即 `paired` 的 `gain` 列"))
        expect(bool(row["beyond noise"]) == want["beyond noise"], say(f"{key[0]} at N = {key[1]}: beyond the noise means "
                                                                      "the whole 95 % confidence interval is above 0 "
                                                                      "(the `low` column of `paired` above 0)",
                                                                      f"{key[0]}，N = {key[1]}：超出噪声是指整个 "
                                                                      "95% 置信区间都在 0 以上（`paired` 的 `low` 列"
                                                                      "大于 0）"))
    beyond = sum(bool(r["beyond noise"]) for r in expected.values())
    return correct(prediction_note(ns, "5.3", beyond) + say(f" (rows beyond the noise, of {len(expected)})",
                                                            f"（超出噪声的行数，共 {len(expected)} 行）"))
