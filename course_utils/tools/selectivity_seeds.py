"""Lesson 3's class-selectivity measurement over several seeds: what its checks may assert.

Lesson 3 trains its small CNN briefly, once, and measures how class-specific each stage is
(pixels, ``conv1``, ``conv2``, ``pool2`` = what ``flatten`` hands to the head, and the head's
10 outputs), before and after training, with two ways of counting units that treat every stage
alike: *per channel* (each channel's map averaged over the image) and *per position* (every
position of every channel). One seed is an anecdote; this command repeats the lesson's recipe
for each seed given and prints every seed's table, then mean ± sd, minimum and maximum of each
value and how many seeds satisfy each statement the lesson checks.

The functions :func:`class_profiles` and :func:`selectivity` are copies of the lesson's cells
(``tests/test_lesson_cnn.py`` checks they give the same numbers), and the recipe constants are the
lesson's full-profile settings. Nothing is written to disk.

Usage (from the course folder; set ``COURSE_DATA_MIRROR`` first if you are offline)::

    python -m course_utils.tools.selectivity_seeds --seeds 1 2 3

One seed costs about 2 epochs x 30,000 images of CNN training (roughly 30 s of one quiet core).
"""
from __future__ import annotations

import argparse
import sys
from typing import Callable

import numpy as np

# The lesson's parameter cell (full profile) and training call; tests check they agree with the notebook.
N_TRAIN, N_TEST, EPOCHS, BATCH_SIZE, LEARNING_RATE, VAL_SPLIT = 30_000, 10_000, 2, 128, 1e-3, 0.1
STAGES = ("conv1", "conv2", "pool2", "head")
POOLINGS = ("per channel", "per position")


def per_channel(activations: np.ndarray) -> np.ndarray:
    """One number per channel and image: a feature map averaged over its positions; flat outputs unchanged."""
    return activations.mean(axis=(1, 2)) if activations.ndim == 4 else activations


def class_profiles(model, images: np.ndarray, labels: np.ndarray, batch: int = 500) -> dict:
    """{(pooling, stage): mean of every unit (columns) for each class (rows)}, the pixels included as a stage."""
    import keras

    probe = keras.Model(model.inputs[0], [model.get_layer(name).output for name in STAGES])
    onehot = np.eye(10)[labels]
    sums = {}
    for start in range(0, len(images), batch):
        x, members = images[start:start + batch], onehot[start:start + batch]
        for stage, acts in zip(("pixels",) + STAGES, [x] + [np.asarray(a) for a in probe(x)]):
            for pooling, units in zip(POOLINGS, (per_channel(acts), acts.reshape(len(acts), -1))):
                sums[pooling, stage] = sums.get((pooling, stage), 0) + members.T @ units
    return {key: total / onehot.sum(axis=0)[:, None] for key, total in sums.items()}


def selectivity(profile: np.ndarray) -> float:
    """Mean class-selectivity index over the units (columns) of a class-by-unit profile; silent units left out."""
    best = profile.max(axis=0)
    rest = (profile.sum(axis=0) - best) / (profile.shape[0] - 1)
    alive = best > 1e-6
    return float(np.mean((best - rest)[alive] / (best + rest)[alive]))


def selectivity_table(trained: dict, untrained: dict):
    """DataFrame indexed by (pooling, stage) with the untrained and trained index and the change."""
    import pandas as pd

    rows = [{"pooling": p, "stage": s, "untrained": selectivity(untrained[p, s]), "trained": selectivity(trained[p, s])}
            for p in POOLINGS for s in ("pixels",) + STAGES]
    table = pd.DataFrame(rows).set_index(["pooling", "stage"])
    table["change"] = table["trained"] - table["untrained"]
    return table


def _both(table, test: Callable) -> bool:
    return all(test(table.loc[pooling]) for pooling in POOLINGS)


# The statements lesson 3 checks (full profile), each as a test of one seed's table.
CLAIMS: dict[str, Callable] = {
    "training lowered conv1's selectivity (both poolings)": lambda t: _both(t, lambda p: p.loc["conv1", "change"] < 0),
    "training raised conv2's, pool2's and the head's (both poolings)":
        lambda t: _both(t, lambda p: (p.loc[["conv2", "pool2", "head"], "change"] > 0).all()),
    "untrained: conv2 less selective than conv1 (per position)":
        lambda t: t.loc[("per position", "conv2"), "untrained"] < t.loc[("per position", "conv1"), "untrained"],
    "trained: conv1 < conv2 < head (both poolings)":
        lambda t: _both(t, lambda p: p.loc["conv1", "trained"] < p.loc["conv2", "trained"] < p.loc["head", "trained"]),
}


def one_seed(seed: int, data) -> tuple:
    """Train the lesson's CNN with ``seed``; return (its selectivity table, its test accuracy)."""
    import keras

    from course_utils import models

    x_train, y_train, x_test, y_test = data
    keras.utils.set_random_seed(seed)
    cnn = models.build_mnist_cnn()
    untrained = class_profiles(cnn, x_test, y_test)
    cnn.compile(optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE),
                loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    cnn.fit(x_train, y_train, epochs=EPOCHS, batch_size=BATCH_SIZE, validation_split=VAL_SPLIT, verbose=0)
    accuracy = cnn.evaluate(x_test, y_test, verbose=0)[1]
    return selectivity_table(class_profiles(cnn, x_test, y_test), untrained), float(accuracy)


def summary(tables: list) -> str:
    """Mean ± sd [min, max] over seeds of every cell, as Markdown."""
    import pandas as pd

    stacked = pd.concat(tables, keys=range(len(tables)), names=["seed"])
    grouped = stacked.groupby(level=["pooling", "stage"], sort=False)
    mean, sd, low, high = grouped.mean(), grouped.std(), grouped.min(), grouped.max()
    lines = ["| pooling | stage | untrained | trained | change |", "|---|---|---|---|---|"]
    for pooling, stage in mean.index:
        cells = [f"{mean.loc[(pooling, stage), c]:.3f} ± {sd.loc[(pooling, stage), c]:.3f} "
                 f"[{low.loc[(pooling, stage), c]:.3f}, {high.loc[(pooling, stage), c]:.3f}]"
                 for c in ("untrained", "trained", "change")]
        lines.append(f"| {pooling} | {stage} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def load_data():
    """(x_train, y_train, x_test, y_test) as lesson 3 uses them: channel axis, pixels in [0, 1]."""
    from course_utils.data import datasets

    mnist = datasets.load_mnist()
    return (mnist.x_train[:N_TRAIN, :, :, None].astype("float32") / 255.0, mnist.y_train[:N_TRAIN],
            mnist.x_test[:N_TEST, :, :, None].astype("float32") / 255.0, mnist.y_test[:N_TEST])


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: one table per seed, then the summary and the claims' tally."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", required=True, help="training seeds, e.g. 1 2 3")
    args = parser.parse_args(argv)
    data, tables = load_data(), []
    for seed in args.seeds:
        table, accuracy = one_seed(seed, data)
        tables.append(table)
        print(f"seed {seed}: test accuracy {accuracy:.4f}\n{table.round(3).to_string()}\n", flush=True)
    print(f"Mean ± sd [min, max] over seeds {', '.join(map(str, args.seeds))}:\n\n{summary(tables)}\n")
    for claim, test in CLAIMS.items():
        print(f"- {claim}: holds for {sum(bool(test(t)) for t in tables)} of {len(tables)} seeds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
