"""Move side-by-side ``say(english, chinese)`` messages into the message catalog (a migration, run once per file).

For each ``say(en, zh)`` (or ``i18n.say``) call, and each ``say_in(lang, en, zh)``, whose two texts are string
literals or f-strings, it writes ``tr("<en with named placeholders>", name=expression, ...)`` (``tr_in(lang, ...)``)
in its place and records the pair; then it updates the catalog (``translations catalog``) and enters each
Chinese text as the translation of its English msgid. An f-string's ``{expression!r:spec}`` becomes a named
placeholder ``{name!r:spec}`` in both texts, the name taken from the expression (``path.name`` -> ``name``,
``config.data_dir()`` -> ``data_dir``, ``len(files)`` -> ``n_files``). A call it cannot convert (a text held in a
variable, an expression only the Chinese uses, an existing different translation) is listed and left as is::

    python -m course_utils.tools.say_to_catalog course_utils/data/fetch.py [...]      # --dry-run: list only

With ``--lessons`` it converts lessons' code cells instead (the English lesson and its zh twin identically):
a check's name or hint written as an f-string, and a ``print`` with English words, become
``i18n.tr("... {name} ...", name=value)`` (``from course_utils import i18n`` is added to the import cell)::

    python -m course_utils.tools.say_to_catalog --lessons notebooks/06_data_augmentation.ipynb
"""
from __future__ import annotations

import argparse
import ast
import keyword
import re
import sys
from dataclasses import dataclass
from pathlib import Path

WIDTH = 118
CONVERSIONS = {-1: "", 115: "!s", 114: "!r", 97: "!a"}


class Unconvertible(Exception):
    pass


@dataclass
class Conversion:
    start: int          # byte offsets of the call in the file
    end: int
    code: str           # the replacement
    msgid: str
    translation: str


GENERIC_METHODS = {"min", "max", "mean", "std", "sum", "to_dict", "tolist", "upper", "lower", "nunique", "round",
                   "item", "ravel", "size"}
GENERIC_ATTRIBUTES = {"iloc", "loc", "values", "T"}


def _base_name(expr: ast.expr) -> str:
    if isinstance(expr, ast.Name):
        return expr.id.lower()
    if isinstance(expr, ast.Attribute):
        if expr.attr == "__name__":
            return _base_name(expr.value.func if isinstance(expr.value, ast.Call) else expr.value) + "_name"
        if expr.attr in GENERIC_ATTRIBUTES:
            return _base_name(expr.value)
        return expr.attr.lower()
    if isinstance(expr, ast.Call):
        func = expr.func
        if isinstance(func, ast.Name) and func.id == "len" and expr.args:
            return "n_" + _base_name(expr.args[0])
        if isinstance(func, ast.Name) and func.id in ("int", "float", "str", "abs", "round") and expr.args:
            return _base_name(expr.args[0])
        if isinstance(func, ast.Attribute) and func.attr == "join" and expr.args:
            return _base_name(expr.args[0])
        if isinstance(func, ast.Attribute) and func.attr in GENERIC_METHODS:
            receiver = _base_name(func.value)
            return receiver if func.attr in ("tolist", "to_dict", "ravel", "item") else f"{receiver}_{func.attr}"
        return _base_name(func)
    if isinstance(expr, ast.Subscript):
        key = expr.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str) and key.value.isidentifier():
            return key.value
        return _base_name(expr.value)
    if isinstance(expr, ast.BoolOp):
        return _base_name(expr.values[0])
    if isinstance(expr, (ast.ListComp, ast.GeneratorExp)):
        return _base_name(expr.generators[0].iter)
    return "value"


def _clean(name: str) -> str:
    name = name.strip("_") or "value"
    return name + "_" if keyword.iskeyword(name) else name


# placeholder names a translator reads more easily than the ones derived from the expression
PREFERRED = {
    "int(np.sum(y_pred != y_test))": "n_wrong",
    "'keeps' if BN_OBEYS_TRAINING_FALSE else 'overrides'": "behaviour",
    "'keeps' if fit_keeps_training_false else 'overrides'": "behaviour",
    "' (includes 0: not resolved)' if gap_low <= 0 <= gap_high else ''": "note",
    "kept_band[0]": "kept_low", "kept_band[1]": "kept_high",
    "recorded['seed'].nunique()": "n_seeds",
    "table.groupby(['model', 'n_train'])['count'].min().to_dict()": "seeds",
    "near.groupby(['n_train', 'method']).size().min()": "seeds",
    "kind.upper()": "model",
    "info['Python']": "version",
    "fashion_blind.mean()": "fashion_share", "ink_in_blind_strip.mean()": "digit_share",
    "batch.ravel().round(3).tolist()": "values",
    "scratch_table['test accuracy'].min()": "low", "scratch_table['test accuracy'].max()": "high",
    "cu.get_profile()": "profile",
    "len(base_model.layers) - 1": "last",
    "dense_params // cnn.get_layer('conv1').count_params()": "ratio",
    "time.perf_counter() - start": "seconds",
    "{seed: round(d, 3) for seed, d in diff.items()}": "per_seed",
    "shared_model.get_layer('hidden') is donor.get_layer('hidden')": "same",
    "returned is batch": "same",
    "accuracy(donor, x_src_test, y_src_test)": "donor_acc_after",
    "stats.expected_false_exclusions(len(paired))": "chance", "stats.expected_false_exclusions(n_intervals)": "chance",
    "len(demo_history.history['val_loss'])": "stopped_at",
    "cu.data_mirror() or 'none: files come from their original websites'": "mirror",
    "birds.fetch_birds()": "folder", "cu.data_dir()": "folder",
    "keras.__version__": "keras_version",
    "1 - 0.05 / n_compared": "level",
    "{init: float(lr) for init, lr in best.items()}": "rates",
    "stats.expected_false_exclusions(n_compared)": "chance",
    "stats.expected_false_exclusions(len(compared))": "chance",
    "sorted(missing)": "species", "sorted(wanted_meta - set(meta))": "files",
    "staging.with_name('birds') / relpath": "cache_path", "entry.size / 1000000.0": "megabytes",
    "err.strerror or err": "reason", "type(err).__name__": "error_type", "len(scan.class_names)": "n_classes",
    "spec.weights_file": "weights_file", "keras_models_dir()": "keras_dir", "entry.key": "key",
    "entry.url": "url", "spec.name": "name", "target.parent": "folder",
    "row['test cross-entropy before']": "before", "row['test cross-entropy after']": "after",
    "len(losses)": "last",
    "source_record['source val accuracy']": "accuracy", "source_record['validation photos']": "n_photos",
    "1 / len(source_species)": "chance", "source_model.count_params()": "n_weights",
    "int(source_photos.is_val.sum())": "n_held_out", "len(source_photos.files)": "n_photos",
    "int((gap == 0).sum())": "n_identical", "gap.max()": "largest",
    "stats.expected_false_exclusions(len(live_gains))": "chance",
    "stats.expected_false_exclusions(len(grid_gains))": "chance",
    "trained.drop('pixels').idxmax()": "best_stage", "trained.drop('pixels').max()": "best",
    "near.drop('pixels').idxmax()": "best_stage", "near.drop('pixels').max()": "best",
    "trained['pixels']": "pixels", "near['pixels']": "pixels", "change['edge map']": "change",
    "feats['test'].compute_seconds": "seconds", "len(y_test)": "n_test",
    "backbones.trainable_params(model)": "n_trainable", "backbones.count_params(model)": "n_weights",
}


class Placeholders:
    """Expression source -> placeholder name, shared by the English and the Chinese text of one call."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def name(self, expr: ast.expr, create: bool) -> str:
        source = ast.unparse(expr)
        if source not in self.names:
            if not create:
                raise Unconvertible(f"the Chinese text uses {source!r}, the English does not")
            base = PREFERRED.get(source) or _clean(_base_name(expr))
            name, n = base, 2
            while name in self.names.values():
                name, n = f"{base}{n}", n + 1
            self.names[source] = name
        return self.names[source]


def _template(node: ast.expr, placeholders: Placeholders, english: bool) -> tuple[list[tuple[bool, str]], bool]:
    """The text as pieces ``(is_field, text)``, and whether it has fields."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [(False, node.value)], False
    if not isinstance(node, ast.JoinedStr):
        raise Unconvertible(f"{ast.unparse(node)[:60]!r} is not a string literal or an f-string")
    pieces: list[tuple[bool, str]] = []
    for part in node.values:
        if isinstance(part, ast.Constant):
            pieces.append((False, part.value))
            continue
        spec = ""
        if part.format_spec is not None:
            if not all(isinstance(p, ast.Constant) for p in part.format_spec.values):
                raise Unconvertible("a format spec with an expression")
            spec = ":" + "".join(p.value for p in part.format_spec.values)
        name = placeholders.name(part.value, create=english)
        pieces.append((True, "{" + name + CONVERSIONS[part.conversion] + spec + "}"))
    return pieces, any(is_field for is_field, _ in pieces)


def _join(pieces: list[tuple[bool, str]], formatted: bool) -> str:
    return "".join(text if is_field or not formatted else text.replace("{", "{{").replace("}", "}}")
                   for is_field, text in pieces)


def literal(text: str) -> str:
    """``text`` as a double-quoted Python string literal (non-ASCII kept as is)."""
    body = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{body}"'


def _chunks(text: str, width: int) -> list[str]:
    """``text`` cut at spaces (kept at the end of a chunk) or after a newline, each chunk's literal within width."""
    chunks: list[str] = []
    current = ""
    for word in _words(text):
        if current and (len(literal(current + word)) > width or current.endswith("\n")):
            chunks.append(current)
            current = ""
        current += word
    if current:
        chunks.append(current)
    return chunks


def _words(text: str) -> list[str]:
    words, current = [], ""
    for char in text:
        current += char
        if char in " \n":
            words.append(current)
            current = ""
    return words + ([current] if current else [])


def render(prefix: str, msgid: str, values: dict[str, str], column: int) -> str:
    """The call ``prefix + literal + values + ")"``, wrapped to WIDTH with continuation lines under the literal."""
    args = [f"{name}={source}" for name, source in values.items()]
    one_line = prefix + literal(msgid) + "".join(", " + arg for arg in args) + ")"
    if column + len(one_line) <= WIDTH:
        return one_line
    indent = column + len(prefix)
    lines = [literal(chunk) for chunk in _chunks(msgid, max(WIDTH - indent, 40))]
    for arg in args:
        if indent + len(lines[-1]) + 2 + len(arg) + 1 <= WIDTH:
            lines[-1] += ", " + arg
        else:
            lines[-1] += ","
            lines.append(arg)
    lines[-1] += ")"
    return prefix + ("\n" + " " * indent).join(lines)


def convert_call(call: ast.Call, source_lines: list[bytes]) -> tuple[str, str, str]:
    """``(replacement code, msgid, translation)`` for one say()/say_in() call."""
    func = call.func
    is_say_in = (func.id if isinstance(func, ast.Name) else func.attr) == "say_in"
    texts = call.args[1:] if is_say_in else call.args
    if len(texts) != 2 or call.keywords:
        raise Unconvertible("not called with two texts")
    placeholders = Placeholders()
    en_pieces, formatted = _template(texts[0], placeholders, english=True)
    zh_pieces, zh_formatted = _template(texts[1], placeholders, english=False)
    msgid, translation = _join(en_pieces, formatted), _join(zh_pieces, formatted)
    if not msgid:
        raise Unconvertible("empty English text")
    owner = ast.unparse(func.value) + "." if isinstance(func, ast.Attribute) else ""
    prefix = owner + ("tr_in(" + ast.unparse(call.args[0]) + ", " if is_say_in else "tr(")
    line = source_lines[call.lineno - 1]
    column = len(line[:call.col_offset].decode("utf-8"))
    values = {name: source for source, name in placeholders.names.items()}
    return render(prefix, msgid, values, column), msgid, translation


def _offset(source_lines: list[bytes], line: int, column: int) -> int:
    return sum(len(text) for text in source_lines[:line - 1]) + column


def conversions(source: bytes, where: str) -> tuple[list[Conversion], list[str]]:
    """Every convertible say() call of a file, and a note for each one that is not."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    found, skipped = [], []
    outer: list[tuple[int, int]] = []
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)
             and (getattr(node.func, "id", None) or getattr(node.func, "attr", None)) in ("say", "say_in")]
    for call in sorted(calls, key=lambda c: (c.lineno, c.col_offset)):
        start = _offset(lines, call.lineno, call.col_offset)
        end = _offset(lines, call.end_lineno, call.end_col_offset)
        if any(a <= start < b for a, b in outer):
            skipped.append(f"{where}:{call.lineno}: a say() inside another say(): convert it by hand")
            continue
        try:
            code, msgid, translation = convert_call(call, lines)
        except Unconvertible as err:
            skipped.append(f"{where}:{call.lineno}: {err}: convert it by hand")
            continue
        outer.append((start, end))
        found.append(Conversion(start, end, code, msgid, translation))
    return found, skipped


def zh_keyword_conversions(source: bytes) -> list[Conversion]:
    """``exercise(..., hint="en", hint_zh="zh", recipe=..., recipe_zh=...)``: each ``X_zh=`` keyword whose ``X=`` is
    a string literal is removed, and its text recorded as the translation of ``X``'s (the catalog holds it now)."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    found = []
    for call in ast.walk(tree):
        if not isinstance(call, ast.Call):
            continue
        keywords = {k.arg: k for k in call.keywords}
        for i, keyword_zh in enumerate(call.keywords):
            if not (keyword_zh.arg and keyword_zh.arg.endswith("_zh")):
                continue
            english = keywords.get(keyword_zh.arg[:-3])
            if english is None or not all(isinstance(k.value, ast.Constant) and isinstance(k.value.value, str)
                                          for k in (english, keyword_zh)):
                continue
            before = call.keywords[i - 1].value if i else call.args[-1]
            start = _offset(lines, before.end_lineno, before.end_col_offset)
            end = _offset(lines, keyword_zh.value.end_lineno, keyword_zh.value.end_col_offset)
            if english.value.value.strip():
                found.append(Conversion(start, end, "", english.value.value.strip(), keyword_zh.value.value.strip()))
    return found


def rewrite(source: bytes, found: list[Conversion]) -> bytes:
    for item in sorted(found, key=lambda c: c.start, reverse=True):
        source = source[:item.start] + item.code.encode("utf-8") + source[item.end:]
    return source


def fix_imports(text: str) -> str:
    """``from .i18n import say`` -> ``tr`` (and ``say_in`` users keep their own import) when say is gone."""
    tree = ast.parse(text)
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    lines = text.split("\n")
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.endswith("i18n"):
            names = [alias.name for alias in node.names]
            keep = [n for n in names if n in used or n not in ("say",)]
            if "tr" in used and "tr" not in keep:
                keep.append("tr")
            if "tr_in" in used and "tr_in" not in keep:
                keep.append("tr_in")
            if keep != names and node.lineno == node.end_lineno:
                dots = "." * node.level
                lines[node.lineno - 1] = (" " * node.col_offset + f"from {dots}{node.module} import "
                                          + ", ".join(sorted(keep, key=str.lower)))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.tools.say_to_catalog", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--dry-run", action="store_true", help="list what would change; write nothing")
    parser.add_argument("--zh-keywords", action="store_true",
                        help="also move X_zh= keyword texts (exercise hints and recipes) into the catalog")
    parser.add_argument("--lessons", action="store_true",
                        help="the files are English lessons: wrap their f-string check names and hints and their "
                             "English prints in i18n.tr(...), in the lesson and its zh twin alike")
    args = parser.parse_args(argv)
    if args.lessons:
        print("\n".join(convert_lessons(args.files, args.dry_run)))
        return 0

    from ..config import repo_root
    from . import catalog

    root = repo_root()
    pairs: dict[str, str] = {}
    conflicts, notes = [], []
    for path in args.files:
        source = path.read_bytes()
        found, skipped = conversions(source, str(path))
        if args.zh_keywords:
            found += zh_keyword_conversions(source)
        notes.extend(skipped)
        for item in found:
            if pairs.setdefault(item.msgid, item.translation) != item.translation:
                conflicts.append(f"{path}: {item.msgid!r} has two translations: {pairs[item.msgid]!r} and "
                                 f"{item.translation!r}")
        print(f"{path}: {len(found)} call(s) converted, {len(skipped)} left")
        if not args.dry_run and found:
            text = rewrite(source, found).decode("utf-8")
            path.write_text(fix_imports(text), encoding="utf-8")
    print("\n".join(notes + conflicts))
    if args.dry_run:
        for msgid, translation in pairs.items():
            print(f"  {msgid!r}\n  -> {translation!r}")
        return 0
    catalog.update(root)
    for lang in catalog.CATALOG_LANGUAGES:
        entries = catalog.read_catalog(catalog.po_path(root, lang), lang)
        for msgid, translation in pairs.items():
            entry = entries.get(msgid)
            if entry is None:
                notes.append(f"{msgid!r} was not extracted")
            elif entry.string and entry.string != translation and not entry.fuzzy:
                print(f"kept the catalog's translation of {msgid!r}: {entry.string!r} (say() had {translation!r})")
            else:
                entry.string = translation
                entry.flags.discard("fuzzy")
        catalog.po_path(root, lang).write_bytes(catalog.po_text(entries))
    catalog.update(root)
    return 0



# --- lessons: what their code cells print ---------------------------------------------------------------------
CHECKS = {"check_at_least", "check_at_most", "check_between", "check_true"}
ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")


class _TranslateBranches(ast.NodeTransformer):
    """``'keeps' if x else 'overrides'`` -> ``i18n.tr('keeps') if x else i18n.tr('overrides')`` (words a learner reads)."""

    @staticmethod
    def _wrap(node: ast.expr) -> ast.expr:
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and ENGLISH_WORD.search(node.value):
            return ast.Call(ast.Attribute(ast.Name("i18n"), "tr"), [node], [])
        return node

    def visit_IfExp(self, node: ast.IfExp) -> ast.expr:
        self.generic_visit(node)
        node.body, node.orelse = self._wrap(node.body), self._wrap(node.orelse)
        return node

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.expr:
        self.generic_visit(node)
        node.values = [self._wrap(value) for value in node.values]
        return node


def _pieces_of_args(args: list[ast.expr], placeholders: Placeholders) -> tuple[list[tuple[bool, str]], bool]:
    """print()'s arguments as one text (joined by spaces, as print does), non-strings as placeholders."""
    pieces: list[tuple[bool, str]] = []
    for i, arg in enumerate(args):
        if i:
            pieces.append((False, " "))
        if isinstance(arg, (ast.Constant, ast.JoinedStr)) and (not isinstance(arg, ast.Constant)
                                                                or isinstance(arg.value, str)):
            pieces.extend(_template(arg, placeholders, english=True)[0])
        else:
            pieces.append((True, "{" + placeholders.name(arg, create=True) + "}"))
    return pieces, any(is_field for is_field, _ in pieces)


def _tr_call(pieces, formatted, placeholders: Placeholders, column: int) -> tuple[str, str]:
    msgid = _join(pieces, formatted)
    values = {}
    for source, name in placeholders.names.items():
        expr = _TranslateBranches().visit(ast.parse(source, mode="eval").body)
        values[name] = ast.unparse(expr)
    return render("i18n.tr(", msgid, values, column), msgid


def lesson_cell_conversions(code: str) -> tuple[list[Conversion], list[str]]:
    """The check names and hints written as f-strings, and the prints with English words, of one code cell."""
    lines = code.encode("utf-8").splitlines(keepends=True)
    tree = ast.parse(code)
    found, notes = [], []
    for call in ast.walk(tree):
        if not isinstance(call, ast.Call):
            continue
        name = getattr(call.func, "id", None) or getattr(call.func, "attr", None)
        targets: list[list[ast.expr]] = []
        if name in CHECKS:
            targets = [[node] for node in call.args[:1] + [k.value for k in call.keywords if k.arg == "hint"]
                       if isinstance(node, ast.JoinedStr)]
        elif name == "print" and call.args and not any(k.arg == "sep" for k in call.keywords):
            if any(isinstance(a, ast.Call) and getattr(a.func, "attr", None) == "tr" for a in call.args):
                continue
            targets = [call.args]
        for args in targets:
            placeholders = Placeholders()
            try:
                pieces, formatted = _pieces_of_args(args, placeholders)
            except Unconvertible as err:
                notes.append(f"line {args[0].lineno}: {err}")
                continue
            if not ENGLISH_WORD.search("".join(text for is_field, text in pieces if not is_field)):
                continue
            column = len(lines[args[0].lineno - 1][:args[0].col_offset].decode("utf-8"))
            code_text, msgid = _tr_call(pieces, formatted, placeholders, column)
            start = _offset(lines, args[0].lineno, args[0].col_offset)
            end = _offset(lines, args[-1].end_lineno, args[-1].end_col_offset)
            found.append(Conversion(start, end, code_text, msgid, ""))
    return found, notes


def add_i18n_import(code: str) -> str:
    """Add ``i18n`` to the lesson's ``from course_utils import ...`` statement (one line or parenthesised over
    several), rewrapped to WIDTH, or a line of its own after ``import course_utils as cu``."""
    tree = ast.parse(code)
    lines = code.split("\n")
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "course_utils" and node.level == 0 \
                and not any(alias.asname for alias in node.names):
            names = [alias.name for alias in node.names]
            if "i18n" in names:
                return code
            names = sorted(names + ["i18n"])
            new = "from course_utils import " + ", ".join(names)
            if len(new) > WIDTH:
                head, indent = "from course_utils import (", " " * len("from course_utils import (")
                wrapped, current = [], head
                for i, name in enumerate(names):
                    piece = name + (", " if i < len(names) - 1 else ")")
                    if len(current + piece.rstrip()) > WIDTH:
                        wrapped.append(current.rstrip())
                        current = indent
                    current += piece
                new = "\n".join(wrapped + [current])
            lines[node.lineno - 1:node.end_lineno] = new.split("\n")
            return "\n".join(lines)
    for i, line in enumerate(lines):
        if line == "import course_utils as cu":
            lines.insert(i + 1, "from course_utils import i18n")
            return "\n".join(lines)
    raise Unconvertible("no `import course_utils as cu` in the import cell")


def convert_lessons(paths: list[Path], dry_run: bool) -> list[str]:
    """Convert the code cells of English lessons and write the same code into their zh twins."""
    from .catalog import notebook_code
    from .translations import read_notebook, source_of, translation_folder, write_notebook

    notes = []
    for path in paths:
        english = read_notebook(path)
        twin_path = translation_folder(path.parent) / path.name
        twin = read_notebook(twin_path)
        twin_cells = {cell.get("id"): cell for cell in twin["cells"]}
        blanked = dict(notebook_code(path))
        changed = 0
        needs_import = False
        for cell in english["cells"]:
            if cell["cell_type"] != "code" or cell.get("id") == "colab-setup":
                continue
            source = source_of(cell)
            try:
                found, cell_notes = lesson_cell_conversions(blanked[cell["id"]])
            except SyntaxError:
                continue
            notes.extend(f"{path.name}#{cell['id']} {note}" for note in cell_notes)
            if not found:
                continue
            new = rewrite(source.encode("utf-8"), found).decode("utf-8")
            for item in found:
                print(f"{path.name}#{cell['id']}: {item.code}")
            twin_cell = twin_cells.get(cell["id"])
            if twin_cell is None or source_of(twin_cell) != source:
                notes.append(f"{path.name}#{cell['id']}: the zh twin's code differs: run `translations sync` first")
                continue
            for target in (cell, twin_cell):
                target["source"] = new.splitlines(keepends=True)
            changed += 1
            needs_import = True
        if needs_import:
            for cell in english["cells"]:
                source = source_of(cell)
                if cell["cell_type"] == "code" and "import course_utils as cu" in source:
                    new = add_i18n_import(source)
                    for target in (cell, twin_cells[cell["id"]]):
                        target["source"] = new.splitlines(keepends=True)
        print(f"{path}: {changed} cell(s) converted")
        if not dry_run and changed:
            write_notebook(path, english)
            write_notebook(twin_path, twin)
    return notes


if __name__ == "__main__":
    sys.exit(main())
