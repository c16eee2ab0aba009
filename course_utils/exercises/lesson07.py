"""Checkers for lesson 07 (ResNet50 on birds): what fine-tuning trains, when the cache pays, where the model errs."""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..i18n import say
from .core import CORRECT, Verdict, correct, exercise, expect, is_number, lesson_value, prediction_note

VERDICTS_7_4 = ("fine-tuning helped", "fine-tuning hurt", "no evidence either way")
ALPHA = 0.05


def stage_weights(base_model, stages: tuple[str, ...], batch_norm: bool) -> int:
    """Number of weights in the layers of ``stages`` (name prefixes): BatchNormalization layers or the others."""
    from keras import layers

    return sum(int(np.prod(w.shape)) for layer in base_model.layers if layer.name.startswith(stages)
               and isinstance(layer, layers.BatchNormalization) == batch_norm for w in layer.weights)


@exercise("7.1", hint="Which layers of those two stages stay frozen in the lesson's recipe, and why? Count the "
                      "weights of the others; a weight array's size is the product of its shape.",
          recipe="Go through base_model.layers, keep those whose name starts with one of the two stage prefixes "
                 "(str.startswith accepts a tuple), leave out the batch-normalization layers (isinstance with "
                 "keras.layers.BatchNormalization), and add up the sizes of the remaining layers' weight arrays.",
          hint_zh="按本课的做法，这两个阶段里哪些层保持冻结？为什么？数一数其余层的权重；一个权重数组的大小是其形状各维之积。",
          recipe_zh="遍历 base_model.layers，保留名字以这两个阶段前缀之一开头的层（str.startswith 接受元组），"
                    "去掉批量规范化层（用 isinstance 判断 keras.layers.BatchNormalization），再把其余各层权重数组的大小加起来。")
def _unfreeze_conv4(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    base_model = lesson_value(ns, "base_model")
    expect(is_number(answer) and float(answer) == int(answer),
           say("answer_7_1 should be a whole number of weights", "answer_7_1 应该是一个整数（权重的个数）"))
    count = int(answer)
    convolutions = stage_weights(base_model, ("conv4_", "conv5_"), batch_norm=False)
    norms = stage_weights(base_model, ("conv4_", "conv5_"), batch_norm=True)
    expect(count != convolutions + norms, say("that includes the BatchNormalization layers, which stay frozen",
                                              "这个数把 BatchNormalization 层也算进去了，而它们保持冻结"))
    expect(count != stage_weights(base_model, ("conv5_",), batch_norm=False),
           say("that is conv5 alone: add conv4", "这只是 conv5 的权重数：还要加上 conv4 的"))
    expect(count != stage_weights(base_model, ("conv4_",), batch_norm=False),
           say("that is conv4 alone: conv5 stays trainable too", "这只是 conv4 的权重数：conv5 也仍然可训练"))
    expect(count == convolutions, say(f"{count:,} is not the number of weights the optimiser would update",
                                      f"{count:,} 不是优化器会更新的权重个数"))
    return CORRECT


def break_even_epochs(extraction: float, cached: float, uncached: float) -> int | None:
    """Smallest whole E with extraction + E * cached <= E * uncached (None if the cache never pays)."""
    if uncached <= cached:
        return None
    return max(1, int(np.ceil(extraction / (uncached - cached) - 1e-12)))


@exercise("7.2", hint="Each cached epoch saves the difference between the two epoch times; the extraction is paid "
                      "once. How many savings does it take to cover it?",
          recipe="Move the E terms of the inequality to one side and divide by what multiplies E; the smallest whole "
                 "number of epochs is the result rounded up (np.ceil), and at least 1.",
          hint_zh="每个用缓存的迭代周期省下两种周期时间之差；特征提取只付一次。要省多少次才能抵上它？",
          recipe_zh="把不等式中含 E 的项移到一边，再除以 E 的系数；最小的整数迭代周期数就是结果向上取整（np.ceil），且至少为 1。")
def _break_even(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    extraction, cached, uncached = (float(lesson_value(ns, n)) for n in ("extraction", "cached_epoch",
                                                                         "uncached_epoch"))
    expected = break_even_epochs(extraction, cached, uncached)
    expect(expected is not None, say("in this run an epoch on cached features was not faster than one through the base, "
                                     "so the cache never pays: rerun the timing cells on quieter cores",
                                     "这次运行中，在缓存特征上训练一个迭代周期并不比经过骨干网络更快，缓存永远收不回成本："
                                     "请在 CPU 较空闲时重新运行计时单元格"))
    expect(is_number(answer) and float(answer) == int(answer),
           say("answer_7_2 should be a whole number of epochs", "answer_7_2 应该是整数个迭代周期"))
    epochs = int(answer)
    expect(extraction + epochs * cached <= epochs * uncached, say(f"after {epochs} epoch(s) the cache has not paid for "
                                                                  "itself yet",
                                                                  f"{epochs} 个迭代周期后，缓存还没有收回成本"))
    expect(epochs == expected, say(f"the cache already pays for itself before {epochs} epochs: find the smallest E",
                                   f"不到 {epochs} 个迭代周期缓存就已经收回成本了：请找出最小的 E"))
    return CORRECT


def fine_tuning_changes(ns: Mapping[str, Any]) -> dict:
    """On the test photos: photos fine-tuning fixed (frozen head wrong, fine-tuned right), broke, and McNemar's p."""
    from .. import stats

    y_test = np.asarray(lesson_value(ns, "y_test"))
    frozen = np.asarray(lesson_value(ns, "frozen_probs")).argmax(axis=1) == y_test
    tuned = np.asarray(lesson_value(ns, "finetuned_probs")).argmax(axis=1) == y_test
    test = stats.mcnemar_exact(tuned, frozen)
    return {"fixed": test["a_only"], "broken": test["b_only"], "p": float(test["p_value"]),
            "gain": float(tuned.mean() - frozen.mean()), "photos": int(len(y_test))}


@exercise("7.3", hint="Both models answered the same test photos. Photos both get right, or both wrong, say nothing "
                      "about which is better: only the photos where they disagree do. Write your prediction first.",
          recipe="Compare each model's most likely class (argmax of frozen_probs and of finetuned_probs) with y_test to "
                 "get two boolean arrays. 'fixed' counts photos wrong before and right after fine-tuning, 'broken' the "
                 "reverse. Under 'no difference' each disagreeing photo is a fair coin: the exact McNemar p-value is a "
                 "two-sided binomial test of fixed out of fixed + broken (scipy.stats.binomtest, or the course's "
                 "stats.mcnemar_exact).",
          hint_zh="两个模型回答的是同一批测试照片。两者都对或都错的照片说明不了谁更好：只有两者意见不同的照片才能说明。"
                  "先写下你的预测。",
          recipe_zh="把每个模型最可能的类别（frozen_probs 和 finetuned_probs 的 argmax）与 y_test 比较，得到两个布尔数组。"
                    "'fixed' 统计微调前错、微调后对的照片，'broken' 统计相反的情况。在“没有差别”的假设下，每张意见不同的"
                    "照片都像一枚均匀的硬币：精确 McNemar 检验的 p 值就是 fixed 在 fixed + broken 中的双侧二项检验"
                    "（scipy.stats.binomtest，或课程的 stats.mcnemar_exact）。")
def _what_fine_tuning_changed(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    true = fine_tuning_changes(ns)
    expect(isinstance(answer, Mapping) and {"fixed", "broken", "p"} <= set(answer),
           say("answer_7_3 should be a dict with the keys 'fixed', 'broken' and 'p'",
               "answer_7_3 应该是一个以 'fixed'、'broken' 和 'p' 为键的字典"))
    for key in ("fixed", "broken"):
        expect(is_number(answer[key]), say(f"answer_7_3['{key}'] should be a number of photos",
                                           f"answer_7_3['{key}'] 应该是照片的张数"))
    fixed, broken = int(answer["fixed"]), int(answer["broken"])
    if (fixed, broken) == (true["broken"], true["fixed"]) and true["fixed"] != true["broken"]:
        expect(False, say("'fixed' and 'broken' are the wrong way round: fixed photos were wrong with the frozen head "
                          "and are right after fine-tuning",
                          "'fixed' 和 'broken' 弄反了：fixed 指冻结主体时错、微调后对的照片"))
    expect(fixed == true["fixed"], say("'fixed' is off: count the test photos the frozen head gets wrong and the "
                                       "fine-tuned model gets right",
                                       "'fixed' 不对：请统计冻结主体的分类头分错、而微调后的模型分对的测试照片"))
    expect(broken == true["broken"], say("'broken' is off: count the test photos the frozen head gets right and the "
                                         "fine-tuned model gets wrong",
                                         "'broken' 不对：请统计冻结主体的分类头分对、而微调后的模型分错的测试照片"))
    expect(is_number(answer["p"]) and 0 <= float(answer["p"]) <= 1,
           say("answer_7_3['p'] should be a p-value between 0 and 1", "answer_7_3['p'] 应该是介于 0 和 1 之间的 p 值"))
    expect(abs(float(answer["p"]) - true["p"]) <= 1e-6,
           say("the p-value is off: the exact McNemar test is a two-sided binomial test of 'fixed' out of the "
               "fixed + broken photos, with probability one half (a one-sided test, or a test on all photos, differs)",
               "p 值不对：精确 McNemar 检验是 'fixed' 在 fixed + broken 张照片中、概率为二分之一的双侧二项检验"
               "（单侧检验，或在全部照片上做检验，结果都不同）"))
    return correct(prediction_note(ns, "7.3", true["gain"]) + say(
        " (the accuracy change fine-tuning made on the test photos)", "（微调在测试照片上带来的准确率变化）"))


def fine_tuning_verdict(ns: Mapping[str, Any]) -> str:
    """What the paired test on the test photos supports (5 % level)."""
    true = fine_tuning_changes(ns)
    if true["p"] < ALPHA:
        return VERDICTS_7_4[0] if true["fixed"] > true["broken"] else VERDICTS_7_4[1]
    return VERDICTS_7_4[2]


@exercise("7.4", hint="A higher accuracy on one test set is not yet evidence: two models trained with different seeds "
                      "differ too. What did the paired test of exercise 7.3 say, at the 5 % level?",
          recipe="If McNemar's p from 7.3 is below 0.05, the direction (more fixed than broken, or fewer) decides "
                 "between 'fine-tuning helped' and 'fine-tuning hurt'; otherwise the test photos give no evidence "
                 "either way, whatever the two accuracies are, and the cheaper model (the frozen head) is the default.",
          hint_zh="在一个测试集上准确率更高还不算证据：用不同种子训练的两个模型也会有差别。练习 7.3 的配对检验在 5% "
                  "水平上怎么说？",
          recipe_zh="如果 7.3 的 McNemar p 值低于 0.05，由方向（fixed 多于还是少于 broken）在 'fine-tuning helped' 和 "
                    "'fine-tuning hurt' 之间决定；否则，无论两个准确率是多少，测试照片都不支持任何一方，"
                    "默认选更便宜的模型（冻结主体的分类头）。")
def _did_fine_tuning_pay(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    expect(isinstance(answer, str) and answer.strip().lower() in VERDICTS_7_4,
           say(f"answer_7_4 should be one of {list(VERDICTS_7_4)}", f"answer_7_4 应该是 {list(VERDICTS_7_4)} 之一"))
    true, verdict = fine_tuning_changes(ns), fine_tuning_verdict(ns)
    chosen = answer.strip().lower()
    if chosen != verdict and verdict == VERDICTS_7_4[2]:
        expect(False, say(f"the accuracies differ by {true['gain']:+.1%}, but McNemar's p = {true['p']:.2f} on "
                          f"{true['fixed'] + true['broken']} disagreeing photos: a difference that size is common "
                          "between two equally good models",
                          f"两个准确率相差 {true['gain']:+.1%}，但在 {true['fixed'] + true['broken']} 张意见不同的照片上 "
                          f"McNemar p = {true['p']:.2f}：两个同样好的模型之间也常有这么大的差别"))
    expect(chosen == verdict, say(f"McNemar's p = {true['p']:.3g} with {true['fixed']} photos fixed and "
                                  f"{true['broken']} broken: read the direction and the p-value again",
                                  f"McNemar p = {true['p']:.3g}，修正 {true['fixed']} 张、弄错 {true['broken']} 张："
                                  "请重新读一读方向和 p 值"))
    return CORRECT
