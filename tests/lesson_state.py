"""A lesson's state without running the lesson: its definitions, taken from the notebook, and small synthetic data.

``definitions(3, "conv2d", "KERNELS")`` executes the lesson's import statements, then only the top-level
``def``/``class`` statements and single-name assignments that bind the requested names, so a test uses the
lesson's own code (a change to the lesson reaches the test) at a fraction of the cost of running it.
"""
from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np

from course_utils.data.datasets import ImageArrays

ROOT = Path(__file__).resolve().parents[1]


def notebook(lesson: int) -> Path:
    """The instructor notebook of a lesson."""
    return next((ROOT / "notebooks").glob(f"{lesson:02d}_*.ipynb"))


def _code_statements(lesson: int) -> list[ast.stmt]:
    statements = []
    for cell in json.loads(notebook(lesson).read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "\n".join(line for line in "".join(cell["source"]).splitlines() if not line.lstrip().startswith(("%", "!")))
        statements += ast.parse(source).body
    return statements


def _binds(node: ast.stmt, name: str) -> bool:
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        return node.name == name
    return isinstance(node, ast.Assign) and len(node.targets) == 1 and getattr(node.targets[0], "id", None) == name


def _is_definition(node: ast.stmt) -> bool:
    """A helper brought along automatically: a function, a class or a constant (never data loading or training)."""
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        return True
    try:
        ast.literal_eval(node.value)
        return True
    except (ValueError, TypeError, SyntaxError, AttributeError):
        return False


def _names_used(node: ast.stmt) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def definitions(lesson: int, *names: str, ns: dict | None = None) -> dict:
    """A namespace with the lesson's imports and the first statement that binds each of ``names``.

    A definition that uses another name the lesson defines (a helper function, a constant) brings that
    definition along, so a test asks only for what its exercise needs.
    """
    ns = {} if ns is None else ns
    statements = _code_statements(lesson)
    for node in statements:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            exec(compile(ast.Module([node], type_ignores=[]), f"lesson {lesson} imports", "exec"), ns)
    _define(lesson, statements, list(names), ns, required=True)
    return ns


def _define(lesson: int, statements: list[ast.stmt], names: list[str], ns: dict, required: bool) -> None:
    for name in names:
        if name in ns and not required:
            continue
        node = next((n for n in statements if _binds(n, name)), None)
        if node is None or not (required or _is_definition(node)):
            assert name in ns or not required, f"lesson {lesson} neither defines nor imports {name!r}"
            continue
        ns.setdefault("__defining__", set()).add(name)
        helpers = [n for n in sorted(_names_used(node)) if n not in ns and n not in ns["__defining__"]]
        _define(lesson, statements, helpers, ns, required=False)
        exec(compile(ast.Module([node], type_ignores=[]), f"lesson {lesson}: {name}", "exec"), ns)


def blocky_images(n: int, seed: int, size: int = 28, block: int = 4) -> np.ndarray:
    """n smooth random uint8 images (random blocks): a one-pixel shift leaves each close to itself."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, size=(n, size // block, size // block))
    return np.kron(coarse, np.ones((block, block))).astype("uint8")


def image_arrays(n_train: int, seed: int, ink_class: int = 3) -> ImageArrays:
    """A small 10-class image set; class ``ink_class`` covers the most of the frame."""
    rng = np.random.default_rng(seed)
    y = np.arange(n_train) % 10
    x = (rng.random((n_train, 28, 28)) < 0.2 + 0.05 * (y == ink_class)[:, None, None]) * rng.integers(1, 256, (n_train, 28, 28))
    y_test = np.arange(n_train // 2) % 10
    return ImageArrays(x.astype("uint8"), y.astype("uint8"), x[: n_train // 2].astype("uint8"), y_test.astype("uint8"),
                       [f"class {c}" for c in range(10)])


def bar_digits(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two-class "digits" (a bar mostly in the left half: 0, in the right half: 1), shape (n, 28, 28, 1): a mirror
    swaps the class. The bars sit at random places, some next to the middle and off-centre vertically, so that a
    small shift or turn changes how ``BarReader`` reads a few of them (a real small change moves the accuracy)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    x = np.zeros((n, 28, 28, 1), dtype="float32")
    for i, label in enumerate(y):
        left = rng.integers(3, 12) if label == 0 else rng.integers(12, 21)   # columns left .. left + 4
        top = rng.integers(0, 13)                                            # rows top .. top + 15
        x[i, top:top + 16, left:left + 5, 0] = rng.uniform(0.6, 1.0)
    return x, y.astype("int64")


class BarReader:
    """A stand-in classifier for ``bar_digits``: class 0 when the left half holds more ink (10 outputs)."""

    def predict(self, x, verbose=0, batch_size=None):
        x = np.asarray(x)
        left = x[:, :, :14].sum(axis=(1, 2, 3)) > x[:, :, 14:].sum(axis=(1, 2, 3))
        probabilities = np.full((len(x), 10), 0.01)
        probabilities[np.arange(len(x)), np.where(left, 0, 1)] = 0.91
        return probabilities
