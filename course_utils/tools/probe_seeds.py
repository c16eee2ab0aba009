"""Lesson 3's linear probes over more seeds: what the lesson's verdicts rest on.

Lesson 3 trains its small CNN briefly on the MNIST digits 0-4 (the source task), freezes it and an
untrained copy (the control), and fits a linear probe (logistic regression, its regularisation C
chosen on validation images) on the features after each stage (pixels, ``conv1``, ``conv2``,
``pool2``, ``head``) for a near target (the digits 5-9) and a far one (Fashion-MNIST), with 20
labelled images per class. The lesson runs 3 seeds; this command runs the same recipe for the
seeds given and prints every probe, the mean test accuracy per stage, the paired differences
trained − untrained and trained − pixels (mean and 95% t interval over seeds,
``course_utils.stats.paired_table``) and how many seeds satisfy each statement the lesson checks.

The functions :func:`scaled`, :func:`probe_targets`, :func:`train_source` and :func:`probe_network`
are the lesson's cells, word for word (``tests/test_probes.py`` checks it), and the constants are the
lesson's full-profile settings. Nothing is written to disk.

Usage (from the course folder; set ``COURSE_DATA_MIRROR`` first if you are offline)::

    python -m course_utils.tools.probe_seeds --seeds 1 2 3 4 5

One seed costs one brief CNN training (2 epochs on about 15,000 digits) and 20 probes.
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from course_utils.lessons import convolution

# The lesson's parameter cell (full profile); tests/test_probes.py checks they agree with the notebook.
N_TRAIN, EPOCHS, BATCH_SIZE = 30_000, 2, 128
PROBE_LABELLED, PROBE_TEST = 20, 1_000

# Filled by load_data(): the names the lesson's cells read.
keras = mnist = fashion = cnn = x_train = y_train = None


# ---- the lesson's cells, word for word ----
def scaled(images):
    """uint8 images (n, 28, 28) as the network's input: pixels in [0, 1], a channel axis."""
    return images[..., None].astype("float32") / 255.0

def probe_targets(seed):
    """{target: {"train", "val", "test": (images, labels)}}: a few labelled images per class, fixed test images."""
    rng = np.random.default_rng(seed)
    targets = {}
    for name, data, classes in (("near: digits 5-9", mnist, range(5, 10)), ("far: Fashion-MNIST", fashion, range(10))):
        train = convolution.per_class_sample(data.y_train, classes, PROBE_LABELLED, rng)
        val = convolution.per_class_sample(data.y_train, classes, PROBE_LABELLED, rng, exclude=train)
        test = np.flatnonzero(np.isin(data.y_test, classes))[:PROBE_TEST]
        targets[name] = {"train": (scaled(data.x_train[train]), data.y_train[train]),
                         "val": (scaled(data.x_train[val]), data.y_train[val]),
                         "test": (scaled(data.x_test[test]), data.y_test[test])}
    return targets

def train_source(seed):
    """(trained, untrained): the lesson's CNN trained briefly on the digits 0-4, and a copy of its initial weights."""
    keras.utils.set_random_seed(seed)
    source = keras.models.clone_model(cnn)            # the same architecture with new random weights
    untrained_source = keras.models.clone_model(cnn)
    untrained_source.set_weights(source.get_weights())  # the control: the same start, never trained
    source.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="sparse_categorical_crossentropy")
    digits_0_4 = y_train < 5
    source.fit(x_train[digits_0_4], y_train[digits_0_4], epochs=EPOCHS, batch_size=BATCH_SIZE, verbose=0)
    return source, untrained_source

def probe_network(model, targets):
    """The test accuracy of a linear probe on every stage of a frozen ``model``, for every target: a list of rows."""
    rows = []
    for target, parts in targets.items():
        features = {part: convolution.stage_features(model, images) for part, (images, _) in parts.items()}
        for stage in convolution.PROBE_STAGES:
            train, val, test = ((features[part][stage], parts[part][1]) for part in ("train", "val", "test"))
            rows.append({"target": target, "stage": stage, **convolution.fit_probe(train, val, test)})
    return rows
# ---- end of the lesson's cells ----


def load_data() -> None:
    """Set the module names the lesson's cells read, as lesson 3 builds them (full profile)."""
    global keras, mnist, fashion, cnn, x_train, y_train
    import keras as keras_module

    from course_utils import models
    from course_utils.data import datasets

    keras = keras_module
    mnist, fashion = datasets.load_mnist(), datasets.load_fashion_mnist()
    cnn = models.build_mnist_cnn()
    x_train = mnist.x_train[:N_TRAIN, :, :, None].astype("float32") / 255.0
    y_train = mnist.y_train[:N_TRAIN]


def run(seeds) -> "pd.DataFrame":
    """Every probe of every seed: one row per (seed, network, target, stage); each seed's rows printed when done."""
    import pandas as pd

    rows = []
    for seed in seeds:
        start = time.perf_counter()
        source, untrained_source = train_source(seed)
        targets = probe_targets(seed)
        seed_rows = []
        for network, model in (("trained", source), ("untrained", untrained_source)):
            seed_rows += [{"seed": seed, "network": network, **row} for row in probe_network(model, targets)]
        rows += seed_rows
        print(f"seed {seed} ({time.perf_counter() - start:.0f} s):\n\n"
              f"{pd.DataFrame(seed_rows).round(4).to_markdown(index=False)}\n", flush=True)
    return pd.DataFrame(rows)


def gains(probes, baseline: str = "untrained"):
    """Paired differences over seeds: trained − ``baseline`` ("untrained", or "pixels": the same network's pixel probe)."""
    from course_utils import stats

    trained = probes[probes["network"] == "trained"]
    if baseline == "untrained":
        return stats.paired_table(probes[probes["stage"] != "pixels"], method_col="network",
                                  value_col="test_accuracy", baseline="untrained", by=("target", "stage"))
    return stats.paired_table(trained, method_col="stage", value_col="test_accuracy", baseline="pixels",
                              by=("target",))


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: every probe, the means, the paired intervals."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", required=True, help="seeds, e.g. 1 2 3 4 5")
    args = parser.parse_args(argv)
    load_data()
    probes = run(args.seeds)
    import pandas as pd

    with pd.option_context("display.width", 200, "display.max_rows", 500):
        means = probes.pivot_table(index=["target", "stage"], columns="network", values="test_accuracy", sort=False)
        print("Mean probe test accuracy over seeds", ", ".join(map(str, args.seeds)), ":\n")
        print(means.round(3).to_markdown(), "\n")
        print("Trained − untrained, per seed, then mean and 95% t interval:\n")
        print(gains(probes).round(3).to_markdown(), "\n")
        print("Trained network: each stage − pixels, per seed, then mean and 95% t interval:\n")
        print(gains(probes, "pixels").round(3).to_markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
