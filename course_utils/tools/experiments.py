"""Command-line experiments for lesson 5: the full MNIST -> Fashion-MNIST transfer grid.

The lesson runs a small slice live; this module runs the whole grid (every method, every
training-set size N, several seeds) and appends one row per run to a CSV keyed by every
parameter (:func:`course_utils.lessons.transfer_runs.config_key`). Rerunning skips rows already there,
so an interrupted grid resumes where it stopped.

Examples (from the course checkout)::

    python -m course_utils.tools.experiments grid --model mlp --n 100 300 1000 3000 10000 55000 --seeds 0 1 2
    python -m course_utils.tools.experiments advanced --model mlp --n 300 --seeds 0 1 2
    python -m course_utils.tools.experiments control --model mlp --csv docs/results/05_transfer_budget.csv
    python -m course_utils.tools.experiments table --csv docs/results/05_transfer_grid*.csv

The frozen body's untrained control (a frozen body left at its random initialisation) runs through ``grid`` with
``--methods "frozen random body"`` into ``docs/results/05_transfer_random_body.csv`` (and through ``control`` with
the same option, for the budget control's cells); give ``table`` that file beside the grid's files (or beside the
budget control's file) and it adds the control's tables.

The near-domain control (MNIST digits 0-4 -> 5-9) has its own command, in the module that defines it::

    python -m course_utils.lessons.transfer_grid near --seeds 0 1 2 3 4 --csv docs/results/05_transfer_near.csv

``control`` is the budget control: the grid's cells at N = 300 and 1000 (scratch, frozen body,
two-stage) with a much larger epoch cap (``transfer_grid.CONTROL_MAX_EPOCHS``), early stopping unchanged.
Keep its rows in their own CSV and give ``table`` that file alone: its rows differ from the grid's
only in ``max_epochs``, and ``table`` pairs rows by model, N and seed.

What the grid holds (sizes, seeds, budget, sweeps) is defined in
:mod:`course_utils.lessons.transfer_grid`, which the lesson reads too. The source models
are trained from ``SOURCE_RECIPE`` (not read from the lesson-4 artefact), so the grid is
reproducible on its own; every row records the recipe.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import config
from ..caching import weights_fingerprint
from ..lessons.transfer_data import load_target_data
from ..lessons.transfer_grid import (ALPHAS, CONTROL_METHODS, CONTROL_N, LAMBDAS, N_GRID, SEEDS, advanced_configs,
                                     control_configs, grid_configs, grid_source_model, source_tag)
from ..lessons.transfer_results import (choose_on_validation, complete_seeds, paired_gains, random_body_markdown,
                                        summarise)
from ..lessons.transfer_runs import ADVANCED_METHODS, METHODS, RANDOM_BODY, cached_run, config_key

DEFAULT_CSV = (config.repo_root() or Path.cwd()) / "docs" / "results" / "05_transfer_grid.csv"  # not cwd-relative


def run_configs(cfgs: list, csv: Path) -> None:
    """Run every config not yet in ``csv`` (cached ones are skipped)."""
    kind = cfgs[0].model
    needs_source = any(c.method not in ("scratch", RANDOM_BODY) for c in cfgs)   # those two copy no weights
    source = grid_source_model(kind) if needs_source else None
    data = load_target_data(kind, val_size=cfgs[0].val_size, with_source=any(c.method == "joint" for c in cfgs))
    weights = weights_fingerprint(source) if needs_source else "not needed"
    print(f"source {source_tag(kind)} weights {weights}; {len(cfgs)} configs -> {csv}", flush=True)
    for cfg in cfgs:
        cached_run(cfg, data, source, csv)


def markdown_table(csvs, model: str | None = None) -> str:
    """Mean ± sd test accuracy (n seeds) per method and N, as a Markdown table, from one or more CSVs.

    A seed counts only where every method ran on it (:func:`course_utils.lessons.transfer_results.complete_seeds`).
    """
    import pandas as pd

    csvs = [csvs] if isinstance(csvs, (str, Path)) else csvs
    everything = pd.concat([pd.read_csv(path) for path in csvs], ignore_index=True).drop_duplicates("key")
    table = complete_seeds(everything[everything["method"].isin(METHODS)])
    lines = []
    for kind in [model] if model else sorted(table["model"].unique()):
        stats = summarise(table[table["model"] == kind])
        wide = stats.assign(cell=stats.apply(_cell, axis=1)).pivot(index="n_train", columns="method", values="cell")
        wide = wide[[m for m in METHODS if m in wide.columns]]
        lines += [f"**{kind.upper()}**: test accuracy, mean ± sd (number of seeds)", "",
                  "| N | " + " | ".join(wide.columns) + " |", "|---" * (len(wide.columns) + 1) + "|"]
        lines += [f"| {n} | " + " | ".join(str(v) for v in row) + " |" for n, row in wide.iterrows()]
        lines.append("")
        lines += paired_lines(table[table["model"] == kind], kind)
        if "epochs" in table.columns:
            lines += epochs_lines(table[table["model"] == kind], kind, int(table["max_epochs"].max()))
    return "\n".join(lines + advanced_lines(everything) + selection_lines(everything) + random_body_lines(everything))


def random_body_lines(everything) -> list[str]:
    """Markdown rows of the frozen body's untrained control, when the files hold its rows beside the grid's.

    One set of tables per epoch cap of the control's rows (the grid's 15; 50 pairs with the budget control's file).
    """
    control = everything[everything["method"] == RANDOM_BODY]
    lines = []
    for cap in sorted(control["max_epochs"].unique()):
        kinds = sorted(control.loc[control["max_epochs"] == cap, "model"].unique())
        keys = {config_key(c) for kind in kinds
                for c in grid_configs(kind, methods=("scratch", "frozen body", RANDOM_BODY), max_epochs=int(cap))}
        runs = complete_seeds(everything[everything["key"].isin(keys)])
        if runs["method"].eq(RANDOM_BODY).any() and runs["method"].eq("frozen body").any():
            lines += random_body_markdown(runs, f"far target (Fashion-MNIST), cap {int(cap)} epochs")
    return lines


def epochs_lines(table, kind: str, cap: int) -> list[str]:
    """Markdown rows: epochs each method ran per N, as min-max over the seeds (early stopping's patience included)."""
    spans = table.groupby(["n_train", "method"])["epochs"].agg(["min", "max"])
    methods = [m for m in METHODS if m in set(table["method"])]
    lines = [f"**{kind.upper()}**: epochs run, min-max over the seeds (the epochs early stopping waited are "
             f"included; {cap} = the cap was reached)", "", "| N | " + " | ".join(methods) + " |",
             "|---" * (len(methods) + 1) + "|"]
    for n in sorted(table["n_train"].unique()):
        cells = []
        for m in methods:
            low, high = (int(v) for v in spans.loc[(n, m)]) if (n, m) in spans.index else (None, None)
            cells.append("" if low is None else str(low) if low == high else f"{low}-{high}")
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    return lines + [""]


def paired_lines(table, kind: str) -> list[str]:
    """Markdown rows: each transfer method minus scratch on the same seed, mean and 95 % t interval over seeds."""
    gains = paired_gains(table)
    methods = [m for m in METHODS[1:] if m in set(table["method"])]
    lines = [f"**{kind.upper()}**: method minus scratch, paired by seed (same subset): mean [95 % t interval] "
             "(seeds), in percentage points", "", "| N | " + " | ".join(methods) + " |",
             "|---" * (len(methods) + 1) + "|"]
    for n, rows in gains.groupby("n_train"):
        cells = {r["method"]: _gain_cell(r) for _, r in rows.iterrows()}
        lines.append(f"| {n} | " + " | ".join(cells.get(m, "") for m in methods) + " |")
    return lines + [""]


def _gain_cell(r) -> str:
    """``+1.8 [+0.3, +3.2] (3)`` in points; a single seed has no interval: ``-1.1 (1 seed)``."""
    if r["seeds"] < 2:
        return f"{100 * r['gain']:+.1f} (1 seed)"
    return f"{100 * r['gain']:+.1f} [{100 * r['low']:+.1f}, {100 * r['high']:+.1f}] ({r['seeds']})"


def selection_lines(everything) -> list[str]:
    """Markdown rows: λ and α chosen on validation accuracy, and the chosen setting's test accuracy and gain."""
    advanced = everything[everything["method"].isin(("fine-tune all",) + ADVANCED_METHODS)]
    keys = {c for kind in advanced["model"].unique() for c in _advanced_keys(kind)}
    runs = complete_seeds(advanced[advanced["key"].isin(keys)])
    if runs.empty or not runs["method"].isin(ADVANCED_METHODS).any():
        return []
    lines = ["**λ and α chosen on validation accuracy** (mean over seeds; the test set takes no part in the "
             "choice), then the chosen setting's test accuracy and its paired gain over plain fine-tuning "
             "(percentage points, 95 % t interval)", "",
             "| model | method | chosen | val accuracy | test accuracy | gain over fine-tune all |", "|---" * 6 + "|"]
    for _, r in choose_on_validation(runs).iterrows():
        name = "α" if r["method"] == "joint" else "λ"
        lines.append(f"| {r['model']} | {r['method']} | {name} = {r['setting']:g} | {r['val_accuracy']:.3f} | "
                     f"{r['test_accuracy']:.3f} | {_gain_cell(r)} |")
    return lines + [""]


def _advanced_keys(kind: str) -> set[str]:
    """Keys of the recorded advanced sweep of ``kind`` (N = 300, seeds 0-2)."""
    from ..lessons.transfer_runs import config_key

    return {config_key(c) for c in advanced_configs(kind)}


def advanced_lines(everything) -> list[str]:
    """Markdown rows for L2-SP and joint runs, with plain fine-tuning at the same N as the reference.

    Only seeds on which the whole sweep ran are counted, so every row compares the same subsets.
    """
    advanced = everything[everything["method"].isin(ADVANCED_METHODS)]
    if advanced.empty:
        return []
    lines = ["**Advanced** (same budget): validation accuracy, mean ± sd (number of seeds); test accuracy is "
             "reported only for the setting chosen on validation (next table)", "",
             "| model | N | method | λ | α | validation accuracy |", "|---|---|---|---|---|---|"]
    for (kind, n), _ in advanced.groupby(["model", "n_train"]):
        rows = everything[(everything["model"] == kind) & (everything["n_train"] == n)
                          & everything["method"].isin(("fine-tune all",) + ADVANCED_METHODS)]
        stats = summarise(complete_seeds(rows), by=("method", "l2sp_lambda", "joint_alpha"), metric="val_accuracy")
        lines += [f"| {kind} | {n} | {r['method']} | {r['l2sp_lambda']:g} | {r['joint_alpha']:g} | {_cell(r)} |"
                  for _, r in stats.iterrows()]
    return lines + [""]


def _cell(stats) -> str:
    """``mean ± sd (seeds)`` of one summary row; a single seed has no sd: ``mean (1 seed)``."""
    if stats["count"] < 2:
        return f"{stats['mean']:.3f} (1 seed)"
    return f"{stats['mean']:.3f} ± {stats['std']:.3f} ({int(stats['count'])})"


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run it."""
    parser = argparse.ArgumentParser(prog="python -m course_utils.tools.experiments", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["grid", "advanced", "control", "table"])
    parser.add_argument("--model", choices=["mlp", "cnn"], default="mlp")
    parser.add_argument("--n", type=int, nargs="+", help="training-set sizes N")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    parser.add_argument("--methods", nargs="+", help=f"grid: default {list(METHODS)}; control: default "
                                                      f"{list(CONTROL_METHODS)}")
    parser.add_argument("--lambdas", type=float, nargs="+", default=list(LAMBDAS), help="advanced: L2-SP λ values")
    parser.add_argument("--alphas", type=float, nargs="+", default=list(ALPHAS), help="advanced: joint α values")
    parser.add_argument("--csv", type=Path, nargs="+", default=[DEFAULT_CSV],
                        help="results file to append to (table: one or more files to read)")
    args = parser.parse_args(argv)
    if args.command == "table":
        print(markdown_table(args.csv))
        return 0
    if args.command == "grid":
        cfgs = grid_configs(args.model, args.n or N_GRID, args.seeds, args.methods or METHODS)
    elif args.command == "control":
        cfgs = control_configs(args.model, args.n or CONTROL_N, args.seeds, args.methods or CONTROL_METHODS)
    else:
        cfgs = advanced_configs(args.model, args.n or (300,), args.seeds, args.lambdas, args.alphas)
    run_configs(cfgs, args.csv[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
