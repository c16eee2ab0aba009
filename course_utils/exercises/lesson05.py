"""Checkers for lesson 05 (MNIST -> Fashion-MNIST transfer): a new head, L2-SP's gradient, reading the grid."""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..i18n import say
from .core import CORRECT, Verdict, exercise, expect, lesson_value

N_TOPS = 5                     # exercise 5.1: T-shirt/top, Trouser, Pullover, Dress, Coat -> a 5-class head
BEST_COLUMNS = ("model", "n_train", "best method", "gain", "beyond noise")


def _source_hidden_kernel(source) -> np.ndarray:
    return np.asarray(source.get_layer("hidden").get_weights()[0])


@exercise("5.1", hint="Build the MLP's layers by hand with the same names (flatten, hidden, dropout) and a "
                      "Dense(5, activation='softmax') head; copy the body with transfer.copy_body(source, target) or a "
                      "loop over layer names; then set the hidden layer's trainable to False.",
          hint_zh="手动搭建与 MLP 同名的各层（flatten、hidden、dropout），再接一个 Dense(5, activation='softmax') "
                  "分类头；用 transfer.copy_body(source, target) 或按层名循环复制主体；"
                  "然后把隐藏层的 trainable 设为 False。")
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
    expect(not hidden.trainable, say("the copied body should be frozen (trainable = False)",
                                     "复制来的主体应被冻结（trainable = False）"))
    trainable = sum(int(np.prod(w.shape)) for w in answer.trainable_weights)
    expect(trainable == 128 * N_TOPS + N_TOPS, say(f"{trainable} parameters are trainable; with the body frozen only the "
                                                   "new head should be",
                                                   f"有 {trainable} 个参数可训练；主体冻结后，只有新的分类头应该可训练"))
    return CORRECT


@exercise("5.2", hint="Differentiate λ·Σ(w - a)² with respect to w, entry by entry: the square's derivative brings "
                      "down a factor 2. The result has the shape of w.",
          hint_zh="对 λ·Σ(w - a)² 逐个元素关于 w 求导：平方的导数会带出一个因子 2。结果的形状与 w 相同。")
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
        got = np.asarray(answer(w.copy(), anchor.copy(), lam), dtype=float)
        expect(got.shape == shape, say(f"the gradient should have the shape of w, {shape}, not {got.shape}",
                                       f"梯度的形状应与 w 相同，即 {shape}，而不是 {got.shape}"))
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


@exercise("5.3", hint="paired has one row per (model, n_train, method). paired.groupby(['model', 'n_train'])['gain']"
                      ".idxmax() gives, for every model and N, the label of the row with the largest gain; "
                      "paired.loc[those labels] picks the rows. The gain is beyond the noise when the whole 95 % "
                      "confidence interval is above 0: low > 0.",
          hint_zh="paired 对每个 (model, n_train, method) 有一行。paired.groupby(['model', 'n_train'])['gain']"
                  ".idxmax() 给出每种模型和 N 下增益最大的那一行的标签；用 paired.loc[这些标签] 取出这些行。"
                  "整个 95% 置信区间都在 0 以上（low > 0）时，增益才算超出了种子之间的噪声。")
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
    return CORRECT
