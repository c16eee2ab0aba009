"""Checkers for lesson 01 (neural-network basics in NumPy): backpropagation, momentum, width."""
from __future__ import annotations

import inspect
from typing import Any, Mapping

import numpy as np

from ..i18n import say
from .core import CORRECT, NotQuite, Verdict, call, correct, exercise, expect, is_number, lesson_value, prediction_note

GRAD_TOLERANCE = 1e-5      # largest relative error accepted against the numerical gradient
RATE_TOLERANCE = 0.04      # relative tolerance on momentum's largest stable learning rate
WIDTH_COLUMNS = ("hidden units", "test accuracy", "final loss")
MAX_NETWORK_EVALUATIONS = 10   # calls of the lesson's network functions one backward pass may make
NETWORK_FUNCTIONS = ("forward", "relu", "softmax", "cross_entropy", "loss_fn", "sigmoid")


def relu_network_loss(params: Mapping[str, np.ndarray], X: np.ndarray, y: np.ndarray) -> float:
    """Cross-entropy of the one-hidden-layer network with ReLU hidden units and a softmax output."""
    H = np.maximum(0.0, X @ params["W1"] + params["b1"])
    Z = H @ params["W2"] + params["b2"]
    Z = Z - Z.max(axis=1, keepdims=True)
    log_p = Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(len(y)), y].mean())


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


def read_only(params: Mapping[str, np.ndarray]) -> dict:
    """Copies of the parameter arrays that cannot be written to (a backward pass only reads them)."""
    copies = {}
    for name, value in params.items():
        copies[name] = np.array(value, copy=True)
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
                 "backward(). One forward pass, no finite differences: the check counts them.",
          hint_zh="逐行对照 backward()：哪一行依赖于隐藏层激活函数是 tanh？只有那个因子要改，而 ReLU 的导数需要"
                  "前向传播中 tanh 用不到的一样东西。",
          recipe_zh="重新做一遍前向传播，除了 H = ReLU(A) 之外还要保留预激活值 A = XW₁ + b₁。输出层的梯度不变。"
                    "在隐藏层，把 tanh 的因子 (1 - H²) 换成 ReLU 的导数：A 为正处取 1，其余处取 0（一个布尔掩码）。"
                    "四个梯度的算法与 backward() 相同。只做一次前向传播，不用有限差分：检查会数调用次数。")
def _relu_backprop(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    init_params = lesson_value(ns, "init_params")
    expect(callable(answer), say("answer_1_1 should be your function backward_relu(params, X, y)",
                                 "answer_1_1 应该是你写的函数 backward_relu(params, X, y)"))
    rng = np.random.default_rng(7)
    params = init_params(3, 5, 4, rng)
    params["b1"] = rng.normal(0, 0.5, params["b1"].shape)   # some units on, some off
    X, y = rng.normal(size=(9, 3)), rng.integers(0, 4, 9)
    try:
        grads, evaluations = evaluations_during(answer, (read_only(params), X.copy(), y.copy()))
    except NotQuite as err:
        expect("read-only" not in str(err.__cause__),
               say("your function writes into the parameters (the check hands them in read-only): backpropagation "
                   "only reads them; nudging each weight in turn is a numerical gradient",
                   "你的函数改写了参数（检查传入的是只读参数）：反向传播只读取参数；逐个微调每个权重是数值梯度"))
        raise
    expect(evaluations <= MAX_NETWORK_EVALUATIONS,
           say(f"your function ran the network {evaluations} times: that is a numerical gradient (finite "
               "differences), not backpropagation, which needs one forward and one backward pass",
               f"你的函数运行了网络 {evaluations} 次：这是数值梯度（有限差分），不是反向传播；"
               "反向传播只需要一次前向传播和一次反向传播"))
    expect(isinstance(grads, dict) and set(grads) >= set(params),
           say(f"backward_relu should return a dict with the keys {sorted(params)}",
               f"backward_relu 应该返回一个以 {sorted(params)} 为键的字典"))
    numeric = numerical_gradients(lambda p: relu_network_loss(p, X, y), params)
    for name in params:
        expect(np.shape(grads[name]) == params[name].shape,
               say(f"the gradient for {name} should have the shape {params[name].shape}, not {np.shape(grads[name])}",
                   f"{name} 的梯度形状应为 {params[name].shape}，而不是 {np.shape(grads[name])}"))
        error = relative_error(np.asarray(grads[name], dtype=float), numeric[name])
        expect(error < GRAD_TOLERANCE, say(f"the gradient for {name} differs from the numerical gradient "
                                           f"(relative error {error:.1e}); check the hidden layer's derivative",
                                           f"{name} 的梯度与数值梯度不一致（相对误差 {error:.1e}）；"
                                           "请检查隐藏层的导数"))
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
                 "polynomial and solve for the rate. Write the result as a function of λ and β.",
          hint_zh="分两部分。实验：在许多学习率下对 BOWL 运行 `momentum`，看最终距离从哪里开始不再变小。"
                  "分析：在曲率为 λ 的一维二次函数上，把一步动量更新写成 (w, v) 的线性映射，问它何时不再收缩。",
          recipe_zh="实验：在一个细密的学习率网格（比如 0.03 到 0.10）上扫描，最终到最小值的距离很小就算收敛，"
                    "取收敛的最大学习率。分析：令 g = λw，一步更新把 (w, v) 映射为一个 2×2 矩阵乘以 (w, v)。"
                    "当某个特征值离开单位圆时迭代发散；学习率较大时，这发生在特征值 -1 处：把 z = -1 代入特征多项式，"
                    "解出学习率。把结果写成 λ 和 β 的函数。")
def _momentum_limit(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    expect(isinstance(answer, (tuple, list)) and len(answer) == 2,
           say("answer_1_2 should be a pair: (your function momentum_limit(curvature, beta), the largest stable rate "
               "you measured)",
               "answer_1_2 应该是一对值：（你的函数 momentum_limit(curvature, beta)，你测得的最大稳定学习率）"))
    formula, measured = answer
    expect(callable(formula), say("the first item should be your function momentum_limit(curvature, beta)",
                                  "第一项应该是你的函数 momentum_limit(curvature, beta)"))
    expect(is_number(measured), say("the second item should be the rate you measured, one number",
                                    "第二项应该是你测得的学习率，一个数"))
    limit, rate = largest_stable_momentum_rate(ns), float(measured)
    expect(abs(rate * bowl_curvature(ns) / 2 - 1) > RATE_TOLERANCE,
           say("your measured rate is plain gradient descent's limit (2/50): measure momentum's",
               "你测得的是普通梯度下降的上限（2/50）：请测量动量法的上限"))
    expect(abs(rate / limit - 1) <= RATE_TOLERANCE,
           say(f"your measured rate is not within {RATE_TOLERANCE:.0%} of the largest rate at which momentum converges "
               "on the bowl: sweep a finer grid of rates, with enough steps for slow runs to settle",
               f"你测得的学习率与动量法在碗形曲面上仍收敛的最大学习率相差超过 {RATE_TOLERANCE:.0%}："
               "请用更细的学习率网格扫描，并给收敛慢的运行足够的步数"))
    for curvature, beta in FORMULA_CASES:
        value = call(formula, curvature, beta, name="momentum_limit")
        expect(is_number(value), say(f"momentum_limit({curvature:g}, {beta:g}) should return one number, not {value!r}",
                                     f"momentum_limit({curvature:g}, {beta:g}) 应返回一个数，而不是 {value!r}"))
        expect(np.isclose(float(value), 2 * (1 + beta) / curvature, rtol=1e-6),
               say(f"momentum_limit({curvature:g}, {beta:g}) = {float(value):.4g} is not the stability limit of "
                   "heavy-ball momentum on a quadratic with that curvature: check how β enters",
                   f"momentum_limit({curvature:g}, {beta:g}) = {float(value):.4g} 不是重球动量法在该曲率的二次函数上的"
                   "稳定上限：请检查 β 是怎样进入公式的"))
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
                 "narrow networks' boundaries.",
          hint_zh="所有零件都已具备：init_params 能建任意宽度的网络，train 训练它，accuracy 给它打分。"
                  "对各个宽度循环，每个宽度记一行。",
          recipe_zh="对每个宽度，用 init_params(2, 宽度, 2, np.random.default_rng(42)) 建网络，训练 TRAIN_STEPS 步，"
                    "记下宽度、它在测试集上的准确率（forward 给出的概率与 y_test 比较）和损失曲线的最后一个值；"
                    "把这些行组成 DataFrame。然后画出窄网络的决策边界。")
def _width_table(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    expect(hasattr(answer, "columns") and hasattr(answer, "sort_values"),
           say("answer_1_3 should be a pandas DataFrame", "answer_1_3 应该是一个 pandas DataFrame"))
    missing = [c for c in WIDTH_COLUMNS if c not in answer.columns]
    expect(not missing, say(f"the table lacks the column(s) {missing}", f"表格缺少这些列：{missing}"))
    table = answer.sort_values("hidden units")
    widths = [int(w) for w in table["hidden units"]]
    expect(set(widths) >= {1, 2, 3, 4, 8, 16} and len(widths) == len(set(widths)),
           say("the table should have one row for each of the widths 1, 2, 3, 4, 8 and 16",
               "表格应为宽度 1、2、3、4、8 和 16 各列一行"))
    true = recomputed_widths(ns, widths)
    for width, accuracy, loss in zip(widths, table["test accuracy"].astype(float), table["final loss"].astype(float)):
        want_accuracy, want_loss = true[width]
        expect(abs(accuracy - want_accuracy) <= 1e-6,
               say(f"the {width}-unit row's test accuracy ({accuracy:.4g}) is not what that network scores when "
                   "trained as the exercise says (seed 42, TRAIN_STEPS steps): the check retrains every row",
                   f"{width} 个单元那一行的测试准确率（{accuracy:.4g}）不是该网络按练习要求训练（种子 42，"
                   "TRAIN_STEPS 步）后的得分：检查会重新训练每一行"))
        expect(abs(loss - want_loss) <= 1e-6 * max(1.0, abs(want_loss)),
               say(f"the {width}-unit row's final loss ({loss:.4g}) is not the last training loss of that network",
                   f"{width} 个单元那一行的最终损失（{loss:.4g}）不是该网络最后一步的训练损失"))
    return CORRECT
