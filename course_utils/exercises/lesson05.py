"""Checkers for lesson 05 (MNIST -> Fashion-MNIST transfer): a new head, L2-SP's gradient, reading the grid."""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..i18n import tr
from .core import CORRECT, Verdict, call, correct, exercise, expect, lesson_value, prediction_note

N_TOPS = 5                     # exercise 5.1: T-shirt/top, Trouser, Pullover, Dress, Coat -> a 5-class head
BEST_COLUMNS = ("model", "n_train", "best method", "gain", "beyond noise")


def _source_hidden_kernel(source) -> np.ndarray:
    return np.asarray(source.get_layer("hidden").get_weights()[0])


def _leaf_layers(model) -> list:
    """Every layer of ``model``, nested models opened (depth first): a body built as its own model counts too."""
    found = []
    for layer in getattr(model, "layers", []):
        found += _leaf_layers(layer) if hasattr(layer, "layers") else [layer]
    return found


@exercise("5.1", hint="summary() shows layer names, shapes and counts but not activations: ask a layer for its "
                      "configuration (get_config()). Then ask why a whole-model set_weights cannot fit the new head.",
          recipe="Read each source layer's get_config() (the hidden layer's 'activation' included); build a new "
                 "Sequential with the same input, the same body layers under the same names, and a new Dense(5, "
                 "softmax) head; copy the weights layer by layer, by name, with get_weights/set_weights (never put the "
                 "source's layer objects in the new model); set the copied hidden layer's trainable to False.")
def _five_class_target(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    source = lesson_value(ns, "source")
    expect(hasattr(answer, "layers"), tr("answer_5_1 should be a Keras model"))
    expect(hasattr(answer, "output_shape"), tr("answer_5_1 is a Keras model that has not been built, so it has no "
                                               "input shape yet: start it with keras.Input(shape=(28, 28)), like the "
                                               "source"))
    expect(tuple(answer.output_shape) == (None, N_TOPS), tr("the new head should have {n_tops} outputs, one per "
                                                            "class of the new task (output shape {output_shape})",
                                                            n_tops=N_TOPS, output_shape=answer.output_shape))
    kernel = _source_hidden_kernel(source)
    copies = [layer for layer in _leaf_layers(answer) if any(np.shape(w) == kernel.shape for w in layer.get_weights())]
    expect(copies, tr("the model has no 784×128 hidden layer: keep the source's body"))
    hidden = copies[0]
    expect(hidden is not source.get_layer("hidden"), tr("the target reuses the source's own layer object: training "
                                                        "it would change the source model too. Copy the weights into "
                                                        "a new layer"))
    expect(np.array_equal(hidden.get_weights()[0], kernel), tr("the hidden layer's weights are not the source's: "
                                                               "copy them (get_weights / set_weights)"))
    source_bias = np.asarray(source.get_layer("hidden").get_weights()[1])
    expect(len(hidden.get_weights()) > 1 and np.array_equal(hidden.get_weights()[1], source_bias),
           tr("the hidden layer's kernel is the source's but its bias is not: copy both (get_weights() returns "
              "[kernel, bias]; set_weights takes the same list)"))
    source_activation = getattr(source.get_layer("hidden"), "activation", None)
    activation = getattr(getattr(hidden, "activation", None), "__name__", None)
    expect(activation is not None, tr("the layer that holds the copied 784×128 weights is a {kind}, which has no "
                                      "activation: use a Dense layer with the source's activation",
                                      kind=type(hidden).__name__))
    expect(activation == getattr(source_activation, "__name__", ""),
           tr("the hidden layer's activation is {getattr}, not the source's: the copied weights were learned through "
              "the source's activation (source.get_layer('hidden').get_config()['activation'] shows it)",
              getattr=activation))
    hidden_weights = {id(w) for w in hidden.weights}   # frozen = none of them is among the weights training updates
    expect(not any(id(w) in hidden_weights for w in answer.trainable_weights),
           tr("the copied body should be frozen (trainable = False)"))
    images = lambda: np.random.default_rng(0).random((8, *tuple(answer.input_shape)[1:])).astype("float32")  # noqa: E731
    outputs = np.asarray(call(lambda: answer(images(), training=False), name="answer_5_1"), dtype=float)
    expect(outputs.shape == (8, N_TOPS) and (outputs >= 0).all() and np.allclose(outputs.sum(axis=1), 1, atol=1e-4),
           tr("the new head's outputs are not probabilities (each image's {n_tops} outputs should be ≥ 0 and sum to "
              "1): give the Dense({n_tops}) head activation='softmax', like the source's head; the course's loss, "
              "sparse_categorical_crossentropy, expects probabilities", n_tops=N_TOPS))
    trainable = sum(int(np.prod(w.shape)) for w in answer.trainable_weights)
    expect(trainable == 128 * N_TOPS + N_TOPS, tr("{trainable} parameters are trainable; with the body frozen only "
                                                  "the new head should be", trainable=trainable))
    return CORRECT


@exercise("5.2", hint="The penalty is a sum over the entries of w. Which terms of the sum does one entry w_i appear "
                      "in?",
          recipe="Write the penalty as λ·Σᵢ (wᵢ - aᵢ)². Only the i-th term depends on wᵢ; differentiate that term by the "
                 "chain rule (the derivative of u² is 2u). Do it for every entry at once with NumPy arrays: the result "
                 "has the shape of w.")
def _l2sp_gradient(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    import tensorflow as tf

    l2sp_class = lesson_value(ns, "L2SP")
    expect(callable(answer), tr("answer_5_2 should be your function l2sp_grad(w, anchor, lam)"))
    rng = np.random.default_rng(5)
    for shape, lam in [((6, 4), 0.01), ((4,), 0.3)]:
        w, anchor = rng.normal(size=shape).astype("float32"), rng.normal(size=shape).astype("float32")
        variable = tf.Variable(w)
        with tf.GradientTape() as tape:
            penalty = l2sp_class(anchor, lam)(variable)
        expected = tape.gradient(penalty, variable).numpy()
        value = call(answer, w.copy(), anchor.copy(), lam, name="l2sp_grad")
        try:
            got = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            got = np.zeros(0)
        expect(got.shape == shape, tr("the gradient should have the shape of w, {shape}, not {shape2}", shape=shape,
                                      shape2=got.shape))
        for factor, reason in [(0.5, tr("your gradient is exactly half TensorFlow's: the derivative of (w - a)² is "
                                        "2(w - a), a factor 2 is missing")),
                               (-1.0, tr("your gradient has the wrong sign: the gradient must point from the anchor "
                                         "towards w, the direction in which the penalty grows; yours points towards the "
                                         "anchor (differentiate with respect to w)"))]:
            expect(not np.allclose(got, factor * expected, rtol=1e-4, atol=1e-6), reason)
        expect(not np.allclose(got, expected / lam, rtol=1e-4, atol=1e-6),
               tr("your gradient lacks the factor λ (lam): the penalty is λ times the squared distance"))
        expect(np.allclose(got, expected, rtol=1e-4, atol=1e-6), tr("your gradient differs from TensorFlow's "
                                                                    "automatic gradient of the L2SP penalty"))
    return CORRECT


def best_transfer_rows(paired) -> list[dict]:
    """Per (model, N) of the lesson's ``paired`` table: the transfer method with the largest paired gain over
    scratch, its gain, whether its 95 % confidence interval lies wholly above 0, and every method tied with it."""
    rows = []
    for (model, n), cell in paired.groupby(["model", "n_train"]):
        gains = cell.set_index("method")["gain"].astype(float)
        best = gains.idxmax()
        low = float(cell.set_index("method").loc[best, "low"])
        rows.append({"model": model, "n_train": int(n), "best method": best, "gain": float(gains[best]),
                     "beyond noise": bool(low > 0),   # NaN (one seed, no interval) is not beyond the noise
                     "tied": set(gains.index[np.isclose(gains, gains[best], rtol=0, atol=1e-9)])})
    return rows


@exercise("5.3", hint="paired has one row per model, N and method: you want one row per model and N. pandas can "
                      "group rows and find, in each group, the row where a column is largest.",
          recipe="Group paired by model and n_train, take in each group the label of the row with the largest gain "
                 "(idxmax on the gain column), pick those rows with .loc, and build the table from their model, "
                 "n_train, method and gain; beyond noise is whether that row's lower interval end is above 0. Write "
                 "prediction_5_3 (how many rows will be beyond the noise) before you build it.")
def _best_method_table(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    expected = {(r["model"], r["n_train"]): r for r in best_transfer_rows(lesson_value(ns, "paired"))}
    expect(hasattr(answer, "columns") and hasattr(answer, "iterrows"),
           tr("answer_5_3 should be a pandas DataFrame"))
    table = answer.reset_index() if not set(BEST_COLUMNS) <= set(answer.columns) else answer
    missing = [c for c in BEST_COLUMNS if c not in table.columns]
    expect(not missing, tr("the table lacks the column(s) {missing}", missing=missing))
    keys = [(str(r["model"]), int(r["n_train"])) for _, r in table.iterrows()]
    expect(sorted(keys) == sorted(expected), tr("the table should have one row per model and training-set size of "
                                                "the grid, as in `paired`"))
    for key, (_, row) in zip(keys, table.iterrows()):
        want = expected[key]
        expect(row["best method"] in want["tied"], tr("{key} at N = {key2}: another method has the largest paired "
                                                      "gain over scratch", key=key[0], key2=key[1]))
        gain = float(row["gain"])
        expect(not (np.isclose(gain, 100 * want["gain"], atol=0.051) and abs(want["gain"]) > 1e-3),
               tr("{key} at N = {key2}: give the gain as a fraction, as in `paired`, not in percentage points",
                  key=key[0], key2=key[1]))
        expect(np.isclose(gain, want["gain"], atol=1e-6), tr("{key} at N = {key2}: the gain should be the best "
                                                             "method's paired gain, the `gain` column of `paired`",
                                                             key=key[0], key2=key[1]))
        expect(isinstance(row["beyond noise"], (bool, np.bool_)),
               tr("{key} at N = {key2}: beyond noise should be True or False (a boolean), not {value}",
                  key=key[0], key2=key[1], value=repr(row["beyond noise"])))
        expect(bool(row["beyond noise"]) == want["beyond noise"], tr("{key} at N = {key2}: beyond the noise means "
                                                                     "the whole 95 % confidence interval is above 0 "
                                                                     "(the `low` column of `paired` above 0)",
                                                                     key=key[0], key2=key[1]))
    beyond = sum(bool(r["beyond noise"]) for r in expected.values())
    return correct(prediction_note(ns, "5.3", beyond) + tr(" (rows beyond the noise, of {n_expected})",
                                                           n_expected=len(expected)))
