"""Checkers for lesson 07 (ResNet50 on birds): what fine-tuning trains, when the cache pays, where the model errs."""
from __future__ import annotations

from collections import Counter
from typing import Any, Mapping

import numpy as np

from ..i18n import say
from .core import CORRECT, Verdict, exercise, expect, lesson_value

SPECIES_COLUMNS = ("species", "test photos", "recall", "most confused with")


def stage_weights(base_model, stages: tuple[str, ...], batch_norm: bool) -> int:
    """Number of weights in the layers of ``stages`` (name prefixes): BatchNormalization layers or the others."""
    from keras import layers

    return sum(int(np.prod(w.shape)) for layer in base_model.layers if layer.name.startswith(stages)
               and isinstance(layer, layers.BatchNormalization) == batch_norm for w in layer.weights)


@exercise("7.1", hint="Walk base_model.layers; keep the names starting with 'conv4_' or 'conv5_'; skip the "
                      "BatchNormalization layers (frozen, so not updated); add up the sizes of the remaining "
                      "layers' weights (int(np.prod(w.shape)) for w in layer.weights).",
          hint_zh="遍历 base_model.layers；保留名字以 'conv4_' 或 'conv5_' 开头的层；跳过 BatchNormalization 层"
                  "（它们保持冻结，不会更新）；把其余各层权重的大小加起来"
                  "（对 layer.weights 中的每个 w 取 int(np.prod(w.shape))）。")
def _unfreeze_conv4(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    base_model = lesson_value(ns, "base_model")
    expect(np.ndim(answer) == 0 and float(answer) == int(answer),
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


@exercise("7.2", hint="Solve extraction + E·cached ≤ E·uncached for E: E ≥ extraction / (uncached - cached); "
                      "round up to a whole number of epochs (np.ceil), and at least 1.",
          hint_zh="解不等式 extraction + E·cached ≤ E·uncached，求 E：E ≥ extraction / (uncached - cached)；"
                  "向上取整为整数个迭代周期（np.ceil），且至少为 1。")
def _break_even(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    extraction, cached, uncached = (float(lesson_value(ns, n)) for n in ("extraction", "cached_epoch",
                                                                         "uncached_epoch"))
    expected = break_even_epochs(extraction, cached, uncached)
    expect(expected is not None, say("in this run an epoch on cached features was not faster than one through the base, "
                                     "so the cache never pays: rerun the timing cells on quieter cores",
                                     "这次运行中，在缓存特征上训练一个迭代周期并不比经过骨干网络更快，缓存永远收不回成本："
                                     "请在 CPU 较空闲时重新运行计时单元格"))
    expect(np.ndim(answer) == 0 and float(answer) == int(answer),
           say("answer_7_2 should be a whole number of epochs", "answer_7_2 应该是整数个迭代周期"))
    epochs = int(answer)
    expect(extraction + epochs * cached <= epochs * uncached, say(f"after {epochs} epoch(s) the cache has not paid for "
                                                                  "itself yet",
                                                                  f"{epochs} 个迭代周期后，缓存还没有收回成本"))
    expect(epochs == expected, say(f"the cache already pays for itself before {epochs} epochs: find the smallest E",
                                   f"不到 {epochs} 个迭代周期缓存就已经收回成本了：请找出最小的 E"))
    return CORRECT


def species_rows(y_true: np.ndarray, y_pred: np.ndarray, class_names: list[str]) -> dict[str, dict]:
    """Per species: test photos, recall, and the set of species most often predicted instead (empty: no mistakes)."""
    rows = {}
    for c, name in enumerate(class_names):
        mask = y_true == c
        wrong = Counter(int(p) for p in y_pred[mask] if p != c)
        top = max(wrong.values(), default=0)
        rows[name] = {"test photos": int(mask.sum()), "recall": float(np.mean(y_pred[mask] == c)) if mask.any() else 0.0,
                      "confused": {class_names[k] for k, v in wrong.items() if v == top}}
    return rows


@exercise("7.3", hint="y_pred = finetuned_probs.argmax(1). For species c: mask = y_test == c; test photos = "
                      "mask.sum(); recall = np.mean(y_pred[mask] == c); most confused with = the most frequent wrong "
                      "prediction among y_pred[mask] (collections.Counter), or None if there is none.",
          hint_zh="y_pred = finetuned_probs.argmax(1)。对鸟种 c：mask = y_test == c；test photos = mask.sum()；"
                  "recall = np.mean(y_pred[mask] == c)；most confused with = y_pred[mask] 中出现最多的错误预测"
                  "（用 collections.Counter），若没有错误则为 None。")
def _species_table(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    class_names = list(lesson_value(ns, "class_names"))
    y_pred = np.asarray(lesson_value(ns, "finetuned_probs")).argmax(axis=1)
    expected = species_rows(np.asarray(lesson_value(ns, "y_test")), y_pred, class_names)
    expect(hasattr(answer, "columns") and hasattr(answer, "iterrows"),
           say("answer_7_3 should be a pandas DataFrame", "answer_7_3 应该是一个 pandas DataFrame"))
    table = answer.reset_index() if "species" not in answer.columns else answer
    missing = [c for c in SPECIES_COLUMNS if c not in table.columns]
    expect(not missing, say(f"the table lacks the column(s) {missing}", f"表格缺少这些列：{missing}"))
    expect(sorted(map(str, table["species"])) == sorted(class_names),
           say("the table should have one row per species", "表格应为每个鸟种各列一行"))
    for _, row in table.iterrows():
        want = expected[str(row["species"])]
        expect(int(row["test photos"]) == want["test photos"], say(f"{row['species']}: count its test photos",
                                                                   f"{row['species']}：请数一数它的测试照片"))
        expect(np.isclose(float(row["recall"]), want["recall"], atol=1e-6),
               say(f"{row['species']}: the recall is off", f"{row['species']}：召回率不对"))
        confused = row["most confused with"]
        if want["confused"]:
            expect(confused in want["confused"], say(f"{row['species']}: another species is predicted instead more often",
                                                     f"{row['species']}：被误判成另一个鸟种的次数更多"))
        else:
            expect(confused is None or confused != confused or confused in ("", "none", "None"),
                   say(f"{row['species']}: no photo of it is misclassified, so it is confused with nothing (None)",
                       f"{row['species']}：它的照片没有一张被分错，所以不会与任何鸟种混淆（None）"))
    return CORRECT


@exercise("7.4", hint="probabilities = bird_model.predict(photo[None], verbose=0)[0]; np.argsort sorts ascending: "
                      "reverse it ([::-1]), keep the first three indices and look up their class_names.",
          hint_zh="probabilities = bird_model.predict(photo[None], verbose=0)[0]；np.argsort 按升序排列："
                  "把它反过来（[::-1]），取前三个下标，再查出它们在 class_names 中的名字。")
def _top_three(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    class_names = list(lesson_value(ns, "class_names"))
    probabilities = lesson_value(ns, "bird_model").predict(lesson_value(ns, "photo")[None], verbose=0)[0]
    expect(isinstance(answer, (list, tuple)) and len(answer) == 3,
           say("answer_7_4 should be a list of three species names", "answer_7_4 应该是由三个鸟种名组成的列表"))
    expect(all(name in class_names for name in answer), say("every entry should be a species name from class_names",
                                                            "每一项都应是 class_names 中的鸟种名"))
    chosen = [probabilities[class_names.index(name)] for name in answer]
    third_best = np.sort(probabilities)[::-1][2]
    expect(min(chosen) >= third_best - 1e-7, say("these are not the three most likely species",
                                                 "这些不是可能性最大的三个鸟种"))
    expect(all(a >= b - 1e-7 for a, b in zip(chosen, chosen[1:])), say("put the most likely species first",
                                                                       "请把可能性最大的鸟种排在最前面"))
    return CORRECT
