"""Checkers for lesson 01 (neural-network basics in NumPy): backpropagation, momentum, width."""
from __future__ import annotations

import inspect
from typing import Any, Mapping

import numpy as np

from ..i18n import say
from .core import CORRECT, Verdict, exercise, expect, lesson_value

GRAD_TOLERANCE = 1e-5      # largest relative error accepted against the numerical gradient
RATE_TOLERANCE = 0.04      # relative tolerance on momentum's largest stable learning rate
WIDTH_COLUMNS = ("hidden units", "test accuracy", "final loss")


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


@exercise("1.1", hint="Only the hidden layer's local derivative changes: tanh' = 1 - H**2 becomes ReLU' = 1 where "
                      "the pre-activation X @ W1 + b1 is positive, 0 elsewhere. Keep the pre-activation from the "
                      "forward pass to build that mask; everything else is as in backward().",
          hint_zh="只有隐藏层的局部导数要改：tanh 的导数 1 - H**2 换成 ReLU 的导数，即预激活值 X @ W1 + b1 "
                  "为正处取 1，其余处取 0。保留前向传播中的预激活值来构造这个掩码；其余部分与 backward() 相同。")
def _relu_backprop(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    init_params = lesson_value(ns, "init_params")
    expect(callable(answer), say("answer_1_1 should be your function backward_relu(params, X, y)",
                                 "answer_1_1 应该是你写的函数 backward_relu(params, X, y)"))
    rng = np.random.default_rng(7)
    params = init_params(3, 5, 4, rng)
    params["b1"] = rng.normal(0, 0.5, params["b1"].shape)   # some units on, some off
    X, y = rng.normal(size=(9, 3)), rng.integers(0, 4, 9)
    grads = answer({k: v.copy() for k, v in params.items()}, X.copy(), y.copy())
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


def largest_stable_momentum_rate(ns: Mapping[str, Any]) -> float:
    """2(1 + beta) / lambda_max: heavy-ball momentum's stability limit on the lesson's bowl."""
    beta = inspect.signature(lesson_value(ns, "momentum")).parameters["beta"].default
    return 2 * (1 + beta) / bowl_curvature(ns)


@exercise("1.2", hint="Experiment: for lr in np.linspace(0.03, 0.1, 36), call it stable when "
                      "distance_to_minimum(BOWL, run(momentum, BOWL, lr, 300)) < 1; then refine around the edge. "
                      "Analysis: on a quadratic with curvature λ, heavy-ball momentum converges while lr·λ < 2(1 + β).",
          hint_zh="实验法：对 np.linspace(0.03, 0.1, 36) 中的每个 lr，若 "
                  "distance_to_minimum(BOWL, run(momentum, BOWL, lr, 300)) < 1 就算稳定；再在临界点附近细化。"
                  "分析法：在曲率为 λ 的二次函数上，只要 lr·λ < 2(1 + β)，重球动量法就收敛。")
def _momentum_limit(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    expect(np.ndim(answer) == 0 and not isinstance(answer, (str, bool)),
           say("answer_1_2 should be one number", "answer_1_2 应该是一个数"))
    limit, rate = largest_stable_momentum_rate(ns), float(answer)
    expect(abs(rate * bowl_curvature(ns) / 2 - 1) > RATE_TOLERANCE,
           say("that is plain gradient descent's limit (2/50); momentum's is different: measure it",
               "这是普通梯度下降的上限（2/50）；动量法的上限不同：请实际测一测"))
    expect(abs(rate / limit - 1) <= RATE_TOLERANCE,
           say(f"{rate:g} is too {'high: momentum diverges there' if rate > limit else 'low: momentum still converges above it'}",
               f"{rate:g} {'太大了：动量法在这里已经发散' if rate > limit else '太小了：比它更大时动量法仍然收敛'}"))
    return CORRECT


@exercise("1.3", hint="For each width h in [1, 2, 3, 4, 8, 16]: params, losses = train(init_params(2, h, 2, "
                      "np.random.default_rng(42)), X_train, y_train, TRAIN_STEPS); record h, "
                      "accuracy(forward(params, X_test)[1], y_test) and losses[-1]; then pd.DataFrame(rows).",
          hint_zh="对 [1, 2, 3, 4, 8, 16] 中的每个宽度 h：params, losses = train(init_params(2, h, 2, "
                  "np.random.default_rng(42)), X_train, y_train, TRAIN_STEPS)；记下 h、"
                  "accuracy(forward(params, X_test)[1], y_test) 和 losses[-1]；最后 pd.DataFrame(rows)。")
def _width_table(answer: Any, ns: Mapping[str, Any]) -> Verdict:
    expect(hasattr(answer, "columns") and hasattr(answer, "sort_values"),
           say("answer_1_3 should be a pandas DataFrame", "answer_1_3 应该是一个 pandas DataFrame"))
    missing = [c for c in WIDTH_COLUMNS if c not in answer.columns]
    expect(not missing, say(f"the table lacks the column(s) {missing}", f"表格缺少这些列：{missing}"))
    table = answer.sort_values("hidden units")
    widths = [int(w) for w in table["hidden units"]]
    expect(len(set(widths)) >= 5 and 1 in widths and max(widths) >= 16,
           say("try at least five different widths, including 1 and 16 (or more) hidden units",
               "至少试五种不同的宽度，其中要有 1 个和 16 个（或更多）隐藏单元"))
    accuracy, loss = table["test accuracy"].astype(float), table["final loss"].astype(float)
    expect(accuracy.between(0.75, 1.0).all(), say("every trained network should score well above chance (0.5) on the "
                                                  "test set: did each one train for TRAIN_STEPS steps?",
                                                  "每个训练好的网络在测试集上的得分都应远高于随机猜测（0.5）："
                                                  "每个网络都训练了 TRAIN_STEPS 步吗？"))
    expect((loss > 0).all() and (loss < np.log(2)).all(),
           say("the final training losses should lie between 0 and ln 2 ≈ 0.69 (an untrained network's loss)",
               "最终的训练损失应介于 0 和 ln 2 ≈ 0.69（未训练网络的损失）之间"))
    one_unit = float(accuracy.iloc[widths.index(1)])
    expect(one_unit < 0.92, say("one tanh unit draws a nearly straight boundary: its test accuracy should stay below "
                                "0.92 on the moons. Is the 1-unit row really a 1-unit network?",
                                "一个 tanh 单元只能画出近乎直线的决策边界：它在双月数据上的测试准确率应低于 0.92。"
                                "1 个单元那一行真的是只有 1 个单元的网络吗？"))
    expect(accuracy.max() >= one_unit + 0.05, say("the widest networks should beat the 1-unit network clearly: "
                                                  "train each network for the same TRAIN_STEPS steps",
                                                  "最宽的网络应明显胜过只有 1 个单元的网络："
                                                  "每个网络都要训练同样的 TRAIN_STEPS 步"))
    return CORRECT
