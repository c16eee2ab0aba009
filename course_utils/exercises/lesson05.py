"""Checkers for lesson 05 (MNIST -> Fashion-MNIST transfer): a new head, L2-SP's gradient, reading the grid."""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from .core import CORRECT, Verdict, exercise, expect, lesson_value

N_TOPS = 5                     # exercise 5.1: T-shirt/top, Trouser, Pullover, Dress, Coat -> a 5-class head
BEST_COLUMNS = ("model", "n_train", "best method", "gain", "beyond noise")


def _source_hidden_kernel(source) -> np.ndarray:
    return np.asarray(source.get_layer("hidden").get_weights()[0])


@exercise("5.1", hint="Build the MLP's layers by hand with the same names (flatten, hidden, dropout) and a "
                      "Dense(5, activation='softmax') head; copy the body with transfer.copy_body(source, target) or a "
                      "loop over layer names; then set the hidden layer's trainable to False.")
def _five_class_target(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    source = lesson_value(ns, "source")
    expect(hasattr(answer, "layers") and hasattr(answer, "output_shape"), "answer_5_1 should be a Keras model")
    expect(tuple(answer.output_shape) == (None, N_TOPS), f"the new head should have {N_TOPS} outputs, one per class "
                                                         f"of the new task (output shape {answer.output_shape})")
    kernel = _source_hidden_kernel(source)
    copies = [layer for layer in answer.layers if any(np.shape(w) == kernel.shape for w in layer.get_weights())]
    expect(copies, "the model has no 784×128 hidden layer: keep the source's body")
    hidden = copies[0]
    expect(hidden is not source.get_layer("hidden"), "the target reuses the source's own layer object: training "
                                                     "it would change the source model too. Copy the weights into a "
                                                     "new layer")
    expect(np.array_equal(hidden.get_weights()[0], kernel), "the hidden layer's weights are not the source's: copy "
                                                             "them (get_weights / set_weights)")
    expect(not hidden.trainable, "the copied body should be frozen (trainable = False)")
    trainable = sum(int(np.prod(w.shape)) for w in answer.trainable_weights)
    expect(trainable == 128 * N_TOPS + N_TOPS, f"{trainable} parameters are trainable; with the body frozen only the "
                                               "new head should be")
    return CORRECT


@exercise("5.2", hint="Differentiate λ·Σ(w - a)² with respect to w, entry by entry: the square's derivative brings "
                      "down a factor 2. The result has the shape of w.")
def _l2sp_gradient(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    import tensorflow as tf

    l2sp_class = lesson_value(ns, "L2SP")
    expect(callable(answer), "answer_5_2 should be your function l2sp_grad(w, anchor, lam)")
    rng = np.random.default_rng(5)
    for shape, lam in [((6, 4), 0.01), ((4,), 0.3)]:
        w, anchor = rng.normal(size=shape).astype("float32"), rng.normal(size=shape).astype("float32")
        variable = tf.Variable(w)
        with tf.GradientTape() as tape:
            penalty = l2sp_class(anchor, lam)(variable)
        expected = tape.gradient(penalty, variable).numpy()
        got = np.asarray(answer(w.copy(), anchor.copy(), lam), dtype=float)
        expect(got.shape == shape, f"the gradient should have the shape of w, {shape}, not {got.shape}")
        expect(np.allclose(got, expected, rtol=1e-4, atol=1e-6), "your gradient differs from TensorFlow's automatic "
                                                                 "gradient of the L2SP penalty")
    return CORRECT


def best_transfer_rows(gain) -> list[dict]:
    """Per (model, N) of the lesson's ``gain`` table: the best transfer method, its gain, and whether it beats the noise."""
    methods = [c for c in gain.columns if c != "scratch sd"]
    rows = []
    for (model, n), row in gain.iterrows():
        best = row[methods].astype(float).idxmax()
        rows.append({"model": model, "n_train": int(n), "best method": best, "gain": float(row[best]),
                     "beyond noise": bool(row[best] > row["scratch sd"])})
    return rows


@exercise("5.3", hint="gain has one row per (model, n_train); for each row, idxmax over the three method columns "
                      "gives the best method, row[best] its gain, and row[best] > row['scratch sd'] says whether it "
                      "beats the seed-to-seed noise. gain.iterrows() walks the rows.")
def _best_method_table(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    expected = {(r["model"], r["n_train"]): r for r in best_transfer_rows(lesson_value(ns, "gain"))}
    expect(hasattr(answer, "columns") and hasattr(answer, "iterrows"), "answer_5_3 should be a pandas DataFrame")
    table = answer.reset_index() if not set(BEST_COLUMNS) <= set(answer.columns) else answer
    missing = [c for c in BEST_COLUMNS if c not in table.columns]
    expect(not missing, f"the table lacks the column(s) {missing}")
    keys = [(str(r["model"]), int(r["n_train"])) for _, r in table.iterrows()]
    expect(sorted(keys) == sorted(expected), "the table should have one row per model and training-set size of the "
                                             "grid, as in `gain`")
    for key, (_, row) in zip(keys, table.iterrows()):
        want = expected[key]
        expect(row["best method"] == want["best method"], f"{key[0]} at N = {key[1]}: another method has the "
                                                          "largest gain over scratch")
        expect(np.isclose(float(row["gain"]), want["gain"], atol=1e-6), f"{key[0]} at N = {key[1]}: the gain should "
                                                                        "be the best method's mean minus scratch's")
        expect(bool(row["beyond noise"]) == want["beyond noise"], f"{key[0]} at N = {key[1]}: compare the gain with "
                                                                  "scratch's standard deviation over seeds")
    return CORRECT
