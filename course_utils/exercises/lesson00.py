"""Checkers for lesson 00 (welcome): the datasets, their checksums and a first look at the data."""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..i18n import tr
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
                 "average wins; the list of class names turns its label into a name.")
def _most_ink(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    fashion = lesson_value(ns, "fashion")
    expect(isinstance(answer, str), tr("answer_0_1 should be a class name (a string), not {type_name}",
                                       type_name=type(answer).__name__))
    expect(answer in fashion.class_names, tr("{answer!r} is not one of fashion.class_names", answer=answer))
    shares = ink_share_per_class(fashion.x_train, fashion.y_train)
    expect(answer == fashion.class_names[int(shares.argmax())],
           tr("{answer!r} covers {shares:.0%} of the frame on average; another class covers more", answer=answer,
              shares=shares[fashion.class_names.index(answer)]))
    predicted = ns.get("prediction_0_1")
    note = prediction_note(ns, "0.1", answer)
    if isinstance(predicted, str) and predicted in fashion.class_names and predicted != answer:
        share = shares[fashion.class_names.index(predicted)]
        note += tr(" ({predicted} covers {share:.0%}, rank {value} of {n_shares})", predicted=predicted, share=share,
                   value=int((shares > share).sum()) + 1, n_shares=len(shares))
    return correct(note)


@exercise("0.2", hint="A checksum is computed from a file's bytes, not from its name. Python's hashlib has one "
                      "function per algorithm; the course folder is cu.data_dir().",
          recipe="Build the file's path by joining cu.data_dir() with the folder and the file name (the / operator of "
                 "pathlib), read the file as bytes, give them to hashlib's SHA-256 function and ask for the hex digest "
                 "(64 hex digits).")
def _checksum(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    from ..data.registry import REGISTRY

    expect(isinstance(answer, str), tr("answer_0_2 should be a hex string, not {type_name}",
                                       type_name=type(answer).__name__))
    digest = answer.strip().lower()
    expect(len(digest) == 64, tr("a SHA-256 digest has 64 hex digits; yours has {n_digest} (an MD5 digest has 32: "
                                 "use hashlib.sha256)", n_digest=len(digest)))
    expected = REGISTRY[CHECKED_FILE].known_hash.split(":", 1)[1]
    expect(digest == expected, tr("that is not the SHA-256 of the file's bytes (hash the file's contents, not its "
                                  "name or path)"))
    return CORRECT


@exercise("0.3", hint="Every value comes from the arrays: an array's shape holds the number of images and their "
                      "height and width; the labels hold the classes. Write it once as a function of a dataset.",
          recipe="Write a small function that takes a dataset and returns a dict with the six columns (lengths of the "
                 "train and test arrays, the two image sides from the shape, the number of distinct labels, the mean of "
                 "the training pixels); call it for both datasets and let pandas build a table from the dict of dicts, "
                 "one row per dataset (orient='index').")
def _dataset_table(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    datasets = {"MNIST": lesson_value(ns, "mnist"), "Fashion-MNIST": lesson_value(ns, "fashion")}
    expect(hasattr(answer, "loc") and hasattr(answer, "columns") and hasattr(answer, "index"),
           tr("answer_0_3 should be a pandas DataFrame"))
    missing = [c for c in TABLE_COLUMNS if c not in answer.columns]
    expect(not missing, tr("the table lacks the column(s) {missing}", missing=missing))
    expect(set(datasets) <= set(map(str, answer.index)),
           tr("the rows should be labelled 'MNIST' and 'Fashion-MNIST'"))
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
                expect(abs(given - value) <= 0.051, tr("{name}'s mean pixel should be the mean grey level of its "
                                                       "training images on the 0-255 scale (yours: {row})", name=name,
                                                       row=row[column]))
            else:                        # counts and sizes are exact whole numbers
                expect(given == value, tr("{name}'s '{column}' is a count: it should be exactly the whole number the "
                                          "arrays give (yours: {row})", name=name, column=column, row=row[column]))
    return CORRECT
