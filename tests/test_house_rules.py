"""The rules the package states about itself (``course_utils/__init__.py``, ``docs/authoring.md``), checked on the code.

* Lessons import ``course_utils`` in one style: ``import course_utils as cu`` and
  ``from course_utils import <module>`` (short names), never ``from course_utils.<part>.<module> import ...``.
* Lessons never import ``course_utils.tools`` (authoring and classroom tools).
* The layers only import downwards: the lesson core (top-level modules and ``exercises``) imports neither
  ``lessons`` nor ``tools``; the data stack imports neither; ``lessons`` never imports ``tools``.

Imports are read with :mod:`ast`, including imports inside functions, so a lazy import breaks a rule too.
"""
from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

import course_utils

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "course_utils"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("**/[0-9][0-9]_*.ipynb"))
CORE_MODULES = sorted({p.stem for p in PACKAGE.glob("*.py")} - {"__init__"})


def code_of(notebook: Path) -> str:
    """The notebook's code cells as one Python module (IPython magics and shell lines left out)."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    lines = []
    for cell in cells:
        if cell["cell_type"] == "code":
            lines += [line for line in "".join(cell["source"]).splitlines() if not line.lstrip().startswith(("%", "!"))]
    return "\n".join(lines)


def imported_modules(tree: ast.AST, package: str | None = None) -> list[tuple[str, list[str]]]:
    """``(module, names)`` for every import in ``tree``; relative imports resolved against ``package``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level and package:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([module] if module else []))
            found.append((module, [alias.name for alias in node.names]))
    return found


def style_problems(source: str) -> list[str]:
    """What breaks the lessons' import rules in ``source`` (a lesson's code)."""
    problems = []
    modules = set(course_utils._SHORT_NAMES) | set(CORE_MODULES)
    for module, names in imported_modules(ast.parse(source)):
        if not module.startswith("course_utils"):
            continue
        if module == "course_utils" and not names:
            continue                                    # import course_utils as cu
        if module != "course_utils":
            problems.append(f"from {module} import {', '.join(names)}: write `from course_utils import <module>`")
        problems += [f"from course_utils import {n}: not a course_utils module" for n in names if n not in modules]
        if module.startswith("course_utils.tools") or "tools" in names:
            problems.append(f"imports course_utils.tools ({module} {names}): lessons never import tools")
    return problems


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT / "notebooks")))
def test_lessons_import_course_utils_in_one_style_and_never_tools(notebook):
    assert style_problems(code_of(notebook)) == []


def test_the_import_style_rule_refuses_what_it_should():
    assert style_problems("import course_utils as cu\nfrom course_utils import datasets, stats, finetune") == []
    assert style_problems("from course_utils.lessons.surfaces import BOWL")
    assert style_problems("from course_utils.runs import summarize_runs")
    assert style_problems("from course_utils.tools import augmentation_runs")
    assert style_problems("from course_utils import tools")
    assert style_problems("def f():\n    from course_utils.tools.augmentation_runs import table")


def package_imports(part: str) -> dict[str, set[str]]:
    """``{module file: course_utils sub-packages it imports}`` for the files of ``part`` ("" = the core)."""
    files = sorted(PACKAGE.glob("*.py")) if part == "" else sorted((PACKAGE / part).rglob("*.py"))
    if part == "":
        files += sorted((PACKAGE / "exercises").rglob("*.py"))    # the checkers belong to the lesson core
    result = {}
    for path in files:
        dotted = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        package = dotted if path.name == "__init__.py" else dotted.rsplit(".", 1)[0]
        parts = set()
        for module, names in imported_modules(ast.parse(path.read_text(encoding="utf-8")), package):
            if module.startswith("course_utils."):
                parts.add(module.split(".")[1])
            elif module == "course_utils":
                parts.update(course_utils._SHORT_NAMES.get(n, n) for n in names)
        result[str(path.relative_to(ROOT))] = parts
    return result


@pytest.mark.parametrize("part, forbidden", [("", {"lessons", "tools"}), ("data", {"lessons", "tools"}),
                                             ("lessons", {"tools"})], ids=["core", "data", "lessons"])
def test_the_layers_import_only_downwards(part, forbidden):
    broken = {path: sorted(parts & forbidden) for path, parts in package_imports(part).items() if parts & forbidden}
    assert broken == {}


def test_the_layer_rule_sees_lazy_and_relative_imports(tmp_path):
    tree = ast.parse("def f():\n    from ..lessons import transfer\n    from ..tools.grade import main\n")
    assert {m for m, _ in imported_modules(tree, "course_utils.data")} == {"course_utils.lessons",
                                                                           "course_utils.tools.grade"}
