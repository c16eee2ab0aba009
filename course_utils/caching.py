"""Name cached results by what produced them, and write them so a crash never leaves half a file.

Every cache in the course (lesson 5's results CSVs, lesson 7's feature files, saved
models) follows the same two rules:

* **The key is a hash of everything the result depends on**, so a changed setting
  misses the cache instead of showing an old number: :func:`stable_key` for settings,
  :func:`weights_fingerprint` for weight values, :func:`architecture_fingerprint` for a
  model's graph (layers, their settings, how they connect).
* **Files are written to a temporary file in the same folder and moved into place**
  (:func:`atomic_write`), so an interrupted run leaves either the old file or the new one
  at the final path, never a truncated one.

Nothing here imports TensorFlow; the fingerprints only call methods of the model passed in.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import numpy as np


def stable_key(value: Any, length: int = 16) -> str:
    """Short SHA-256 of ``value`` written as sorted JSON: the same value gives the same key in every run.

    Values JSON cannot hold (paths, NumPy scalars) are written with ``str``.

    Example:
        >>> stable_key({"lr": 0.001, "seed": 0}) == stable_key({"seed": 0, "lr": 0.001})
        True
    """
    text = json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def weights_fingerprint(model, length: int = 12) -> str:
    """Short SHA-256 of every weight value of a Keras model, in order (as float32).

    Changes whenever any weight changes: "the same architecture trained again" or
    "random weights with another seed" is another fingerprint. The graph is not part of
    it (see :func:`architecture_fingerprint`).

    Example:
        >>> weights_fingerprint(model)
        '5fb43984a0cb'
    """
    digest = hashlib.sha256()
    for weight in model.get_weights():
        digest.update(np.ascontiguousarray(weight, dtype="float32").tobytes())
    return digest.hexdigest()[:length]


def architecture_fingerprint(model, length: int = 16) -> str:
    """Short hash of a Keras model's graph: every layer's class and settings, and how the layers connect.

    Layer names are replaced by their position in the model, so the same model built twice
    (where Keras numbers automatic names ``conv2d_3``, ``conv2d_7``, ...) gets the same
    fingerprint, while another pooling, preprocessing step or layer choice gets another.
    Weight values are not part of it (see :func:`weights_fingerprint`).
    """
    config = model.get_config()
    names = _layer_names(config)
    return stable_key(_rename(config, {name: f"#{i}" for i, name in enumerate(names)}), length)


def _layer_names(config: Any) -> list[str]:
    """Names of the model and of every layer in a model config (nested models included), in order."""
    found: list[str] = []

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("layers"), list):
                found.append(node.get("name"))
                for layer in node["layers"]:
                    found.append(layer.get("name") or layer.get("config", {}).get("name"))
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(config)
    return list(dict.fromkeys(name for name in found if isinstance(name, str)))


def _rename(node: Any, tokens: dict[str, str]) -> Any:
    """``node`` with every string that is a layer name replaced by its token."""
    if isinstance(node, dict):
        return {key: _rename(value, tokens) for key, value in node.items()}
    if isinstance(node, (list, tuple)):
        return [_rename(value, tokens) for value in node]
    return tokens.get(node, node) if isinstance(node, str) else node


@contextmanager
def atomic_write(path: Path | str) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it onto ``path`` only when the block finishes.

    If the block raises (or the process dies), the final path still holds the previous
    file, or nothing, and the temporary file is removed. The temporary name keeps
    ``path``'s suffix, so writers that check it (``model.save`` wants ``.keras``) accept it.

    Example:
        >>> with atomic_write("artifacts/model.keras") as tmp:
        ...     model.save(tmp)
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=f".partial{path.suffix}")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, _file_mode(path))  # mkstemp makes private (0600) files; keep the usual permissions
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes_atomically(path: Path | str, data: bytes) -> None:
    """Write ``data`` to ``path`` through :func:`atomic_write`: a reader sees the old file or the new one, never half."""
    with atomic_write(path) as tmp:
        tmp.write_bytes(data)


def _file_mode(path: Path) -> int:
    """Permissions for a new version of ``path``: the old file's, else what ``open`` would give (0666 minus umask)."""
    if path.exists():
        return path.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
