"""Lesson 6 (data augmentation): random views of one image, the lesson's model and runs, and how to read them.

* :func:`augmented_views`, :func:`plot_views`: several random views of one image, drawn in a grid.
* :func:`augmentation_pipeline`, :func:`build_small_cnn`, :func:`compile_model`, :func:`train_and_score`: the
  small CNN, the augmentations the lesson measures and one seeded run. They live here so that the lesson
  (which prints their source) and ``python -m course_utils.tools.augmentation_runs`` (the recorded
  experiment) train exactly the same model.
* :func:`contrast_factors`: the contrast factor a ``RandomContrast`` layer actually draws, measured.
* :func:`summary_table`, :func:`late_gain`, :func:`flat_from`, :func:`per_seed_table`, :func:`read_runs`,
  :func:`recorded_table`: reading the runs (spread and t interval per condition, whether a learning curve
  still rises, each seed's gap, the recorded experiment's CSV and its paired comparisons). Every interval
  and verdict comes from :mod:`course_utils.stats`, the course's one statistics module.
* :func:`augmented_dataset`, :func:`one_epoch`: augmentation in the ``tf.data`` input pipeline.

The training subsets come from :mod:`course_utils.runs` (shared with lesson 5), the learning curves
from :func:`course_utils.plots.plot_mean_curves`.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np

from .. import stats

#: The lesson's full-profile sizes and settings (its parameter cell), which the recorded experiment
#: (``python -m course_utils.tools.augmentation_runs``) repeats; ``tests/test_augmentation.py`` checks
#: that they still equal the lesson's.
FULL_PROFILE = {"N_TRAIN": 1_000, "N_VAL": 1_000, "N_TEST": 10_000, "VAL_SEED": 1000, "EPOCHS": 50,
                "BATCH_SIZE": 32, "LEARNING_RATE": 1e-3}


def augmented_views(layer, image: np.ndarray, n: int) -> np.ndarray:
    """``n`` random views of one image, made by ``layer`` in training mode; the first is the original.

    Args:
        layer: a Keras layer (or Sequential) of random preprocessing layers.
        image: one image ``(height, width)`` or ``(height, width, channels)``.
        n: number of images returned, the original included.

    Returns:
        A float32 array ``(n, height, width, channels)``.
    """
    image = np.asarray(image, dtype="float32")
    if image.ndim == 2:
        image = image[..., None]
    batch = np.repeat(image[None], n - 1, axis=0)
    views = np.asarray(layer(batch, training=True))
    return np.concatenate([image[None], views]).astype("float32")


def plot_views(views: dict[str, np.ndarray], title: str, value_max: float = 1.0, size: float = 1.3,
               col_titles: Sequence[str] | None = None):
    """One row of random views per augmentation, the row's name on the left; returns the Axes array.

    Args:
        views: ``{row name: array (n, height, width, channels)}``, all rows the same ``n``.
        value_max: the largest pixel value (1.0 for images scaled to 0-1, 255.0 for photos),
            so that contrast changes stay visible (no per-image rescaling).
        col_titles: titles of the columns; default "original", "view 1", "view 2", ...
    """
    import matplotlib.pyplot as plt

    ncols = max(len(v) for v in views.values())
    fig, axes = plt.subplots(len(views), ncols, figsize=(size * ncols, size * len(views) + 0.5), squeeze=False)
    for r, (name, images) in enumerate(views.items()):
        for col, ax in enumerate(axes[r]):
            ax.set_xticks([]), ax.set_yticks([])
            if col < len(images):
                image = np.clip(np.asarray(images[col], dtype=float) / value_max, 0, 1)
                ax.imshow(image.squeeze(), cmap="gray", vmin=0, vmax=1)
            if col == 0:
                ax.set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
            if r == 0:
                ax.set_title(col_titles[col] if col_titles is not None else
                             "original" if col == 0 else f"view {col}", fontsize=8)
    fig.suptitle(title, fontweight="bold")
    return axes


def contrast_factors(layer, n: int = 500) -> np.ndarray:
    """The contrast factor ``layer`` (a ``RandomContrast`` for images in [0, 1]) applied to each of ``n`` images.

    Each test image is two-tone (half its pixels 0.4, half 0.6: mean 0.5, sd 0.1), so that scaling the
    contrast by any factor up to 5 stays inside [0, 1] and is not clipped; the factor is then the image's
    standard deviation after the layer divided by its standard deviation before.

    Example:
        >>> from keras import layers
        >>> f = contrast_factors(layers.RandomContrast((0.5, 0.5), value_range=(0, 1), seed=0))
        >>> bool(f.min() >= 0.5 and f.max() <= 1.5)
        True
    """
    image = np.full((16, 16, 1), 0.4, dtype="float32")
    image[:, 8:] = 0.6
    out = np.asarray(layer(np.repeat(image[None], n, axis=0), training=True))
    return out.reshape(n, -1).std(axis=1) / image.std()


# --- The lesson's experiment: a small CNN on 1,000 Fashion-MNIST images, with and without augmentation ---

#: The augmentation conditions the experiment knows: name -> what it adds in front of the CNN.
#: Every one keeps the label of a Fashion-MNIST image (a mirrored or slightly turned, zoomed or
#: shifted garment is still the same garment); for MNIST digits the flip would not (lesson 6).
CONDITIONS = {
    "none": "no augmentation",
    "flip + shift": "RandomFlip('horizontal') + RandomTranslation(0.07, 0.07)",
    "rotation": "RandomRotation(10/360): turns of up to ±10°",
    "zoom": "RandomZoom(0.1): zoom in or out by up to 10%",
}


def augmentation_pipeline(condition: str, seed: int = 0):
    """The random layers of ``condition`` (a key of :data:`CONDITIONS`) as one ``keras.Sequential``, or None.

    Uncovered pixels are filled with black (``fill_mode="constant"``): Fashion-MNIST's background.

    Every layer gets the same ``seed``, so on the first call the flip decision and the vertical shift of
    "flip + shift" (``RandomTranslation`` draws the vertical shift first) come from the same random state and are
    correlated (measured on 256 images: -0.87 with the vertical shift, +0.12 with the horizontal one, Keras 3.10.0
    and 3.15.1); from the second call on they are not (the layers' seed generators advance at different rates,
    correlations 0.03 and 0.00; ``tests/test_augmentation.py`` checks it). That affects one batch per run, and the
    recorded experiment was run this way; when you copy the pattern, give each layer its own seed (``seed``,
    ``seed + 1``) or leave the layers unseeded and rely on ``keras.utils.set_random_seed``.
    """
    import keras
    from keras import layers

    if condition not in CONDITIONS:
        raise ValueError(f"Unknown condition {condition!r}: choose one of {list(CONDITIONS)}.")
    stacks = {
        "none": [],
        "flip + shift": [layers.RandomFlip("horizontal", seed=seed),
                         layers.RandomTranslation(0.07, 0.07, fill_mode="constant", seed=seed)],
        "rotation": [layers.RandomRotation(10 / 360, fill_mode="constant", seed=seed)],
        "zoom": [layers.RandomZoom(0.1, fill_mode="constant", seed=seed)],
    }
    return keras.Sequential(stacks[condition], name="augmentation") if stacks[condition] else None


def build_small_cnn(augmentation=None, name: str = "small_cnn"):
    """Conv(16)-pool-Conv(32)-pool-dropout-softmax for 28x28x1 images; optional augmentation in front."""
    import keras
    from keras import layers

    model = keras.Sequential([keras.Input(shape=(28, 28, 1))], name=name)
    if augmentation is not None:
        model.add(augmentation)
    model.add(layers.Conv2D(16, 3, padding="same", activation="relu", name="conv1"))
    model.add(layers.MaxPooling2D(name="pool1"))
    model.add(layers.Conv2D(32, 3, padding="same", activation="relu", name="conv2"))
    model.add(layers.MaxPooling2D(name="pool2"))
    model.add(layers.Flatten(name="flatten"))
    model.add(layers.Dropout(0.3, name="dropout"))
    model.add(layers.Dense(10, activation="softmax", name="head"))
    return model


def compile_model(model, learning_rate: float = 1e-3):
    """Adam at ``learning_rate``, sparse categorical cross-entropy, accuracy; returns the model."""
    import keras

    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def train_and_score(condition: str, seed: int, train, val, test, epochs: int, batch_size: int = 32,
                    learning_rate: float = 1e-3) -> dict:
    """Seed everything, train the small CNN under ``condition``, score clean training images and the test set.

    ``train``, ``val`` and ``test`` are ``(x, y)`` pairs. Returns one row: condition, seed, epochs,
    train_accuracy (on the un-augmented training images), test_accuracy, seconds (of ``fit``) and
    val_curve (validation accuracy after every epoch).
    """
    import time

    import keras

    keras.utils.set_random_seed(seed)
    model = compile_model(build_small_cnn(augmentation_pipeline(condition, seed)), learning_rate)
    start = time.perf_counter()
    history = model.fit(*train, validation_data=val, epochs=epochs, batch_size=batch_size, verbose=0)
    seconds = time.perf_counter() - start
    return dict(condition=condition, seed=seed, epochs=epochs,
                train_accuracy=float(model.evaluate(*train, verbose=0, batch_size=1000)[1]),
                test_accuracy=float(model.evaluate(*test, verbose=0, batch_size=1000)[1]),
                seconds=seconds, val_curve=[float(v) for v in history.history["val_accuracy"]])


# --- Reading the runs ---

def summary_table(runs, metrics: Sequence[str], by: str = "condition"):
    """Per ``by`` group and metric: mean, sd (spread over the runs) and count, from :func:`course_utils.stats.summarize`.

    The columns are ``(metric, "mean" | "sd" | "count")``; the sd says how much runs differ, it is not
    the uncertainty of the mean (for that, compare conditions paired, per seed).
    """
    import pandas as pd

    parts = {m: stats.summarize(runs, by, metric=m).set_index(by)[["mean", "sd", "count"]] for m in metrics}
    return pd.concat(parts, axis=1)


def late_gain(curve, last: int = 10) -> float:
    """How much a (mean) learning curve still rose at the end: mean of its last ``last`` epochs minus the ``last`` before.

    About 0 for a curve that has flattened; clearly positive for one still climbing.
    """
    curve = np.asarray(curve, dtype=float)
    if len(curve) < 2 * last:
        raise ValueError(f"The curve has {len(curve)} epochs; late_gain needs at least {2 * last}.")
    return float(curve[-last:].mean() - curve[-2 * last:-last].mean())


def flat_from(curve, tolerance: float = 0.01) -> int:
    """First epoch (1-based) from which a (mean) curve stays within ``tolerance`` of its final level.

    The final level is the mean of the last 5 epochs. Returns ``len(curve) + 1`` when even the last
    epoch is farther than ``tolerance`` from it (the curve never settled).
    """
    curve = np.asarray(curve, dtype=float)
    far = np.flatnonzero(np.abs(curve - curve[-5:].mean()) > tolerance)
    return int(far[-1] + 2) if len(far) else 1


def per_seed_table(runs, baseline: str = "none"):
    """One row per seed: test accuracy and train − test gap of each condition, and each condition's gap
    divided by the baseline's (below 0.5: over-fitting more than halved)."""
    import pandas as pd

    runs = pd.DataFrame(runs)
    runs = runs.assign(gap=runs["train_accuracy"] - runs["test_accuracy"])
    test = runs.pivot(index="seed", columns="condition", values="test_accuracy").add_prefix("test ")
    gap = runs.pivot(index="seed", columns="condition", values="gap")
    ratio = gap.drop(columns=baseline).div(gap[baseline], axis=0).add_prefix("gap ratio ")
    return pd.concat([test, gap.add_prefix("gap "), ratio], axis=1)


# --- The recorded experiment's CSV (written by ``python -m course_utils.tools.augmentation_runs``) ---

def read_runs(csv) -> list[dict]:
    """The runs recorded in ``csv`` (none if it does not exist), each ``val_curve`` decoded to a list."""
    import pandas as pd

    csv = Path(csv)
    if not csv.exists():
        return []
    rows = pd.read_csv(csv).to_dict("records")
    for row in rows:
        row["val_curve"] = json.loads(row["val_curve"])
    return rows


def recorded_table(runs, baseline: str = "none"):
    """One row per condition: mean ± sd (spread) of clean-train and test accuracy and of the gap, the paired
    test difference from ``baseline`` with its t interval and verdict (:func:`course_utils.stats.paired_table`),
    the same interval corrected for the number of conditions compared with ``baseline`` (Bonferroni: level
    1 − 0.05/k) and its verdict, the late gain of the mean validation curve, the per-seed paired late gain
    minus ``baseline``'s (mean and 95% t interval) with the number of seeds in which it is above 0, and the
    seconds per run.

    Args:
        runs: rows as :func:`read_runs` returns them (or a DataFrame with the same columns).
    """
    import pandas as pd

    runs = pd.DataFrame(runs)
    runs = runs.assign(gap=runs["train_accuracy"] - runs["test_accuracy"],
                       late=[late_gain(curve) for curve in runs["val_curve"]])
    k = max(runs["condition"].nunique() - 1, 1)
    paired = stats.paired_table(runs, "condition", "test_accuracy", baseline=baseline).set_index("condition")
    corrected = stats.paired_table(runs, "condition", "test_accuracy", baseline=baseline,
                                   level=1 - (1 - stats.LEVEL) / k).set_index("condition")
    control = runs[runs["condition"] == baseline].set_index("seed")
    rows = []
    for condition, group in runs.groupby("condition", sort=False):
        row = {"condition": condition, "seeds": group["seed"].nunique()}
        for metric in ("train_accuracy", "test_accuracy", "gap", "seconds"):
            row[f"{metric} mean"], row[f"{metric} sd"] = group[metric].mean(), group[metric].std(ddof=1)
        if condition != baseline:
            row.update(paired.loc[condition, ["gain", "low", "high", "verdict"]].to_dict())
            row["low (corrected)"], row["high (corrected)"] = corrected.loc[condition, ["low", "high"]]
            row["verdict (corrected)"] = corrected.loc[condition, "verdict"]
        row["late gain"] = late_gain(np.mean(np.stack(group["val_curve"].to_list()), axis=0))
        if condition != baseline:
            d = (group.set_index("seed")["late"] - control["late"]).dropna()
            (row["late gain − control"], row["late gain − control low"],
             row["late gain − control high"]) = stats.paired_interval(d)
            row["seeds rising more"] = int((d > 0).sum())
        rows.append(row)
    return pd.DataFrame(rows).set_index("condition")


# --- Augmentation in the tf.data input pipeline ---

def augmented_dataset(x, y, pipeline, batch_size: int = 32):
    """A ``tf.data`` dataset of ``(x, y)`` batches with ``pipeline`` applied in training mode to the images only.

    Use it for the training data; feed validation and test data without it. ``prefetch`` lets the CPU
    augment the next batches while the model trains on the current one. It does not shuffle, so that the
    lesson can compare every image with its original; a real training pipeline adds ``.shuffle(len(x))``
    before ``.batch`` (``fit(shuffle=True)`` does not shuffle a ``tf.data`` dataset).
    """
    import tensorflow as tf

    return (tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size)
            .map(lambda images, labels: (pipeline(images, training=True), labels),
                 num_parallel_calls=tf.data.AUTOTUNE)
            .prefetch(tf.data.AUTOTUNE))


def one_epoch(dataset) -> tuple[np.ndarray, np.ndarray]:
    """All images and labels of one pass over a batched ``(x, y)`` dataset, as two arrays."""
    batches = list(dataset.as_numpy_iterator())
    return np.concatenate([b[0] for b in batches]), np.concatenate([b[1] for b in batches])
