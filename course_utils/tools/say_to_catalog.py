"""Move side-by-side ``say(english, chinese)`` messages into the message catalog (a migration, run once per file).

For each ``say(en, zh)`` (or ``i18n.say``) call, and each ``say_in(lang, en, zh)``, whose two texts are string
literals or f-strings, it writes ``tr("<en with named placeholders>", name=expression, ...)`` (``tr_in(lang, ...)``)
in its place and records the pair; then it updates the catalog (``translations catalog``) and enters each
Chinese text as the translation of its English msgid. An f-string's ``{expression!r:spec}`` becomes a named
placeholder ``{name!r:spec}`` in both texts, the name taken from the expression (``path.name`` -> ``name``,
``config.data_dir()`` -> ``data_dir``, ``len(files)`` -> ``n_files``). A call it cannot convert (a text held in a
variable, an expression only the Chinese uses, an existing different translation) is listed and left as is::

    python -m course_utils.tools.say_to_catalog course_utils/data/fetch.py [...]      # --dry-run: list only
"""
from __future__ import annotations

import argparse
import ast
import keyword
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


def _base_name(expr: ast.expr) -> str:
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        if expr.attr == "__name__":
            return _base_name(expr.value.func if isinstance(expr.value, ast.Call) else expr.value) + "_name"
        return expr.attr
    if isinstance(expr, ast.Call):
        func = expr.func
        if isinstance(func, ast.Name) and func.id == "len" and expr.args:
            return "n_" + _base_name(expr.args[0])
        if isinstance(func, ast.Attribute) and func.attr == "join" and expr.args:
            return _base_name(expr.args[0])
        return _base_name(func)
    if isinstance(expr, ast.Subscript):
        return _base_name(expr.value)
    if isinstance(expr, ast.BoolOp):
        return _base_name(expr.values[0])
    if isinstance(expr, (ast.ListComp, ast.GeneratorExp)):
        return _base_name(expr.generators[0].iter)
    return "value"


def _clean(name: str) -> str:
    name = name.strip("_") or "value"
    return name + "_" if keyword.iskeyword(name) else name


class Placeholders:
    """Expression source -> placeholder name, shared by the English and the Chinese text of one call."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def name(self, expr: ast.expr, create: bool) -> str:
        source = ast.unparse(expr)
        if source not in self.names:
            if not create:
                raise Unconvertible(f"the Chinese text uses {source!r}, the English does not")
            base = _clean(_base_name(expr))
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
    args = parser.parse_args(argv)

    from ..config import repo_root
    from . import catalog

    root = repo_root()
    pairs: dict[str, str] = {}
    conflicts, notes = [], []
    for path in args.files:
        source = path.read_bytes()
        found, skipped = conversions(source, str(path))
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


if __name__ == "__main__":
    sys.exit(main())
