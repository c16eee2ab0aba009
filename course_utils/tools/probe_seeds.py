"""Lesson 3's linear probes over more seeds: what the lesson's verdicts rest on.

Lesson 3 trains its small CNN briefly on the MNIST digits 0-4 (the source task), freezes it and an
untrained copy (the control), and fits a linear probe (logistic regression, its regularisation C
chosen on validation images) on the features after each stage (pixels, ``conv1``, ``conv2``,
``pool2``, ``head``) for a near target (the digits 5-9) and a far one (Fashion-MNIST), with 20
labelled images per class. The lesson runs 3 seeds; this command runs the same recipe for the
seeds given and prints every probe, the mean test accuracy per stage, the paired differences
trained − untrained and trained − pixels (mean and 95% t interval over seeds,
``course_utils.stats.paired_table``), the near − far difference of the trained − untrained gains, how many
probes chose a C at an end of the grid, and each source network's own test accuracy on the digits 0-4.

The functions :func:`scaled`, :func:`probe_targets`, :func:`train_source` and :func:`probe_network`
are the lesson's cells, word for word (``tests/test_probes.py`` checks it), and the constants are the
lesson's full-profile settings. Nothing is written to disk unless ``--csv`` is given.

Usage (from the course folder; set ``COURSE_DATA_MIRROR`` first if you are offline)::

    python -m course_utils.tools.probe_seeds --seeds 1 2 3 4 5

One seed costs one brief CNN training (2 epochs on about 15,000 digits) and 20 probes. ``--csv FILE``
also writes every probe row to ``FILE``; ``--from-csv FILE`` prints the summaries of rows written before,
without training anything. ``--cs C [C ...]`` replaces the lesson's grid of C values
(``convolution.PROBE_CS``) by another one, a control for probes whose C is an end of the grid.

``--pixel-strip`` trains nothing: for each seed it draws the same labelled and test images as the lesson and
probes the pixels twice, all 28×28 of them and only rows and columns 0-25 (the pixels that reach ``pool2``
and the head; rows and columns 26-27 never do), then prints the paired difference. It measures what the strip
alone is worth to a pixel probe, the part of "``pool2`` − pixels" that ``pool2`` cannot see::

    python -m course_utils.tools.probe_seeds --seeds 1 2 3 4 5 --pixel-strip
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
        source_accuracy = source_test_accuracy(source)
        targets = probe_targets(seed)
        seed_rows = []
        for network, model in (("trained", source), ("untrained", untrained_source)):
            seed_rows += [{"seed": seed, "network": network, "source_accuracy": source_accuracy, **row}
                          for row in probe_network(model, targets)]
        rows += seed_rows
        print(f"seed {seed} ({time.perf_counter() - start:.0f} s):\n\n"
              f"{pd.DataFrame(seed_rows).round(4).to_markdown(index=False)}\n", flush=True)
    return pd.DataFrame(rows)


STRIPPED = "pixels, rows/cols 0-25"


def pixel_strip_rows(seeds) -> "pd.DataFrame":
    """Pixel probes per seed and target: all 28×28 pixels, and only rows and columns 0-25 (what pool2 can see)."""
    import pandas as pd

    rows = []
    for seed in seeds:
        for target, parts in probe_targets(seed).items():
            for stage, view in (("pixels", np.s_[:, :, :]), (STRIPPED, np.s_[:, :26, :26])):
                train, val, test = ((images[view].reshape(len(images), -1), labels)
                                    for images, labels in (parts[p] for p in ("train", "val", "test")))
                rows.append({"seed": seed, "target": target, "stage": stage,
                             **convolution.fit_probe(train, val, test)})
    return pd.DataFrame(rows)


def summarize_pixel_strip(rows) -> None:
    """Print the pixel probes with and without rows and columns 26-27, and their paired difference."""
    from course_utils import stats

    print(rows.pivot_table(index=["seed", "target"], columns="stage", values="test_accuracy").round(4).to_markdown(),
          "\n")
    print(f"Probes whose C is an end of the grid: {int(rows['at_edge'].sum())} of {len(rows)}\n")
    print("All pixels − pixels without rows and columns 26-27, per target: mean and 95% t interval over seeds:\n")
    print(stats.paired_table(rows, method_col="stage", value_col="test_accuracy", baseline=STRIPPED,
                             by=("target",)).round(4).to_markdown())


def source_test_accuracy(model) -> float:
    """The trained source network's accuracy on the MNIST test digits 0-4 (its own task)."""
    digits_0_4 = mnist.y_test < 5
    predictions = model.predict(scaled(mnist.x_test[digits_0_4]), batch_size=500, verbose=0).argmax(axis=1)
    return float(np.mean(predictions == mnist.y_test[digits_0_4]))


def near_minus_far(probes):
    """Per stage: the trained − untrained gain on the near target minus that on the far one, paired by seed."""
    import pandas as pd

    from course_utils import stats

    wide = probes[probes["stage"] != "pixels"].pivot_table(index=["seed", "target", "stage"], columns="network",
                                                           values="test_accuracy").reset_index()
    wide["gain"] = wide["trained"] - wide["untrained"]
    far = next(t for t in wide["target"].unique() if t.startswith("far"))
    return stats.paired_table(pd.DataFrame(wide), method_col="target", value_col="gain", baseline=far, by=("stage",))


def summarize(probes, seeds) -> None:
    """Print the summaries of a table of probe rows (one row per seed, network, target, stage)."""
    import pandas as pd

    with pd.option_context("display.width", 200, "display.max_rows", 500):
        if "source_accuracy" in probes:
            print("Source network's test accuracy on the digits 0-4, per seed:",
                  probes.groupby("seed")["source_accuracy"].first().round(4).to_dict(), "\n")
        means = probes.pivot_table(index=["target", "stage"], columns="network", values="test_accuracy", sort=False)
        print("Mean probe test accuracy over seeds", ", ".join(map(str, seeds)), ":\n")
        print(means.round(3).to_markdown(), "\n")
        edges = probes.pivot_table(index="stage", columns="network", values="at_edge", aggfunc="sum", sort=False)
        print(f"Probes whose C is an end of the grid: {int(probes['at_edge'].sum())} of {len(probes)} "
              f"(lowest C {int((probes['C'] == min(convolution.PROBE_CS)).sum())}, "
              f"highest {int((probes['C'] == max(convolution.PROBE_CS)).sum())}); per stage and network:\n")
        print(edges.astype(int).to_markdown(), "\n")
        print("Trained − untrained, per seed, then mean and 95% t interval:\n")
        print(gains(probes).round(3).to_markdown(), "\n")
        per_seed = probes[probes["stage"] != "pixels"].pivot_table(index=["seed", "target"], columns=["stage", "network"],
                                                                   values="test_accuracy")
        diff = pd.DataFrame({s: per_seed[(s, "trained")] - per_seed[(s, "untrained")]
                             for s in convolution.PROBE_STAGES if s != "pixels"})
        print(diff.round(3).to_markdown(), "\n")
        print("Trained network: each stage − pixels, per seed, then mean and 95% t interval:\n")
        print(gains(probes, "pixels").round(3).to_markdown(), "\n")
        print("Near − far: the trained − untrained gain on the near target minus that on the far one, per stage:\n")
        print(near_minus_far(probes).round(3).to_markdown())


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
    parser.add_argument("--seeds", type=int, nargs="+", help="seeds, e.g. 1 2 3 4 5")
    parser.add_argument("--csv", help="also write every probe row to this CSV file")
    parser.add_argument("--from-csv", help="print the summaries of probe rows written by --csv; train nothing")
    parser.add_argument("--cs", type=float, nargs="+",
                        help="a grid of C values instead of the lesson's convolution.PROBE_CS (a control)")
    parser.add_argument("--pixel-strip", action="store_true",
                        help="train nothing: probe the pixels with and without rows and columns 26-27 (a control)")
    args = parser.parse_args(argv)
    if args.pixel_strip:
        if not args.seeds:
            parser.error("--pixel-strip needs --seeds")
        load_data()
        summarize_pixel_strip(pixel_strip_rows(args.seeds))
        return 0
    if args.cs:   # probe_network, the lesson's cell, calls convolution.fit_probe with its default grid
        import functools

        convolution.fit_probe = functools.partial(convolution.fit_probe, cs=tuple(args.cs))
        convolution.PROBE_CS = tuple(sorted(args.cs))
    import pandas as pd

    if args.from_csv:
        probes = pd.read_csv(args.from_csv)
    elif args.seeds:
        load_data()
        probes = run(args.seeds)
        if args.csv:
            probes.to_csv(args.csv, index=False)
    else:
        parser.error("give --seeds (to run) or --from-csv (to summarise earlier rows)")
    summarize(probes, sorted(probes["seed"].unique()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
