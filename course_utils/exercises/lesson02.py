"""Checkers for lesson 02 (Iris, a first Keras model): preprocessing, baselines, a new head."""
from __future__ import annotations

from itertools import combinations
from typing import Any, Mapping

import numpy as np

from ..i18n import tr
from .core import CORRECT, NotQuite, Verdict, call, correct, exercise, expect, lesson_value, prediction_note

NEW_FLOWERS = np.array([[5.0, 3.3, 1.5, 0.2], [6.1, 2.8, 4.4, 1.3], [6.4, 3.0, 5.4, 2.1]])   # cm, as in the task
PAIR_COLUMNS = ("feature 1", "feature 2", "mean accuracy", "sd")
MIN_PAIR_ACCURACY = 0.75       # exercise 2.3: versicolor vs virginica on the validation flowers; a constant guess: 0.5
CONTROL_MARGIN = 0.125         # exercise 2.3: the untrained control "does about as well" within 2 of 16 flowers
PETAL_LENGTH = 2               # column of the petal length: setosa's alone lie below every other species'


LOG_TOLERANCE = 0.01           # exercise 2.1: largest |log p - log p_expected| (float32 noise: ~1e-6; wrong scalers: > 0.05)
SMALLEST_PROBABILITY = 1e-12   # exercise 2.1: probabilities below it compare as equal (their logs are noise)


def _model_probabilities(model, inputs: np.ndarray) -> np.ndarray:
    return np.asarray(model(np.asarray(inputs, dtype="float32")))


def log_gap(a: np.ndarray, b: np.ndarray) -> float:
    """Largest difference between the log-probabilities of ``a`` and ``b``: a saturated softmax (0.9998 against
    0.9997) hides differences in the small probabilities that the logs show."""
    clip = lambda p: np.log(np.clip(np.asarray(p, dtype=float), SMALLEST_PROBABILITY, None))  # noqa: E731
    return float(np.abs(clip(a) - clip(b)).max())


@exercise("2.1", hint="The model never saw centimetres: look at what the training cells did to X_train before "
                      "fitting. And three flowers are too few to estimate anything from.",
          recipe="Prepare the new measurements exactly as the training rows were prepared: with the scaler already "
                 "fitted on the training rows (its transform method; do not fit a new one on these three flowers). "
                 "Call the model on the result as float32 and turn its output into a NumPy array: one row of three "
                 "probabilities per flower.")
def _new_flowers(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    from sklearn.preprocessing import StandardScaler

    model, scaler, X_train = lesson_value(ns, "model"), lesson_value(ns, "scaler"), lesson_value(ns, "X_train")
    try:
        probabilities = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        probabilities = np.zeros(0)
    expect(probabilities.shape == (3, 3), tr("answer_2_1 should hold 3 rows (flowers) of 3 probabilities (species), "
                                             "not the shape {shape}", shape=probabilities.shape))
    expect(np.allclose(probabilities.sum(axis=1), 1, atol=1e-3), tr("each row should be a probability distribution "
                                                                    "(it sums to 1): use the model's softmax output"))
    # The training rows' scaler, refitted here: the lesson's `scaler` may have been refitted since (fit_transform)
    trained_on = StandardScaler().fit(X_train)
    expected = _model_probabilities(model, trained_on.transform(NEW_FLOWERS))
    mistakes = [
        (NEW_FLOWERS, tr("these are the model's probabilities for the raw centimetres: the model was trained on "
                         "standardised inputs, so it reads 5.0 cm as five standard deviations")),
        (StandardScaler().fit_transform(NEW_FLOWERS),
         tr("you standardised the three flowers with their own mean and sd (a scaler fitted on them): that moves "
            "every flower relative to the other two. Use the scaler fitted on the training rows")),
    ]
    iris = ns.get("iris")
    if iris is not None and hasattr(iris, "X"):
        mistakes.append((StandardScaler().fit(iris.X).transform(NEW_FLOWERS),
                         tr("you fitted a scaler on all 150 flowers, test flowers included: use the one fitted on "
                            "the training rows, `scaler`")))
    if ns.get("X_rest") is not None:
        mistakes.append((StandardScaler().fit(ns["X_rest"]).transform(NEW_FLOWERS),
                         tr("you fitted a scaler on the 120 development flowers, validation flowers included: use the "
                            "one fitted on the training rows, `scaler`")))
    gap = log_gap(probabilities, expected)
    refitted = not (np.allclose(getattr(scaler, "mean_", np.nan), trained_on.mean_)
                    and np.allclose(getattr(scaler, "scale_", np.nan), trained_on.scale_))
    if refitted and gap > LOG_TOLERANCE:
        on_flowers = np.allclose(getattr(scaler, "mean_", np.nan), NEW_FLOWERS.mean(axis=0))
        expect(False, (tr("you refitted the lesson's `scaler` on the three flowers (fit_transform fits it again): "
                          "they were standardised with their own mean and sd") if on_flowers else
                       tr("the lesson's `scaler` no longer holds the training rows' mean and sd: a fit or "
                          "fit_transform refitted it")) + ". " +
               tr("Run the cell that fits it on X_train again, then use scaler.transform"))
    for inputs, reason in mistakes:   # a named mistake when the answer is nearer to it than to the right probabilities
        expect(log_gap(probabilities, _model_probabilities(model, inputs)) >= min(gap, LOG_TOLERANCE), reason)
    if gap <= LOG_TOLERANCE:
        return CORRECT
    expect(False, tr("these are not the model's probabilities for the three flowers as it was trained to see them "
                     "(check how the inputs are prepared, and the order of the flowers)"))
    return CORRECT


def _pair_index(names: list[str], row) -> tuple[int, int]:
    first, second = str(row["feature 1"]), str(row["feature 2"])
    expect(first in names and second in names, tr("feature names should come from feature_names, e.g. {names!r}",
                                                  names=names[0]))
    return tuple(sorted((names.index(first), names.index(second))))


@exercise("2.2", hint="Six pairs is few enough to list by hand, but itertools can list them for you; cv_logistic "
                      "takes a list of feature indices.",
          recipe="Loop over every pair of feature indices (itertools.combinations of the four indices, two at a "
                 "time); for each, get the fold scores from cv_logistic and record a row with the two names from "
                 "feature_names, the mean of the scores and their standard deviation. Make a DataFrame of the rows and "
                 "sort it by the mean accuracy, best first. Write prediction_2_2 before you run the loop.")
def _feature_pairs(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    names, cv_logistic = list(lesson_value(ns, "feature_names")), lesson_value(ns, "cv_logistic")
    expect(hasattr(answer, "columns") and hasattr(answer, "iterrows"),
           tr("answer_2_2 should be a pandas DataFrame"))
    missing = [c for c in PAIR_COLUMNS if c not in answer.columns]
    expect(not missing, tr("the table lacks the column(s) {missing}", missing=missing))
    pairs = [_pair_index(names, row) for _, row in answer.iterrows()]
    expect(sorted(pairs) == sorted(combinations(range(len(names)), 2)),
           tr("the table should have one row for each of the six pairs of features"))
    means = answer["mean accuracy"].astype(float).to_numpy()
    expect(np.all(np.diff(means) <= 1e-12), tr("sort the rows from the best pair to the worst"))
    fold_scores = []
    for pair, (_, row) in zip(pairs, answer.iterrows()):
        scores = cv_logistic(list(pair))
        fold_scores.append(np.asarray(scores, dtype=float))
        expect(np.isclose(float(row["mean accuracy"]), scores.mean(), atol=1e-6),
               tr("the mean accuracy of {names} + {names2} should come from cv_logistic on the same folds",
                  names=names[pair[0]], names2=names[pair[1]]))
        expect(min(abs(float(row["sd"]) - scores.std(ddof=d)) for d in (0, 1)) < 1e-6,
               tr("the sd of {names} + {names2} should be the standard deviation of its fold scores",
                  names=names[pair[0]], names2=names[pair[1]]))
    best = (names[pairs[0][0]], names[pairs[0][1]])
    tied = _tied_with_best(fold_scores, ns)
    from .. import stats

    others = len(fold_scores) - 1
    ties = tr("On these folds {tied} of the other pairs cannot be told from the best one (the corrected paired "
              "interval of the difference contains 0): ranks among them are noise", tied=tied) + ". " + tr(
        "{n} intervals at 95 %: if no pair differed from the best, chance alone would make {chance:.2f} of them "
        "exclude 0 on average; and the best pair was picked on these same folds, which favours it", n=others,
        chance=stats.expected_false_exclusions(others))
    predicted = ns.get("prediction_2_2")
    if isinstance(predicted, (tuple, list)) and len(predicted) == 2 and all(p in names for p in predicted):
        key = tuple(sorted(names.index(p) for p in predicted))
        if key in pairs:
            rank = pairs.index(key)
            return correct(tr("your prediction: {predicted}, ranked {value} of 6 (mean accuracy {means:.3f}; the "
                              "best pair scores {means2:.3f}).", predicted=' + '.join(predicted), value=rank + 1,
                              means=means[rank], means2=means[0]) + " " + ties)
    return correct(prediction_note(ns, "2.2", " + ".join(best)) + ". " + ties)


def _tied_with_best(fold_scores: list, ns: Mapping[str, Any]) -> int:
    """How many pairs after the first have a corrected paired interval (first minus them) that contains 0."""
    from .. import stats

    cv = ns.get("cv")
    folds = getattr(cv, "cvargs", {}).get("n_splits", 5)
    tied = 0
    for scores in fold_scores[1:]:
        _, low, high = stats.corrected_repeated_cv_interval(fold_scores[0] - scores, test_share=1 / folds)
        tied += low <= 0 <= high
    return tied


_SETOSA_WEIGHTS: dict = {}   # trained once per set of training flowers: each check gets a fresh body with them


def _source_network():
    """A seeded 4-16-2 network (inputs, hidden output, whole model): the same initial weights on every call."""
    import keras

    init = keras.initializers.GlorotUniform(seed=0)
    inputs = keras.Input(shape=(4,))
    hidden = keras.layers.Dense(16, activation="relu", name="hidden", kernel_initializer=init)(inputs)
    return inputs, hidden, keras.Model(inputs, keras.layers.Dense(2, activation="softmax", kernel_initializer=init)(hidden))


def _training_rows_layer(cut: float, scored: np.ndarray):
    """A layer that passes the body's features through and, while training, counts the rows it sees, those whose
    standardised petal length lies below ``cut`` (setosa's), and those equal to a row of ``scored`` (the flowers the
    check scores on): how exercise 2.3 sees which flowers the head trained on.

    Its call takes ``[inputs, features]`` and returns ``features``; the three counts are a non-trainable weight,
    ``rows``.
    """
    import keras

    class TrainingRows(keras.layers.Layer):
        def __init__(self, cut: float, scored, **kwargs):
            super().__init__(**kwargs)
            self.cut, self.scored = float(cut), np.asarray(scored, dtype="float32").reshape(-1, 4)
            self.rows = self.add_weight(shape=(3,), initializer="zeros", trainable=False, name="rows")

        def call(self, inputs, training=None):
            x, features = inputs
            if training:
                ops = keras.ops
                low = ops.sum(ops.cast(x[:, PETAL_LENGTH] < self.cut, "float32"))
                seen = ops.cast(ops.shape(x)[0], "float32")
                if len(self.scored):
                    gaps = ops.sum(ops.square(x[:, None, :] - ops.convert_to_tensor(self.scored)[None]), axis=-1)
                    scored = ops.sum(ops.cast(ops.min(gaps, axis=1) < 1e-6, "float32"))
                else:
                    scored = ops.zeros(())
                self.rows.assign_add(ops.stack([seen, low, scored]))
            return features

        def get_config(self):
            return {**super().get_config(), "cut": self.cut, "scored": self.scored.tolist()}

    return TrainingRows(cut, scored, name="training_rows")


def scored_only(X_val_s: np.ndarray, X_train_s: np.ndarray) -> np.ndarray:
    """The validation rows that no training row equals (iris holds a few identical flowers)."""
    X_val_s, X_train_s = np.asarray(X_val_s, "float32"), np.asarray(X_train_s, "float32")
    return np.array([row for row in X_val_s if not np.any(np.all(np.abs(X_train_s - row) < 1e-6, axis=1))],
                    dtype="float32").reshape(-1, 4)


def setosa_cut(X_train_s: np.ndarray, y_train: np.ndarray) -> float:
    """The standardised petal length halfway between setosa's longest and the other species' shortest."""
    petal = np.asarray(X_train_s)[:, PETAL_LENGTH]
    return float((petal[y_train == 0].max() + petal[y_train != 0].min()) / 2)


def untrained_body():
    """The control of 2.3: the body of setosa_body with its initial weights, never trained."""
    import keras

    inputs, hidden, _ = _source_network()
    return keras.Model(inputs, hidden, name="untrained_body")


def setosa_body(ns: Mapping[str, Any]):
    """The body of a 4-16-2 network trained (seeded) to tell setosa from the rest: the source task of 2.3.

    Every call returns a new model (a learner's function may freeze or train it); the training runs once per
    set of training flowers. Its last layer only passes the features through and counts, while training, the rows
    and the setosa and validation rows it sees (``training_rows``).
    """
    import hashlib

    import keras

    X_train_s = np.asarray(lesson_value(ns, "X_train_s"), "float32")
    y_train = np.asarray(lesson_value(ns, "y_train"))
    inputs, hidden, source = _source_network()
    key = hashlib.sha256(X_train_s.tobytes() + y_train.astype("int64").tobytes()).hexdigest()
    if key not in _SETOSA_WEIGHTS:
        source.compile(optimizer=keras.optimizers.Adam(learning_rate=0.05), loss="sparse_categorical_crossentropy")
        source.fit(X_train_s, (y_train == 0).astype("int64"), epochs=30, batch_size=16, shuffle=False, verbose=0)
        _SETOSA_WEIGHTS[key] = source.get_weights()
    source.set_weights(_SETOSA_WEIGHTS[key])
    scored = scored_only(lesson_value(ns, "X_val_s"), X_train_s)
    counted = _training_rows_layer(setosa_cut(X_train_s, y_train), scored)([inputs, hidden])
    return keras.Model(inputs, counted, name="setosa_body")


@exercise("2.3", hint="Three things to get right: which flowers the head trains on, what labels sparse "
                      "cross-entropy accepts (0 to n - 1), and that only the head may learn.",
          recipe="Inside transfer(body): switch the body's trainable flag off; stack the body and a new Dense(2, softmax) in a "
                 "keras.Sequential; compile it with Adam at learning rate 0.05 and sparse cross-entropy; keep only the "
                 "training rows whose species is versicolor or virginica (y_train is 1 or 2) and shift their labels to 0 "
                 "and 1; fit on make_ds(...) of those rows, shuffled, for EPOCHS epochs; return the new model. Use only "
                 "the `body` you are given.")
def _pair_transfer(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    X_val_s, y_val = lesson_value(ns, "X_val_s"), np.asarray(lesson_value(ns, "y_val"))
    expect(callable(answer) and not hasattr(answer, "layers"),
           tr("answer_2_3 should be your function transfer(body), which returns the new model"))
    body = setosa_body(ns)
    before = [w.copy() for w in body.get_layer("hidden").get_weights()]
    try:
        model = call(answer, body, name="transfer(body)")
    except NotQuite as err:
        expect("outside the valid range" not in str(err.__cause__) and "Received a label value" not in str(err.__cause__),
               tr("training stopped on a label outside 0..1: a 2-unit head with sparse cross-entropy needs the "
                  "labels 0 (versicolor) and 1 (virginica), so shift y_train's 1 and 2 down by one"))
        raise
    expect(hasattr(model, "trainable_weights") and hasattr(model, "output_shape"),
           tr("transfer(body) should return the new Keras model, not {type_name}", type_name=type(model).__name__))
    expect(tuple(model.output_shape) == (None, 2), tr("the new head should have 2 output units (versicolor, "
                                                      "virginica), not the output shape {output_shape}",
                                                      output_shape=model.output_shape))
    expect(all(np.array_equal(a, b) for a, b in zip(before, body.get_layer("hidden").get_weights())),
           tr("the body's weights changed during training: freeze it (body.trainable = False) before you compile"))
    body_ids = {id(w) for w in body.weights}
    expect(any(id(w) in body_ids for w in model.weights), tr("the new model should be built on the `body` it is given"))
    expect(model.trainable_weights and not any(id(w) in body_ids for w in model.trainable_weights),
           tr("only the new head should be trainable"))
    pair = y_val > 0
    score = pair_score(model, X_val_s, y_val)
    rows, setosa_rows, scored_rows = (int(n) for n in np.asarray(body.get_layer("training_rows").rows))
    expect(rows > 0, tr("the check saw no training pass through the `body` it gave your function: build the new model "
                        "on that body and train it with fit"))
    expect(setosa_rows == 0,
           tr("the head was trained on setosa flowers too ({setosa_rows} of the {rows} rows it saw over all epochs): "
              "train it on the versicolor and virginica training flowers only, labelled 0 and 1",
              setosa_rows=setosa_rows, rows=rows))
    expect(scored_rows == 0,
           tr("the head was trained on validation flowers ({scored_rows} of the {rows} rows it saw over all epochs), "
              "the ones the check scores it on: train it on the training flowers only (X_train_s, y_train)",
              scored_rows=scored_rows, rows=rows))
    expect(score > 1 - MIN_PAIR_ACCURACY,
           tr("on the validation flowers of the two species the new model is right on only {score:.0%}, worse than "
              "a constant guess (50%): are the labels swapped? Versicolor is 0 and virginica 1 (y_train - 1)",
              score=score))
    expect(score >= MIN_PAIR_ACCURACY,
           tr("the head trained on the right flowers, yet it is right on only {score:.0%} of the {pair_sum} validation "
              "flowers of the two species (a constant guess: 50%; the check asks for {bar:.0%}): it is probably "
              "under-trained. Compile with Adam at learning rate 0.05 (Keras's default, 0.001, is too small for the "
              "few steps here) and train for EPOCHS epochs", score=score, pair_sum=int(pair.sum()),
              bar=MIN_PAIR_ACCURACY))
    control = pair_score(call(answer, untrained_body(), name="transfer(untrained body)"), X_val_s, y_val)
    values = dict(score=score, pair_sum=int(pair.sum()), control=control)
    if control >= score - CONTROL_MARGIN:
        return correct(tr("{score:.0%} of the {pair_sum} validation flowers of the two species on a body that only "
                          "ever learned setosa-vs-rest, and {control:.0%} for the control (your transfer() on an untrained "
                          "body with the same initial weights). The untrained body does about as well or better: with "
                          "four nearly separable measurements, random ReLU features and a trained head suffice, so this "
                          "task cannot show that the setosa features transferred", **values))
    return correct(tr("{score:.0%} of the {pair_sum} validation flowers of the two species on a body that only ever "
                      "learned setosa-vs-rest, and {control:.0%} for the control (your transfer() on an untrained body with "
                      "the same initial weights). The setosa-trained body does better here, but on {pair_sum} flowers "
                      "and one seed that is a hint, not a measurement", **values))


def pair_score(model, X, y) -> float:
    """Accuracy of a versicolor-vs-virginica model (labels 0, 1) on the flowers of those two species in ``X``, ``y``."""
    y = np.asarray(y)
    pair = y > 0
    predicted = _model_probabilities(model, np.asarray(X)[pair]).argmax(axis=1)
    return float(np.mean(predicted == y[pair] - 1))
