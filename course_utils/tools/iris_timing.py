"""Time two choices lesson 2 makes for speed, so its prose can quote measurements.

1. **Input pipeline.** ``fit`` on NumPy arrays against ``fit`` on a ``tf.data`` pipeline built once,
   for the lesson's 4-16-3 network, 96 training rows, batch 16 and 80 epochs.
2. **One model per fold.** In cross-validation, building, compiling and training a new model for every
   fold (its first ``fit`` also traces the training step into a TensorFlow graph) against reusing one
   model and resetting its weights and Adam's state (the lesson's ``reset``), for the lesson's 480 steps per
   fold (80 epochs of 6 batches of 16: a cross-validation fold trains on 96 rows, like the inspected network).

Each variant runs ``--repeats`` times, alternating, each in a fresh model; the table gives the median
wall-clock seconds and the median CPU seconds of this process (all threads), which a busy machine
inflates less than the wall clock. Nothing is written to disk.

Usage (from the course folder)::

    python -m course_utils.tools.iris_timing --repeats 5
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Callable

EPOCHS, BATCH_SIZE, HIDDEN_UNITS, N_TRAIN = 80, 16, 16, 96
CV_STEPS = EPOCHS * -(-N_TRAIN // BATCH_SIZE)   # 480: 80 passes over 96 rows in batches of 16


def measure(action: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, process CPU seconds) that ``action()`` took."""
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def build(n_features: int = 4):
    """The lesson's network, compiled as in the lesson (Adam, learning rate 0.01)."""
    import keras

    model = keras.Sequential([keras.Input(shape=(n_features,)), keras.layers.Dense(HIDDEN_UNITS, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def reset(model) -> None:
    """Fresh random weights and a cleared optimiser, exactly as lesson 2's ``reset``."""
    import keras
    import tensorflow as tf

    model.set_weights(keras.models.clone_model(model).get_weights())
    for var in model.optimizer.variables:
        if "learning_rate" not in var.path:
            var.assign(tf.zeros_like(var))


def iris_arrays():
    """Standardised training rows of a stratified 96-row split, as float32 arrays."""
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    from course_utils.data.datasets import load_iris

    iris = load_iris()
    X, _, y, _ = train_test_split(iris.X, iris.y, train_size=N_TRAIN, stratify=iris.y, random_state=0)
    return StandardScaler().fit_transform(X).astype("float32"), y


def pipeline(X, y, repeat: bool = False):
    """The lesson's ``make_ds(..., shuffle=True)``: shuffled each epoch, batched; repeated for step-counted fits."""
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((X, y)).shuffle(len(X), seed=0).batch(BATCH_SIZE)
    return ds.repeat() if repeat else ds


def time_inputs(X, y) -> dict[str, tuple[float, float]]:
    """One ``fit`` of EPOCHS epochs from NumPy arrays and from a tf.data pipeline, each in a new model."""
    arrays_model, ds_model, ds = build(), build(), pipeline(X, y)
    return {"fit on NumPy arrays (80 epochs)":
            measure(lambda: arrays_model.fit(X, y, batch_size=BATCH_SIZE, epochs=EPOCHS, verbose=0)),
            "fit on a tf.data pipeline (80 epochs)": measure(lambda: ds_model.fit(ds, epochs=EPOCHS, shuffle=False, verbose=0))}


def time_folds(X, y, folds: int = 3) -> dict[str, tuple[float, float]]:
    """Seconds per fold: a new model each fold, against one model reset each fold (after its first fold)."""
    def new_model_fold():
        build().fit(pipeline(X, y, repeat=True), epochs=1, steps_per_epoch=CV_STEPS, shuffle=False, verbose=0)

    reused = build()
    reused.fit(pipeline(X, y, repeat=True), epochs=1, steps_per_epoch=CV_STEPS, shuffle=False, verbose=0)   # its first fold

    def reused_fold():
        reset(reused)
        reused.fit(pipeline(X, y, repeat=True), epochs=1, steps_per_epoch=CV_STEPS, shuffle=False, verbose=0)

    new = [measure(new_model_fold) for _ in range(folds)]
    again = [measure(reused_fold) for _ in range(folds)]
    return {f"CV fold, new model (build, compile, first fit: {CV_STEPS} steps)": _median(new),
            f"CV fold, reused model (reset, fit: {CV_STEPS} steps)": _median(again)}


def _median(pairs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


def main(argv: list[str] | None = None) -> int:
    """Run every timing ``--repeats`` times and print a Markdown table of medians."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs of each measurement (default: 5)")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    keras.utils.set_random_seed(0)
    X, y = iris_arrays()
    runs: dict[str, list[tuple[float, float]]] = {}
    load = os.getloadavg()[0]
    for _ in range(args.repeats):
        for name, value in {**time_inputs(X, y), **time_folds(X, y)}.items():
            runs.setdefault(name, []).append(value)
    print(f"{args.repeats} repeats; {os.cpu_count()} cores; load average {load:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after; Keras {keras.__version__}\n")
    print("| what | median wall (s) | median CPU (s) |\n|---|---|---|")
    for name, values in runs.items():
        wall, cpu = _median(values)
        print(f"| {name} | {wall:.2f} | {cpu:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
