"""Checkers for lesson 00 (welcome): the datasets, their checksums and a first look at the data."""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..i18n import say
from .core import CORRECT, Verdict, exercise, expect, lesson_value

TABLE_COLUMNS = ("train images", "test images", "height", "width", "classes", "mean pixel")
CHECKED_FILE = "mnist/t10k-labels-idx1-ubyte.gz"


def ink_share_per_class(images: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Share of non-black pixels in the images of each class (index = label)."""
    inked = (images > 0).reshape(len(images), -1).mean(axis=1)
    return np.array([inked[labels == c].mean() for c in range(int(labels.max()) + 1)])


@exercise("0.1", hint="(fashion.x_train > 0) marks the inked pixels; average it over the images whose label "
                      "(fashion.y_train) is c, for each c, then take the class with the largest share. "
                      "fashion.class_names turns a label into its name.",
          hint_zh="(fashion.x_train > 0) 标出非黑（有内容）的像素；对每个类别 c，在标签（fashion.y_train）为 c 的"
                  "图像上求它的平均值，再取占比最大的类别。fashion.class_names 能把标签换成类别名。")
def _most_ink(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    fashion = lesson_value(ns, "fashion")
    expect(isinstance(answer, str), say(f"answer_0_1 should be a class name (a string), not {type(answer).__name__}",
                                        f"answer_0_1 应该是一个类别名（字符串），而不是 {type(answer).__name__}"))
    expect(answer in fashion.class_names, say(f"{answer!r} is not one of fashion.class_names",
                                              f"{answer!r} 不在 fashion.class_names 之中"))
    shares = ink_share_per_class(fashion.x_train, fashion.y_train)
    expect(answer == fashion.class_names[int(shares.argmax())],
           say(f"{answer!r} covers {shares[fashion.class_names.index(answer)]:.0%} of the frame on average; "
               "another class covers more",
               f"{answer!r} 平均占画面的 {shares[fashion.class_names.index(answer)]:.0%}；另有一个类别占得更多"))
    return CORRECT


@exercise("0.2", hint="hashlib.sha256(path.read_bytes()).hexdigest() fingerprints a file's bytes; the file is "
                      "cu.data_dir() / 'mnist' / 't10k-labels-idx1-ubyte.gz'.",
          hint_zh="hashlib.sha256(path.read_bytes()).hexdigest() 根据文件的字节内容算出它的“指纹”；要算的文件是 "
                  "cu.data_dir() / 'mnist' / 't10k-labels-idx1-ubyte.gz'。")
def _checksum(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    from ..data.registry import REGISTRY

    expect(isinstance(answer, str), say(f"answer_0_2 should be a hex string, not {type(answer).__name__}",
                                        f"answer_0_2 应该是一个十六进制字符串，而不是 {type(answer).__name__}"))
    digest = answer.strip().lower()
    expect(len(digest) == 64, say(f"a SHA-256 digest has 64 hex digits; yours has {len(digest)} "
                                  "(an MD5 digest has 32: use hashlib.sha256)",
                                  f"SHA-256 摘要有 64 位十六进制数字，你的有 {len(digest)} 位"
                                  "（MD5 摘要才是 32 位：请用 hashlib.sha256）"))
    expected = REGISTRY[CHECKED_FILE].known_hash.split(":", 1)[1]
    expect(digest == expected, say("that is not the SHA-256 of the file's bytes (hash the file's contents, "
                                   "not its name or path)",
                                   "这不是该文件字节内容的 SHA-256（要对文件的内容求哈希，而不是对文件名或路径）"))
    return CORRECT


@exercise("0.3", hint="Build a dict per dataset, e.g. {'train images': len(d.x_train), 'height': d.x_train.shape[1], "
                      "'classes': len(np.unique(d.y_train)), 'mean pixel': d.x_train.mean(), ...}, then "
                      "pd.DataFrame.from_dict({'MNIST': ..., 'Fashion-MNIST': ...}, orient='index').",
          hint_zh="为每个数据集建一个字典，例如 {'train images': len(d.x_train), 'height': d.x_train.shape[1], "
                  "'classes': len(np.unique(d.y_train)), 'mean pixel': d.x_train.mean(), ...}，再用 "
                  "pd.DataFrame.from_dict({'MNIST': ..., 'Fashion-MNIST': ...}, orient='index') 组成表格。")
def _dataset_table(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    datasets = {"MNIST": lesson_value(ns, "mnist"), "Fashion-MNIST": lesson_value(ns, "fashion")}
    expect(hasattr(answer, "loc") and hasattr(answer, "columns"),
           say("answer_0_3 should be a pandas DataFrame", "answer_0_3 应该是一个 pandas DataFrame"))
    missing = [c for c in TABLE_COLUMNS if c not in answer.columns]
    expect(not missing, say(f"the table lacks the column(s) {missing}", f"表格缺少这些列：{missing}"))
    expect(set(datasets) <= set(map(str, answer.index)),
           say("the rows should be labelled 'MNIST' and 'Fashion-MNIST'", "行索引应为 'MNIST' 和 'Fashion-MNIST'"))
    for name, data in datasets.items():
        row = answer.loc[name]
        true = {"train images": len(data.x_train), "test images": len(data.x_test), "height": data.x_train.shape[1],
                "width": data.x_train.shape[2], "classes": len(np.unique(data.y_train)),
                "mean pixel": float(data.x_train.mean())}
        for column, value in true.items():
            expect(np.isclose(float(row[column]), value, rtol=1e-3, atol=0.051),   # a rounded mean is fine
                   say(f"{name}'s '{column}' should be computed from its training/test arrays (yours: {row[column]})",
                       f"{name} 的 '{column}' 应该由它的训练/测试数组算出（你的值：{row[column]}）"))
    return CORRECT
