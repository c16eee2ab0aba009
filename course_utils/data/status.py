"""Which datasets are on this machine, and prefetching them all before a class."""
from __future__ import annotations

from .. import config
from .birds import BIRD_SPECIES, birds_dir, fetch_birds
from .fetch import cache_path, fetch_file, file_status
from .registry import REGISTRY, files_of

COURSE_DATASETS = ("mnist", "fashion-mnist")  # array datasets every learner needs


def dataset_status(include_weights: bool = True):
    """A table (pandas DataFrame) of every course file: status, size and cache path.

    Status is ``verified`` (checksum matches), ``corrupt``, ``missing``, or for the
    prepared bird folder ``prepared``.
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
    rows.append({"dataset": "birds (prepared)", "file": f"{len(BIRD_SPECIES)} species folders",
                 "size (MB)": round(_folder_size(birds) / 1e6, 1),
                 "status": "prepared" if (birds / ".complete").exists() else "missing", "path": str(birds)})
    rows.append({"dataset": "iris", "file": "(bundled with scikit-learn)", "size (MB)": 0.0,
                 "status": "verified", "path": "sklearn.datasets.load_iris"})
    return pd.DataFrame(rows)


def prefetch(datasets: tuple[str, ...] = COURSE_DATASETS, birds: bool = True) -> None:
    """Fetch and verify every file of ``datasets``, e.g. before a class without internet.

    Raises:
        UnknownNameError (a KeyError): an unknown dataset name (checked before anything is fetched).
    """
    entries = [entry for name in datasets for entry in files_of(name)]
    for entry in entries:
        state = file_status(entry.key)
        fetch_file(entry.key)
        print(f"{entry.key}: " + ("already cached and verified" if state == "verified" else "fetched and verified"))
    if birds:
        print(f"birds: prepared at {fetch_birds()}")
    print(f"Everything is cached under {config.data_dir()}")


def _folder_size(folder) -> int:
    """Total bytes of the files under ``folder`` (0 if absent)."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.exists() else 0


if __name__ == "__main__":  # `python -m course_utils.data.status`: prefetch everything, then show the table
    prefetch()
    print(dataset_status().to_string(index=False))
