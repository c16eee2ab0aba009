"""Checkers for lesson 01 (neural-network basics in NumPy): backpropagation, momentum, width."""
from __future__ import annotations

import inspect
from typing import Any, Mapping

import numpy as np

from ..i18n import tr
from .core import CORRECT, NotQuite, Verdict, call, correct, exercise, expect, is_number, lesson_value, prediction_note

GRAD_TOLERANCE = 1e-5      # largest relative error accepted against the numerical gradient
EXACT_TOLERANCE = 1e-12    # largest error against the exact gradient, relative to each array's largest entry:
                           # float64 backpropagation is exact to rounding (~1e-16), finite differences are not (>= 1e-10)
RATE_TOLERANCE = 0.04      # relative tolerance on momentum's largest stable learning rate
WIDTH_COLUMNS = ("hidden units", "test accuracy", "final loss")
ROUNDING = 6e-4          # exercise 1.3: values rounded to 3 decimals still match the retrained network
CHECK_SIZES = (3, 10, 4)   # exercise 1.1's network: 3 inputs, 10 hidden units, 4 classes (84 weights)
CHECK_ROWS = 9             # and its batch
# Calls of the lesson's network functions, and operations on X or on one weight array, that one backward pass may
# make: half the number of weights (42). Finite differences need one or two evaluations of the loss per weight (85 or
# 168 here), each using X and every array; backpropagation a few per example, also written as a loop over the 9 rows.
LIMIT_SHARE_OF_WEIGHTS = 0.5
NETWORK_FUNCTIONS = ("forward", "relu", "softmax", "cross_entropy", "loss_fn", "sigmoid")


def relu_network_loss(params: Mapping[str, np.ndarray], X: np.ndarray, y: np.ndarray) -> float:
    """Cross-entropy of the one-hidden-layer network with ReLU hidden units and a softmax output."""
    H = np.maximum(0.0, X @ params["W1"] + params["b1"])
    Z = H @ params["W2"] + params["b2"]
    Z = Z - Z.max(axis=1, keepdims=True)
    log_p = Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(len(y)), y].mean())


def relu_network_gradients(params: Mapping[str, np.ndarray], X: np.ndarray, y: np.ndarray) -> dict:
    """The exact gradients of :func:`relu_network_loss` (backpropagation in float64), to compare a learner's with."""
    A = X @ params["W1"] + params["b1"]
    H = np.maximum(0.0, A)
    Z = H @ params["W2"] + params["b2"]
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    d2 = P.copy()
    d2[np.arange(len(y)), y] -= 1
    d2 /= len(y)
    d1 = (d2 @ params["W2"].T) * (A > 0)
    return {"W1": X.T @ d1, "b1": d1.sum(axis=0), "W2": H.T @ d2, "b2": d2.sum(axis=0)}


def scaled_error(a: np.ndarray, exact: np.ndarray) -> float:
    """Largest |a - exact| relative to the largest |exact| of the array (rounding noise is ~1e-16 on this scale)."""
    return float(np.abs(a - exact).max() / max(float(np.abs(exact).max()), 1e-12))


def numerical_gradients(loss, params: dict, eps: float = 1e-6) -> dict:
    """Central-difference gradient of ``loss(params)`` for every entry of every array."""
    grads = {}
    for name, value in params.items():
        grads[name] = np.zeros_like(value)
        for i in np.ndindex(value.shape):
            old = value[i]
            value[i] = old + eps
            plus = loss(params)
            value[i] = old - eps
            minus = loss(params)
            value[i] = old
            grads[name][i] = (plus - minus) / (2 * eps)
    return grads


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """Largest entry-wise |a - b| / (|a| + |b|), as the lesson's gradient check reports it."""
    return float((np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-12)).max())


class Tracked(np.ndarray):
    """An array that counts the NumPy operations it enters, in ``uses[name]``; results are plain arrays.

    Views (``X.T``, ``X[rows]``) and ``.copy()`` keep counting for the same name. Backpropagation uses X and each
    weight array a few times; finite differences use them in every one of their two evaluations per weight, however
    the loss is written. (``np.asarray(X)`` returns an uncounted view and ``np.array(X)`` an uncounted copy: the
    counts cannot see through those, so exercise 1.1 also compares the gradients with exact ones to rounding
    precision, which finite differences do not reach.)
    """

    def __new__(cls, value, name: str, uses: dict):
        array = np.array(value, copy=True).view(cls)
        array.name, array.uses = name, uses
        return array

    def __array_finalize__(self, source):
        self.name, self.uses = getattr(source, "name", None), getattr(source, "uses", None)

    def _count(self, operands) -> None:
        for operand in operands:
            if isinstance(operand, Tracked) and operand.uses is not None:
                operand.uses[operand.name] = operand.uses.get(operand.name, 0) + 1

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        self._count(inputs)
        inputs = tuple(_plain(x) for x in inputs)
        if "out" in kwargs:
            kwargs["out"] = tuple(_plain(x) for x in kwargs["out"])
        return getattr(ufunc, method)(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        self._count([*args, *kwargs.values()])
        return func(*_plain(args), **_plain(kwargs))

    def dot(self, other, *args, **kwargs):
        return np.dot(self, other, *args, **kwargs)


def _plain(value):
    """``value`` with every Tracked array (also inside tuples, lists and dicts) replaced by a plain view."""
    if isinstance(value, Tracked):
        return value.view(np.ndarray)
    if isinstance(value, (tuple, list)):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def read_only(params: Mapping[str, np.ndarray], uses: dict | None = None) -> dict:
    """Copies of the parameter arrays that cannot be written to (a backward pass only reads them).

    With ``uses``, the copies are :class:`Tracked`: ``uses[name]`` counts the operations each one enters.
    """
    copies = {}
    for name, value in params.items():
        copies[name] = np.array(value, copy=True) if uses is None else Tracked(value, name, uses)
        copies[name].flags.writeable = False
    return copies


class _Counted:
    """Wraps a lesson function and counts its calls."""

    def __init__(self, function):
        self.function, self.calls = function, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.function(*args, **kwargs)


def evaluations_during(answer, args) -> tuple[Any, int]:
    """Call ``answer(*args)`` and count how often it called the lesson's network functions (forward, softmax, ...)."""
    scope = getattr(answer, "__globals__", None)
    wrapped = {}
    if isinstance(scope, dict):
        for name in NETWORK_FUNCTIONS:
            if callable(scope.get(name)) and not isinstance(scope[name], _Counted):
                wrapped[name] = scope[name]
                scope[name] = _Counted(scope[name])
    try:
        result = call(answer, *args, name="backward_relu")
        return result, max((scope[n].calls for n in wrapped), default=0)
    finally:
        for name, function in wrapped.items():
            scope[name] = function


@exercise("1.1", hint="Follow backward() line by line: which of its lines depends on the hidden activation being "
                      "tanh? Only that factor changes, and ReLU's derivative needs something from the forward pass "
                      "that tanh's did not.",
          recipe="Recompute the forward pass but keep the pre-activation A = XW₁ + b₁ as well as H = ReLU(A). The "
                 "output-layer gradient is unchanged. In the hidden layer, replace tanh's factor (1 - H²) by ReLU's "
                 "derivative: 1 where A is positive, 0 elsewhere (a boolean mask). The four gradients follow as in "
                 "backward(). One forward pass, no finite differences: the check counts the network evaluations and "
                 "compares your gradients with exact ones to rounding precision, which finite differences do not reach.")
def _relu_backprop(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    init_params = lesson_value(ns, "init_params")
    expect(callable(answer), tr("answer_1_1 should be your function backward_relu(params, X, y)"))
    rng = np.random.default_rng(7)
    params = init_params(*CHECK_SIZES, rng)
    params["b1"] = rng.normal(0, 0.5, params["b1"].shape)   # some units on, some off
    X, y = rng.normal(size=(CHECK_ROWS, CHECK_SIZES[0])), rng.integers(0, CHECK_SIZES[2], CHECK_ROWS)
    weights = sum(value.size for value in params.values())
    limit = int(LIMIT_SHARE_OF_WEIGHTS * weights)
    uses: dict = {}
    try:
        grads, evaluations = evaluations_during(answer, (read_only(params, uses), Tracked(X, "X", uses), y.copy()))
    except NotQuite as err:
        expect("read-only" not in str(err.__cause__),
               tr("your function writes into the parameters (the check hands them in read-only): backpropagation "
                  "only reads them; nudging each weight in turn is a numerical gradient"))
        raise
    expect(evaluations <= limit,
           tr("your function ran the network {evaluations} times for {rows} examples and {weights} weights, more "
              "often than one backward pass needs: finite differences run it once or twice per weight. "
              "Backpropagation needs one forward and one backward pass (or one of each per example, in a loop)",
              evaluations=evaluations, rows=CHECK_ROWS, weights=weights))
    name, count = max(uses.items(), key=lambda item: item[1], default=("X", 0))
    expect(count <= limit,
           tr("your function used {name} in {count} array operations for {rows} examples and {weights} weights, "
              "more than one backward pass needs: finite differences use every array in one or two evaluations of "
              "the loss per weight. Backpropagation uses each array a few times (a few times per example, in a "
              "loop)", name=name, count=count, rows=CHECK_ROWS, weights=weights))
    expect(isinstance(grads, dict) and set(grads) >= set(params),
           tr("backward_relu should return a dict with the keys {sorted}", sorted=sorted(params)))
    numeric = numerical_gradients(lambda p: relu_network_loss(p, X, y), params)
    for name in params:
        expect(np.shape(grads[name]) == params[name].shape,
               tr("the gradient for {name} should have the shape {shape}, not {shape2}", name=name,
                  shape=params[name].shape, shape2=np.shape(grads[name])))
        error = relative_error(np.asarray(grads[name], dtype=float), numeric[name])
        expect(error < GRAD_TOLERANCE, tr("the gradient for {name} differs from the numerical gradient (relative "
                                          "error {error:.1e}); check the hidden layer's derivative", name=name,
                                          error=error))
    exact = relu_network_gradients(params, X, y)
    for name in params:
        error = scaled_error(np.asarray(grads[name], dtype=float), exact[name])
        expect(error <= EXACT_TOLERANCE,
               tr("the gradient for {name} agrees with the exact one only to {error:.0e} of its largest entry: "
                  "backpropagation in float64 is exact to rounding (about 1e-16), while finite differences (or "
                  "float32 arithmetic) leave errors of 1e-10 or more. Compute the gradient with the chain rule, in "
                  "float64", name=name, error=error))
    return CORRECT


def bowl_curvature(ns: Mapping[str, Any]) -> float:
    """Largest eigenvalue of the Hessian of the lesson's bowl (finite differences of its gradient)."""
    bowl = lesson_value(ns, "BOWL")
    centre, eps = np.asarray(bowl.minimum, dtype=float), 1e-4
    hessian = np.stack([(bowl.grad(centre + eps * e) - bowl.grad(centre - eps * e)) / (2 * eps) for e in np.eye(2)])
    return float(np.linalg.eigvalsh((hessian + hessian.T) / 2).max())


def momentum_beta(ns: Mapping[str, Any]) -> float:
    """The lesson's default momentum coefficient β."""
    return float(inspect.signature(lesson_value(ns, "momentum")).parameters["beta"].default)


def largest_stable_momentum_rate(ns: Mapping[str, Any]) -> float:
    """2(1 + beta) / lambda_max: heavy-ball momentum's stability limit on the lesson's bowl."""
    return 2 * (1 + momentum_beta(ns)) / bowl_curvature(ns)


FORMULA_CASES = [(50.0, 0.9), (50.0, 0.0), (10.0, 0.5), (2.0, 0.99), (400.0, 0.8)]   # (curvature λ, β)


@exercise("1.2", hint="Two parts. The experiment: run `momentum` on BOWL at many rates and see where the final "
                      "distance stops being small. The analysis: on a one-dimensional quadratic with curvature λ, "
                      "write one momentum step as a linear map of (w, v) and ask when it stops shrinking.",
          recipe="Experiment: sweep a fine grid of rates (say 0.03 to 0.10), call a run converged when its final "
                 "distance to the minimum is small, keep the largest converged rate. Analysis: with g = λw, one step "
                 "maps (w, v) to a 2×2 matrix times (w, v). The iteration diverges when an eigenvalue leaves the unit "
                 "circle; for a large rate this happens through the eigenvalue -1: put z = -1 in the characteristic "
                 "polynomial and solve for the rate. Write the result as a function of λ and β.")
def _momentum_limit(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    expect(isinstance(answer, (tuple, list)) and len(answer) == 2,
           tr("answer_1_2 should be a pair: (your function momentum_limit(curvature, beta), the largest stable rate "
              "you measured)"))
    formula, measured = answer
    expect(callable(formula), tr("the first item should be your function momentum_limit(curvature, beta)"))
    expect(is_number(measured), tr("the second item should be the rate you measured, one number"))
    limit, rate = largest_stable_momentum_rate(ns), float(measured)
    expect(abs(rate * bowl_curvature(ns) / 2 - 1) > RATE_TOLERANCE,
           tr("your measured rate is plain gradient descent's limit (2/50): measure momentum's"))
    expect(abs(rate / limit - 1) <= RATE_TOLERANCE,
           tr("your measured rate is not within {rate_tolerance:.0%} of the largest rate at which momentum converges "
              "on the bowl: sweep a finer grid of rates, with enough steps for slow runs to settle",
              rate_tolerance=RATE_TOLERANCE))
    for curvature, beta in FORMULA_CASES:
        value = call(formula, curvature, beta, name="momentum_limit")
        expect(is_number(value), tr("momentum_limit({curvature:g}, {beta:g}) should return one number, not {value!r}",
                                    curvature=curvature, beta=beta, value=value))
        expect(np.isclose(float(value), 2 * (1 + beta) / curvature, rtol=1e-6),
               tr("momentum_limit({curvature:g}, {beta:g}) = {value:.4g} is not the stability limit of heavy-ball "
                  "momentum on a quadratic with that curvature: check how β enters", curvature=curvature, beta=beta,
                  value=float(value)))
    return correct(prediction_note(ns, "1.2", rate))


def recomputed_widths(ns: Mapping[str, Any], widths: list[int]) -> dict[int, tuple[float, float]]:
    """Per width: (test accuracy, final loss) of the lesson's network trained as the exercise says."""
    init_params, train, forward, accuracy = (lesson_value(ns, n) for n in ("init_params", "train", "forward",
                                                                            "accuracy"))
    X_train, y_train, X_test, y_test = (lesson_value(ns, n) for n in ("X_train", "y_train", "X_test", "y_test"))
    rows = {}
    for h in widths:
        params, losses = train(init_params(2, h, 2, np.random.default_rng(42)), X_train, y_train,
                               lesson_value(ns, "TRAIN_STEPS"))
        rows[h] = (float(accuracy(forward(params, X_test)[1], y_test)), float(losses[-1]))
    return rows


@exercise("1.3", hint="You already have every piece: init_params builds a network of any width, train trains it, "
                      "accuracy scores it. A loop over the widths collects one row each.",
          recipe="For each width, build a network with init_params(2, width, 2, np.random.default_rng(42)), train it "
                 "for TRAIN_STEPS steps, and record the width, its accuracy on the test set (forward's probabilities "
                 "against y_test) and the last value of its loss curve; make a DataFrame of the rows. Then plot the "
                 "narrow networks' boundaries.")
def _width_table(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    expect(hasattr(answer, "columns") and hasattr(answer, "sort_values"),
           tr("answer_1_3 should be a pandas DataFrame"))
    missing = [c for c in WIDTH_COLUMNS if c not in answer.columns]
    expect(not missing, tr("the table lacks the column(s) {missing}", missing=missing))
    table = answer.sort_values("hidden units")
    widths = [int(w) for w in table["hidden units"]]
    expect(set(widths) >= {1, 2, 3, 4, 8, 16} and len(widths) == len(set(widths)),
           tr("the table should have one row for each of the widths 1, 2, 3, 4, 8 and 16"))
    true = recomputed_widths(ns, widths)
    for width, accuracy, loss in zip(widths, table["test accuracy"].astype(float), table["final loss"].astype(float)):
        want_accuracy, want_loss = true[width]
        expect(abs(accuracy - want_accuracy) <= ROUNDING,
               tr("the {width}-unit row's test accuracy ({accuracy:.4g}) is not what that network scores when "
                  "trained as the exercise says (seed 42, TRAIN_STEPS steps): the check retrains every row",
                  width=width, accuracy=accuracy))
        expect(abs(loss - want_loss) <= ROUNDING * max(1.0, abs(want_loss)),
               tr("the {width}-unit row's final loss ({loss:.4g}) is not the last training loss of the network "
                  "trained as the exercise says (init_params with np.random.default_rng(42), TRAIN_STEPS steps of "
                  "train): the check retrains every row. A matching test accuracy does not show the network is the "
                  "right one: networks trained differently can score the same", width=width, loss=loss))
    return CORRECT
