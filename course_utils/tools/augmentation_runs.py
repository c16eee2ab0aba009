"""Lesson 6's recorded experiment: every augmentation condition against the same control, same seeds and budget.

The lesson trains "none" and "flip + shift" live; this command runs any conditions of
:data:`course_utils.lessons.augmentation.CONDITIONS` (rotation and zoom included) with the
lesson's full-profile data and budget, and appends one row per run to a CSV. Rows already in
the CSV (same condition, seed and epochs) are skipped, so an interrupted run resumes.

Example (from the course folder; set ``COURSE_DATA_MIRROR`` first if you are offline)::

    python -m course_utils.tools.augmentation_runs --conditions none "flip + shift" rotation zoom \\
        --seeds 0 1 2 --epochs 50 --csv docs/results/06_augmentation_runs.csv
    python -m course_utils.tools.augmentation_runs --table --csv docs/results/06_augmentation_runs.csv
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..lessons.augmentation import FULL_PROFILE, read_runs, recorded_table

# The lesson's full-profile sizes (its parameter cell): training, validation and test images.
N_TRAIN, N_VAL, N_TEST, VAL_SEED = (FULL_PROFILE[k] for k in ("N_TRAIN", "N_VAL", "N_TEST", "VAL_SEED"))


def fashion_split(seed: int):
    """The lesson's data for ``seed``: ``(train, val, test)`` as ``(x, y)`` pairs scaled to [0, 1]."""
    from ..data import datasets
    from ..runs import stratified_sample

    fashion = datasets.load_fashion_mnist()
    x = fashion.x_train[..., None].astype("float32") / 255.0
    y = fashion.y_train.astype("int64")
    val_idx = stratified_sample(y, N_VAL, seed=VAL_SEED)
    train_idx = stratified_sample(y, N_TRAIN, seed, exclude=val_idx)
    test = (fashion.x_test[:N_TEST, ..., None].astype("float32") / 255.0, fashion.y_test[:N_TEST].astype("int64"))
    return (x[train_idx], y[train_idx]), (x[val_idx], y[val_idx]), test


def append_row(csv: Path, row: dict) -> None:
    """Append one run to ``csv`` (header written on first use)."""
    import pandas as pd

    frame = pd.DataFrame([dict(row, val_curve=json.dumps([round(v, 5) for v in row["val_curve"]]))])
    frame.to_csv(csv, mode="a", header=not csv.exists(), index=False)


def run(conditions: list[str], seeds: list[int], epochs: int, csv: Path) -> None:
    """Train every (seed, condition) not yet in ``csv`` and append it."""
    from ..lessons import augmentation

    done = {(r["condition"], int(r["seed"]), int(r["epochs"])) for r in read_runs(csv)}
    for seed in seeds:
        train, val, test = fashion_split(seed)
        for condition in conditions:
            if (condition, seed, epochs) in done:
                continue
            row = augmentation.train_and_score(condition, seed, train, val, test, epochs,
                                               FULL_PROFILE["BATCH_SIZE"], FULL_PROFILE["LEARNING_RATE"])
            append_row(csv, row)
            print(f"seed {seed} {condition:>12}: test {row['test_accuracy']:.3f} train {row['train_accuracy']:.3f} "
                  f"({row['seconds']:.0f} s)", flush=True)


def table(csv: Path, baseline: str = "none") -> str:
    """The recorded runs as a Markdown table (:func:`course_utils.lessons.augmentation.recorded_table`)."""
    from .. import stats

    runs = read_runs(csv)
    summary = recorded_table(runs, baseline)
    n_compared = len(summary) - 1
    lines = ["| condition | train accuracy (clean) | test accuracy | gap (train − test) | paired test difference "
             f"vs {baseline} [95% t interval] | verdict | interval corrected for {n_compared} comparisons "
             f"(Bonferroni) | late gain (last 10 epochs) | late gain − {baseline}'s, per seed [95% t interval] "
             "| seconds per run |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for condition, row in summary.iterrows():
        cells = [f"{row[f'{m} mean']:.3f} ± {row[f'{m} sd']:.3f}" for m in ("train_accuracy", "test_accuracy", "gap")]
        if condition == baseline:
            diff_cell, verdict_cell, corrected_cell, late_cell = "(control)", "", "", ""
        else:
            diff_cell = f"{row['gain']:+.3f} [{row['low']:+.3f}, {row['high']:+.3f}]"
            verdict_cell = row["verdict"]
            corrected_cell = (f"[{row['low (corrected)']:+.3f}, {row['high (corrected)']:+.3f}] "
                              f"{row['verdict (corrected)']}")
            late_cell = (f"{row['late gain − control']:+.4f} [{row['late gain − control low']:+.4f}, "
                         f"{row['late gain − control high']:+.4f}], above 0 in {int(row['seeds rising more'])} "
                         f"of {int(row['seeds'])} seeds")
        lines.append(f"| {condition} | {' | '.join(cells)} | {diff_cell} | {verdict_cell} | {corrected_cell} | "
                     f"{row['late gain']:+.4f} | {late_cell} | {row['seconds mean']:.0f} ± "
                     f"{row['seconds sd']:.0f} |")
    seeds = sorted({int(r["seed"]) for r in runs})
    lines.append(f"\nn = {len(seeds)} seeds ({seeds}), {int(runs[0]['epochs'])} epochs; mean ± sd over seeds "
                 f"(sd: spread between runs, not uncertainty). {n_compared} paired intervals: when nothing differs, "
                 f"about {stats.expected_false_exclusions(n_compared):.2f} of them would exclude 0 by chance alone.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    from ..lessons.augmentation import CONDITIONS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conditions", nargs="+", default=list(CONDITIONS), choices=list(CONDITIONS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=FULL_PROFILE["EPOCHS"])
    parser.add_argument("--csv", type=Path, default=Path("docs/results/06_augmentation_runs.csv"))
    parser.add_argument("--table", action="store_true", help="print the summary table of the CSV and stop")
    args = parser.parse_args(argv)
    if not args.table:
        from .. import env

        env.setup(show=False)
        run(args.conditions, args.seeds, args.epochs, args.csv)
    print(table(args.csv))


if __name__ == "__main__":
    main()
