"""Checkers for lesson 08 (pitfalls clinic): a snippet fixed, BN-safe unfreezing, scaling inside, leakage."""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..i18n import tr
from .core import CORRECT, Verdict, call, correct, exercise, expect, lesson_value, prediction_note

LEAK_COLUMNS = ("copies", "leaky accuracy", "grouped accuracy")
TEST_SHARE = 0.2                     # exercise 8.4 splits with the lesson's test size


def split_noise(accuracy: float, n_test: float) -> float:
    """Three standard errors of an accuracy measured on n_test originals (another split may differ by that much)."""
    return max(0.02, 3 * float(np.sqrt(accuracy * (1 - accuracy) / n_test)))


def leak_accuracies(originals: np.ndarray, labels: np.ndarray, shifts, k: int, test_share: float = TEST_SHARE,
                    seed: int = 0) -> tuple[float, float]:
    """Pitfall 8's measurement with the first ``k`` shifts: 1-NN accuracy on a random split and on a split by original.

    Args:
        originals: uint8 images (n, height, width), 0-255; labels: their n classes.
        shifts: the (rows, columns) offsets of ``np.roll``; the first ``k`` make the copies.

    Returns:
        (leaky accuracy, grouped accuracy).
    """
    from sklearn.model_selection import GroupShuffleSplit, train_test_split
    from sklearn.neighbors import KNeighborsClassifier

    n = len(originals)
    images = np.concatenate([np.roll(originals, s, axis=(1, 2)).reshape(n, -1) / 255.0 for s in shifts[:k]])
    y, groups = np.tile(labels, k), np.tile(np.arange(n), k)
    splits = (train_test_split(np.arange(len(images)), test_size=test_share, random_state=seed),
              next(GroupShuffleSplit(test_size=test_share, random_state=seed).split(images, y, groups)))
    leaky, grouped = (float(KNeighborsClassifier(n_neighbors=1).fit(images[train], y[train]).score(images[test], y[test]))
                      for train, test in splits)
    return leaky, grouped


def copy_of(model):
    """A separate copy of a Keras model with the same weights (so a learner's function cannot change the original)."""
    import keras

    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy


def _hidden_copy(model, kernel: np.ndarray):
    layers = [layer for layer in model.layers if any(np.shape(w) == kernel.shape for w in layer.get_weights())]
    expect(layers, tr("the model has no 784×128 layer: reuse the source's body up to its hidden layer"))
    expect(np.array_equal(layers[0].get_weights()[0], kernel), tr("the hidden layer's weights are not the source's"))
    return layers[0]


def _expect_new_head(model, given_head, head_kernel: np.ndarray) -> None:
    """The model's output layer must be a new head: not the source's MNIST head, nor a copy of its weights."""
    with_weights = [layer for layer in model.layers if layer.get_weights()]
    last = with_weights[-1] if with_weights else None
    kept = last is given_head or (last is not None and np.shape(last.get_weights()[0]) == head_kernel.shape
                                  and np.allclose(last.get_weights()[0], head_kernel))
    expect(not kept, tr("the output layer is the source's MNIST head (its digit weights): put a new Dense(10, "
                        "activation='softmax') head on the hidden layer's output"))


@exercise("8.1", hint="Match each line of the snippet with a pitfall of the lesson: a graph that does not connect, "
                      "a head of the wrong size, an argument name from old Keras. And a fourth trap the snippet would "
                      "fall into once fixed: which model owns the layers you freeze?",
          recipe="Work on a copy of the source (keras.models.clone_model, then set_weights with the source's weights), "
                 "so that freezing the copy's hidden layer leaves the source alone. Build the target from the copy's "
                 "input to the copy's hidden output, add a new 10-unit softmax Dense on top, freeze the copied hidden "
                 "layer, compile with SGD using learning_rate (not lr) and momentum, and return the model.")
def _fixed_snippet(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    import keras

    source, x_tgt = lesson_value(ns, "source"), lesson_value(ns, "x_tgt")
    expect(callable(answer), tr("answer_8_1 should be your function build_target(source)"))
    given = copy_of(source)
    before = [w.copy() for w in given.get_weights()]
    was_trainable = [layer.trainable for layer in given.layers]
    lesson_state = _snapshot(source)
    model = call(answer, given, name="build_target(source)")
    _expect_lesson_source_untouched(source, lesson_state, model)
    expect(isinstance(model, keras.Model), tr("build_target should return a Keras model"))
    expect(tuple(model.output_shape) == (None, 10), tr("the head should have 10 units, one per Fashion-MNIST class "
                                                       "(output shape {output_shape})",
                                                       output_shape=model.output_shape))
    probabilities = np.asarray(model(np.asarray(x_tgt[:3], dtype="float32"), training=False))
    expect(np.allclose(probabilities.sum(axis=1), 1, atol=1e-4),
           tr("the outputs should be probabilities (softmax)"))
    _expect_new_head(model, given.layers[-1], np.asarray(source.layers[-1].get_weights()[0]))
    hidden = _hidden_copy(model, np.asarray(source.get_layer("hidden").get_weights()[0]))
    expect(not hidden.trainable, tr("freeze the reused body (trainable = False)"))
    shared = [layer.name for layer in given.layers if any(layer is mine for mine in all_layers(model))
              and layer.weights]
    expect(not shared and [layer.trainable for layer in given.layers] == was_trainable
           and all(np.array_equal(a, b) for a, b in zip(before, given.get_weights())),
           tr("your target shares layers with the source it was given ({shared}): freezing them froze the source "
              "too, and training the target would change the source. Build the target on a copy "
              "(keras.models.clone_model + set_weights)",
              shared=", ".join(shared) or tr("its trainable flags changed")))
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    expect(trainable == 128 * 10 + 10, tr("{trainable} weights are trainable; only the new head should be",
                                          trainable=trainable))
    optimizer = getattr(model, "optimizer", None)
    expect(isinstance(optimizer, keras.optimizers.SGD), tr("compile the model with an SGD optimiser"))
    expect(np.isclose(float(optimizer.learning_rate), 1e-3) and np.isclose(float(optimizer.momentum), 0.9),
           tr("the optimiser should have learning_rate=0.001 and momentum=0.9"))
    return CORRECT


def _snapshot(model) -> tuple[list, list]:
    """The trainable flags (the model's own first, then every layer's, nested ones included) and a copy of the weights."""
    return ([model.trainable] + [layer.trainable for layer in all_layers(model)],
            [w.copy() for w in model.get_weights()])


def _expect_lesson_source_untouched(source, state: tuple[list, list], model) -> None:
    """Exercise 8.1's function gets a copy of the lesson's ``source``; a body that reads the notebook's global
    ``source`` instead freezes (or reuses) the lesson's own model, which the check on the copy cannot see. Put the
    lesson's source back as it was, then say what happened."""
    flags, weights = state
    layers = all_layers(source)
    changed_flags = [layer.name for layer, was in zip(layers, flags[1:]) if layer.trainable != was]
    if source.trainable != flags[0]:
        changed_flags.insert(0, source.name)
    changed_weights = not all(np.array_equal(a, b) for a, b in zip(weights, source.get_weights()))
    if changed_flags or changed_weights:
        source.trainable = flags[0]
        for layer, was in zip(layers, flags[1:]):
            layer.trainable = was
        source.set_weights(weights)
    what = (tr("it changed the trainable flag of {names}", names=", ".join(changed_flags)) if changed_flags
            else tr("it changed the weights"))
    expect(not (changed_flags or changed_weights),
           tr("build_target changed the notebook's `source` itself, not only the model it was given: {what}. The "
              "check has put the lesson's source back as it was; build everything from your function's argument, on a copy of it "
              "(keras.models.clone_model + set_weights)", what=what))
    mine = {id(layer) for layer in all_layers(model)} if hasattr(model, "layers") else set()
    shared = [layer.name for layer in layers if id(layer) in mine and layer.weights]
    expect(not shared, tr("your target reuses layers of the notebook's `source` ({names}), not of the model "
                          "build_target was given: freezing or training them changes the lesson's source. Build "
                          "everything from your function's argument, on a copy of it (keras.models.clone_model + "
                          "set_weights)", names=", ".join(shared)))


def all_layers(model) -> list:
    """Every layer inside ``model``, nested models included (depth first)."""
    found = []
    for layer in model.layers:
        found.append(layer)
        if hasattr(layer, "layers"):
            found += all_layers(layer)
    return found


def frozen_bn_test_model(build_bn_body):
    """A frozen model with batch normalization nested in a sub-model and at the top level."""
    import keras
    from keras import layers

    model = keras.Sequential([keras.Input(shape=(28, 28)), build_bn_body(), layers.Dense(32, name="extra"),
                              layers.BatchNormalization(name="top_bn"), layers.Dense(10, activation="softmax")])
    model.trainable = False
    return model


@exercise("8.2", hint="Setting trainable on a model reaches every layer inside it, and a frozen outer model hides "
                      "trainable layers from fit. Think about the order of the two switches, and about layers that are "
                      "models themselves.",
          recipe="First switch the whole model on (its trainable flag), which switches on everything nested; then walk "
                 "its layers: a batch-normalization layer gets trainable = False, a layer that has its own .layers is "
                 "a nested model, so apply the same function to it. Check model.trainable_weights afterwards: it must "
                 "hold every kernel and bias.")
def _unfreeze(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    from keras import layers

    expect(callable(answer), tr("answer_8_2 should be your function unfreeze_for_fine_tuning(model)"))
    model = frozen_bn_test_model(lesson_value(ns, "build_bn_body"))
    call(answer, model, name="unfreeze_for_fine_tuning(model)")
    for layer in all_layers(model):
        if isinstance(layer, layers.BatchNormalization):
            expect(not layer.trainable, tr("the BatchNormalization layer '{name}' is trainable: its statistics would "
                                           "drift while fine-tuning", name=layer.name))
        elif layer.weights and not hasattr(layer, "layers"):
            expect(layer.trainable, tr("the layer '{name}' is still frozen: everything but batch normalization "
                                       "should train", name=layer.name))
    should_train = {id(w) for layer in all_layers(model) if not isinstance(layer, layers.BatchNormalization)
                    and not hasattr(layer, "layers") for w in layer.weights}
    trains = {id(w) for w in model.trainable_weights}
    missing = len(should_train - trains)
    expect(not missing, tr("model.trainable_weights lacks {missing} of the {n_should_train} weights outside batch "
                           "normalization: a model (or a nested body) whose own trainable flag is False hides its "
                           "layers from fit, however their flags are set. Switch the model on first", missing=missing,
                           n_should_train=len(should_train)))
    bn = {id(w) for layer in all_layers(model) if isinstance(layer, layers.BatchNormalization) for w in layer.weights}
    expect(not (bn & trains), tr("batch normalization's scale and shift are among the trainable weights"))
    return CORRECT


@exercise("8.3", hint="A model can be a layer of another model. Which built-in Keras layer multiplies its input by a "
                      "constant? (Not a Lambda: pitfall 9.)",
          recipe="Make a keras.Sequential that starts with an Input of the raw image shape, then a Rescaling layer "
                 "with the factor that maps 0-255 to 0-1, then the unchanged source model as its last layer.")
def _scaling_inside(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    source, mnist = lesson_value(ns, "source"), lesson_value(ns, "mnist")
    expect(hasattr(answer, "predict") and hasattr(answer, "layers"),
           tr("answer_8_3 should be a Keras model"))
    raw = mnist.x_test[:200].astype("float32")
    expected = np.asarray(source(raw / 255.0, training=False))
    got = np.asarray(call(lambda: answer(raw, training=False), name="answer_8_3(images)"))
    expect(got.shape == expected.shape, tr("the model should give {shape} probabilities per image",
                                           shape=expected.shape[1]))
    expect(np.allclose(got, expected, atol=1e-5), tr("on raw 0-255 pixels your model does not give the source's "
                                                     "probabilities for scaled pixels"))
    expect(_reloads_in_safe_mode(answer, raw, got), tr("your model does not save and load back in safe mode as the same "
                                                       "model: use a built-in layer (Rescaling), not a Lambda (pitfall 9)"))
    return CORRECT


def _reloads_in_safe_mode(model, x: np.ndarray, expected: np.ndarray) -> bool:
    """Save ``model`` as .keras in a temporary folder, load it with ``safe_mode=True``, compare its outputs on ``x``.

    A compiled source nested in the answer brings its optimizer along; once the source has been saved as .h5
    (pitfall 9), loading it back warns that the optimizer's variables were skipped (Keras 3.15). The check needs only the layers, so that
    warning is silenced here rather than shown under the verdict.
    """
    import tempfile
    import warnings
    from pathlib import Path

    import keras

    with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer", category=UserWarning)
        path = Path(folder) / "answer.keras"
        try:
            model.save(path)
            again = keras.models.load_model(path, safe_mode=True, compile=False)
            return bool(np.allclose(np.asarray(again(x, training=False)), expected, atol=1e-5))
        except Exception:                    # a Lambda refused in safe mode, an unregistered layer, ...
            return False


@exercise("8.4", hint="Pitfall 8's cells already build the copies, the two splits and the classifier for all "
                      "five shifts: wrap them in a loop over k that uses only the first k shifts. Predict first. The "
                      "check measures every row between one and all copies itself.",
          recipe="For each k from 1 to len(shifts): stack the originals moved by each of the first k shifts (flattened, "
                 "scaled to 0-1), repeat the labels and the group ids (the original's index) k times; make one random "
                 "split and one split by group with the lesson's test size and seed; fit a 1-nearest-neighbour "
                 "classifier on each training side, score it on its test side, and record a row.")
def _leak_table(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    acc_leaky, acc_grouped = float(lesson_value(ns, "acc_leaky")), float(lesson_value(ns, "acc_grouped"))
    n_shifts, n_test = len(lesson_value(ns, "shifts")), TEST_SHARE * lesson_value(ns, "N_LEAK")
    expect(hasattr(answer, "columns") and hasattr(answer, "sort_values"),
           tr("answer_8_4 should be a pandas DataFrame"))
    missing = [c for c in LEAK_COLUMNS if c not in answer.columns]
    expect(not missing, tr("the table lacks the column(s) {missing}", missing=missing))
    table = answer.sort_values("copies")
    copies = [int(c) for c in table["copies"]]
    expect(copies == list(range(1, n_shifts + 1)),
           tr("measure every number of copies from 1 to {n_shifts}, one row each", n_shifts=n_shifts))
    leaky, grouped = table["leaky accuracy"].astype(float), table["grouped accuracy"].astype(float)
    expect(leaky.between(0, 1).all() and grouped.between(0, 1).all(),
           tr("accuracies lie between 0 and 1"))
    one_copy_noise = np.sqrt(2) * split_noise(grouped.iloc[0], n_test)
    expect(abs(leaky.iloc[0] - grouped.iloc[0]) <= one_copy_noise, tr("with one copy per original there is nothing "
                                                                      "to leak: the two splits should score about "
                                                                      "the same"))
    expect(abs(leaky.iloc[-1] - acc_leaky) <= split_noise(acc_leaky, n_test)
           and abs(grouped.iloc[-1] - acc_grouped) <= split_noise(acc_grouped, n_test),
           tr("with all {n_shifts} copies your accuracies should be close to the lesson's acc_leaky and acc_grouped",
              n_shifts=n_shifts))
    expect(leaky.iloc[-1] - grouped.iloc[-1] >= 0.05, tr("with all copies the leaky split should score clearly higher"))
    middle = leaky.iloc[1:-1]
    expect(middle.between(leaky.iloc[0] - split_noise(leaky.iloc[0], n_test),
                          leaky.iloc[-1] + split_noise(leaky.iloc[-1], n_test)).all(),
           tr("the leaky accuracies between one and {n_shifts} copies should lie between the two ends of your table "
              "(within split-to-split noise)", n_shifts=n_shifts))
    fashion, n_leak = lesson_value(ns, "fashion"), int(lesson_value(ns, "N_LEAK"))
    for k in range(1, n_shifts):        # every row but the last (the lesson's own numbers), measured here (~1 s each)
        ref_leaky, ref_grouped = leak_accuracies(fashion.x_train[:n_leak], fashion.y_train[:n_leak],
                                                 lesson_value(ns, "shifts"), k)
        expect(abs(leaky.iloc[k - 1] - ref_leaky) <= split_noise(ref_leaky, n_test)
               and abs(grouped.iloc[k - 1] - ref_grouped) <= split_noise(ref_grouped, n_test),
               tr("the row copies = {k} differs from the check's own measurement with the first {k} shift(s) by more "
                  "than split-to-split noise: is each row measured with its own k copies (shifts[:k], not "
                  "shifts[:k+1])?", k=k))
    measured = {int(c): float(v) for c, v in zip(copies, leaky)}
    return correct(prediction_note(ns, "8.4", measured) + tr(" (leaky accuracy by number of copies)"))
