"""Which datasets are on this machine, and prefetching them all before a class."""
from __future__ import annotations

import sys

from .. import config
from ..i18n import tr
from .birds import BIRD_SPECIES, birds_dir, fetch_birds, prepared_birds_problem
from .fetch import DataUnavailableError, cache_path, fetch_file, file_status
from .registry import BACKBONES, REGISTRY, backbone_spec, files_of

COURSE_DATASETS = ("mnist", "fashion-mnist")  # array datasets every learner needs


def dataset_status(include_weights: bool = True):
    """A table (pandas DataFrame) of every course file: status, size and cache path.

    Column names and status words stay English in every edition: lessons select columns by
    name and tests compare the statuses (the Chinese lesson runs the same code). The ``file`` of
    the two rows that are not one file (the bird folders, iris) is a description, in the lesson's language.

    Status is ``verified`` (checksum matches), ``corrupt``, ``missing``, for the
    prepared bird folder ``prepared`` (re-checked against its record: count and split file)
    or ``damaged`` (a record exists but the folder no longer matches it), and for iris, which
    scikit-learn ships (no file of the course's, no checksum), ``bundled``.
    """
    import pandas as pd

    rows = []
    for entry in REGISTRY.values():
        if entry.dataset.startswith("weights") and not include_weights:
            continue
        rows.append({"dataset": entry.dataset, "file": entry.key.split("/", 1)[1],
                     "size (MB)": round(entry.size / 1e6, 1), "status": file_status(entry.key),
                     "path": str(cache_path(entry.key))})
    birds = birds_dir()
    rows.append({"dataset": "birds (prepared)", "file": tr("{n} species folders", n=len(BIRD_SPECIES)),
                 "size (MB)": round(_folder_size(birds) / 1e6, 1),
                 "status": _birds_status(birds), "path": str(birds)})
    rows.append({"dataset": "iris", "file": tr("(bundled with scikit-learn)"), "size (MB)": 0.0,
                 "status": "bundled", "path": "sklearn.datasets.load_iris"})
    return pd.DataFrame(rows)


def _birds_status(folder) -> str:
    """``prepared`` when the folder passes the same cheap check lessons run before use."""
    problem = prepared_birds_problem(folder)
    if problem is None:
        return "prepared"
    return "missing" if not folder.exists() or "never completed" in problem else "damaged"


def prefetch(datasets: tuple[str, ...] = COURSE_DATASETS, birds: bool = True,
             backbones: tuple[str, ...] = ()) -> None:
    """Fetch and verify every file of ``datasets`` (and the ImageNet weights of ``backbones``).

    Run it before a class without internet: ``python -m course_utils.data.status`` fetches
    everything, the ImageNet weights of every backbone included, and puts those into Keras' cache.

    Raises:
        UnknownNameError (a KeyError): an unknown dataset or backbone name (checked before anything
            is fetched).
    """
    entries = [entry for name in datasets for entry in files_of(name)]
    specs = [backbone_spec(name) for name in backbones]
    for entry in entries:
        state = file_status(entry.key)
        fetch_file(entry.key)
        if state == "verified":
            print(tr("{key}: already cached and verified", key=entry.key))
        else:
            print(tr("{key}: fetched and verified", key=entry.key))
    if birds:
        folder = fetch_birds()
        print(tr("birds: prepared at {folder}", folder=folder))
    for spec in specs:
        from .weights import fetch_imagenet_weights  # imports Keras: only when weights are asked for

        path = fetch_imagenet_weights(spec.name)
        print(tr("{name}: ImageNet weights verified at {path}", name=spec.name, path=path))
    print(tr("Everything is cached under {data_dir}", data_dir=config.data_dir()))


def _folder_size(folder) -> int:
    """Total bytes of the files under ``folder`` (0 if absent)."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.exists() else 0


def main() -> int:
    """``python -m course_utils.data.status`` (``make prefetch``): fetch everything, then show the table."""
    try:
        prefetch(backbones=tuple(BACKBONES))
    except DataUnavailableError as err:  # the message says which file, where from, and what to do
        print(tr("Prefetch stopped: {err}", err=err), file=sys.stderr)
        return 1
    finally:
        print(dataset_status().to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
