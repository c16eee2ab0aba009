"""Checkers for lesson 00 (welcome): the datasets, their checksums and a first look at the data."""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..i18n import say
from .core import CORRECT, Verdict, correct, exercise, expect, lesson_value, prediction_note

TABLE_COLUMNS = ("train images", "test images", "height", "width", "classes", "mean pixel")
CHECKED_FILE = "mnist/t10k-labels-idx1-ubyte.gz"


def ink_share_per_class(images: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Share of non-black pixels in the images of each class (index = label)."""
    inked = (images > 0).reshape(len(images), -1).mean(axis=1)
    return np.array([inked[labels == c].mean() for c in range(int(labels.max()) + 1)])


@exercise("0.1", hint="A comparison such as `images > 0` gives an array of True/False, and the mean of True/False "
                      "values is a share. Work per class: the labels tell you which images belong to it.",
          recipe="Mark the inked pixels of every training image with a comparison; average them per image; then, for "
                 "each label c, average those per-image shares over the images labelled c. The class with the largest "
                 "average wins; the list of class names turns its label into a name.",
          hint_zh="像 `images > 0` 这样的比较会得到一个 True/False 数组，而 True/False 的平均值就是一个占比。"
                  "按类别来算：标签告诉你哪些图像属于这个类别。",
          recipe_zh="用比较运算标出每张训练图像中的非黑像素，对每张图像求平均；再对每个标签 c，在标签为 c 的图像上"
                    "对这些占比求平均。平均值最大的类别胜出；类别名列表能把它的标签换成名字。")
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
    predicted = ns.get("prediction_0_1")
    note = prediction_note(ns, "0.1", answer)
    if isinstance(predicted, str) and predicted in fashion.class_names and predicted != answer:
        share = shares[fashion.class_names.index(predicted)]
        note += say(f" ({predicted} covers {share:.0%}, rank {int((shares > share).sum()) + 1} of {len(shares)})",
                    f"（{predicted} 占 {share:.0%}，在 {len(shares)} 个类别中排第 {int((shares > share).sum()) + 1}）")
    return correct(note)


@exercise("0.2", hint="A checksum is computed from a file's bytes, not from its name. Python's hashlib has one "
                      "function per algorithm; the course folder is cu.data_dir().",
          recipe="Build the file's path by joining cu.data_dir() with the folder and the file name (the / operator of "
                 "pathlib), read the file as bytes, give them to hashlib's SHA-256 function and ask for the hex digest "
                 "(64 hex digits).",
          hint_zh="校验和是根据文件的字节内容算出来的，而不是根据文件名。Python 的 hashlib 为每种算法提供一个函数；"
                  "课程的数据文件夹是 cu.data_dir()。",
          recipe_zh="用 pathlib 的 / 运算符把 cu.data_dir()、文件夹和文件名拼成路径，以字节形式读取文件，交给 hashlib "
                    "的 SHA-256 函数，再取十六进制摘要（64 位十六进制数字）。")
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


@exercise("0.3", hint="Every value comes from the arrays: an array's shape holds the number of images and their "
                      "height and width; the labels hold the classes. Write it once as a function of a dataset.",
          recipe="Write a small function that takes a dataset and returns a dict with the six columns (lengths of the "
                 "train and test arrays, the two image sides from the shape, the number of distinct labels, the mean of "
                 "the training pixels); call it for both datasets and let pandas build a table from the dict of dicts, "
                 "one row per dataset (orient='index').",
          hint_zh="每个值都来自数组：数组的形状包含图像的数量及其高和宽；标签包含类别。把它写成一个以数据集为参数的函数。",
          recipe_zh="写一个小函数，接收一个数据集，返回含六列的字典（训练和测试数组的长度、形状中的两条边长、不同标签的"
                    "个数、训练像素的平均值）；对两个数据集各调用一次，再让 pandas 从这个“字典的字典”建表，"
                    "每个数据集一行（orient='index'）。")
def _dataset_table(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    datasets = {"MNIST": lesson_value(ns, "mnist"), "Fashion-MNIST": lesson_value(ns, "fashion")}
    expect(hasattr(answer, "loc") and hasattr(answer, "columns") and hasattr(answer, "index"),
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
            try:
                given = float(row[column])
            except (TypeError, ValueError):
                given = float("nan")
            if column == "mean pixel":   # a mean rounded to one decimal is fine
                expect(abs(given - value) <= 0.051, say(
                    f"{name}'s mean pixel should be the mean grey level of its training images on the 0-255 scale "
                    f"(yours: {row[column]})",
                    f"{name} 的 mean pixel 应为其训练图像在 0-255 刻度上的平均灰度（你的值：{row[column]}）"))
            else:                        # counts and sizes are exact whole numbers
                expect(given == value, say(f"{name}'s '{column}' is a count: it should be exactly the whole number the "
                                           f"arrays give (yours: {row[column]})",
                                           f"{name} 的 '{column}' 是一个计数：它应恰好等于数组给出的整数"
                                           f"（你的值：{row[column]}）"))
    return CORRECT
