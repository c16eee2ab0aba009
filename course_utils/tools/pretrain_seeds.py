"""Lesson 4's training recipe over several seeds: where its accuracy targets come from.

Lesson 4 trains its two source models once, with the course's seed. A threshold the lesson
checks must hold for any normal run, so it is set from several seeds with a margin; this
command measures those seeds. It trains each model exactly as the lesson does (same split,
same builders, Adam, batch 128, early stopping on the validation loss with the best epoch's
weights restored) and, with ``--schedules cosine constant``, also with a constant learning rate,
the control for the lesson's cosine schedule. Only the seed of the weights, the shuffling and the
dropout masks changes between runs; the train/validation split is the lesson's (seed 42).

It prints one Markdown row per run as it finishes, then mean ± sd, minimum and maximum per
model and schedule, then each run's calibration (also printed to stderr as each run finishes): the temperature fitted on the validation set
(lesson 4's temperature scaling) and the test set's expected calibration error and cross-entropy
before and after scaling. Nothing is written to disk.

Usage (from the course folder; set ``COURSE_DATA_MIRROR`` first if you are offline)::

    python -m course_utils.tools.pretrain_seeds --seeds 1 2 3
    python -m course_utils.tools.pretrain_seeds --seeds 1 2 3 --models cnn --schedules cosine constant

A CNN run costs about 8 epochs x 20 s of one quiet CPU core; the MLP about a quarter of that.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass

# The lesson's parameter cell (full profile); tests/test_lesson_cnn.py checks they agree with the notebook.
N_TRAIN, N_TEST, VAL_FRACTION, SPLIT_SEED = 60_000, 10_000, 0.1, 42
EPOCHS = {"mlp": 15, "cnn": 8}
BATCH_SIZE, LEARNING_RATE, FINAL_FRACTION, PATIENCE = 128, 2e-3, 0.05, 3


@dataclass
class Run:
    """One training run and what it measured."""

    model: str
    schedule: str
    seed: int
    epochs_run: int
    best_epoch: int
    val_accuracy: float
    test_accuracy: float
    lowest_f1: float
    seconds: float
    temperature: float = float("nan")   # fitted on the validation set (temperature scaling)
    ece_before: float = float("nan")    # test expected calibration error, 15 bins, before / after scaling
    ece_after: float = float("nan")
    nll_before: float = float("nan")    # test cross-entropy before / after scaling
    nll_after: float = float("nan")

    def row(self) -> str:
        return (f"| {self.model} | {self.schedule} | {self.seed} | {self.epochs_run} | {self.best_epoch} | "
                f"{self.val_accuracy:.4f} | {self.test_accuracy:.4f} | {self.lowest_f1:.4f} | {self.seconds:.0f} |")


    def calibration_row(self) -> str:
        return (f"| {self.model} | {self.schedule} | {self.seed} | {self.temperature:.3f} | {self.ece_before:.4f} | "
                f"{self.ece_after:.4f} | {self.nll_before:.4f} | {self.nll_after:.4f} |")


CALIBRATION_HEADER = ("| model | schedule | seed | temperature (fitted on validation) | test ECE before | "
                      "test ECE after | test cross-entropy before | test cross-entropy after |\n"
                      "|---|---|---|---|---|---|---|---|")

ROW_HEADER = ("| model | schedule | seed | epochs run | best epoch (val loss) | val accuracy | test accuracy | "
              "lowest per-class F1 | seconds |\n|---|---|---|---|---|---|---|---|---|")


def load_split():
    """(x_train, y_train, x_val, y_val, x_test, y_test) exactly as lesson 4 builds them (pixels in [0, 1])."""
    import numpy as np

    from course_utils.data import datasets

    mnist = datasets.load_mnist()
    x_all = mnist.x_train[:N_TRAIN].astype("float32") / 255.0
    y_all = mnist.y_train[:N_TRAIN].astype("int64")
    order = np.random.default_rng(SPLIT_SEED).permutation(len(x_all))
    n_val = int(VAL_FRACTION * len(x_all))
    val, train = order[:n_val], order[n_val:]
    x_test = mnist.x_test[:N_TEST].astype("float32") / 255.0
    return x_all[train], y_all[train], x_all[val], y_all[val], x_test, mnist.y_test[:N_TEST].astype("int64")


def learning_rate(schedule: str, steps: int):
    """The lesson's cosine decay from LEARNING_RATE to FINAL_FRACTION of it over ``steps``, or a constant rate."""
    import keras

    if schedule == "constant":
        return LEARNING_RATE
    if schedule == "cosine":
        return keras.optimizers.schedules.CosineDecay(LEARNING_RATE, decay_steps=steps, alpha=FINAL_FRACTION)
    raise ValueError(f"unknown schedule {schedule!r}: use 'cosine' or 'constant'")


def train_once(kind: str, schedule: str, seed: int, data) -> Run:
    """Build, compile, fit (early stopping, best weights restored) and evaluate one model."""
    import keras
    import numpy as np
    from sklearn.metrics import f1_score

    from course_utils import evaluation, models

    x_train, y_train, x_val, y_val, x_test, y_test = data
    shape = (-1, 28, 28, 1) if kind == "cnn" else (-1, 28, 28)
    keras.utils.set_random_seed(seed)
    model = models.build_mnist_cnn() if kind == "cnn" else models.build_mnist_mlp()
    steps = EPOCHS[kind] * int(np.ceil(len(x_train) / BATCH_SIZE))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate(schedule, steps)),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=PATIENCE, restore_best_weights=True)
    start = time.perf_counter()
    history = model.fit(x_train.reshape(shape), y_train, validation_data=(x_val.reshape(shape), y_val),
                        epochs=EPOCHS[kind], batch_size=BATCH_SIZE, callbacks=[stop], verbose=0)
    seconds = time.perf_counter() - start
    best = int(np.argmin(history.history["val_loss"]))
    test_logits = evaluation.head_logits(model, x_test.reshape(shape))
    predicted = test_logits.argmax(axis=1)
    temperature = evaluation.fit_temperature(evaluation.head_logits(model, x_val.reshape(shape)), y_val)
    return Run(kind, schedule, seed, len(history.history["val_loss"]), best + 1,
               float(history.history["val_accuracy"][best]), float(np.mean(predicted == y_test)),
               float(f1_score(y_test, predicted, average=None).min()), seconds, temperature,
               evaluation.expected_calibration_error(evaluation.softmax(test_logits), y_test),
               evaluation.expected_calibration_error(evaluation.softmax(test_logits, temperature), y_test),
               evaluation.cross_entropy(test_logits, y_test), evaluation.cross_entropy(test_logits, y_test, temperature))


def summary_table(runs: list[Run]) -> str:
    """Mean ± sd, minimum and maximum of the test accuracy per model and schedule, as Markdown."""
    lines = ["| model | schedule | seeds | test accuracy, mean ± sd | min | max | lowest per-class F1 (min) |",
             "|---|---|---|---|---|---|---|"]
    for key in dict.fromkeys((r.model, r.schedule) for r in runs):
        group = [r for r in runs if (r.model, r.schedule) == key]
        accuracy = [r.test_accuracy for r in group]
        sd = statistics.stdev(accuracy) if len(accuracy) > 1 else float("nan")
        lines.append(f"| {key[0]} | {key[1]} | {', '.join(str(r.seed) for r in group)} | "
                     f"{statistics.mean(accuracy):.4f} ± {sd:.4f} | {min(accuracy):.4f} | {max(accuracy):.4f} | "
                     f"{min(r.lowest_f1 for r in group):.4f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: train every (model, schedule, seed), print the rows and the summary."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", required=True, help="training seeds, e.g. 1 2 3")
    parser.add_argument("--models", nargs="+", default=["mlp", "cnn"], choices=["mlp", "cnn"])
    parser.add_argument("--schedules", nargs="+", default=["cosine"], choices=["cosine", "constant"])
    args = parser.parse_args(argv)
    data = load_split()
    print(ROW_HEADER, flush=True)
    runs = []
    for kind in args.models:
        for schedule in args.schedules:
            for seed in args.seeds:
                runs.append(train_once(kind, schedule, seed, data))
                print(runs[-1].row(), flush=True)
                print("calibration:", runs[-1].calibration_row(), file=sys.stderr, flush=True)
    print("\n" + summary_table(runs))
    print("\nCalibration on the test set (temperature fitted on the validation set):\n\n" + CALIBRATION_HEADER)
    print("\n".join(r.calibration_row() for r in runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
