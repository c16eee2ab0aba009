"""Command-line experiments for lesson 5: the full MNIST -> Fashion-MNIST transfer grid.

The lesson runs a small slice live; this module runs the whole grid (every method, every
training-set size N, several seeds) and appends one row per run to a CSV keyed by every
parameter (:func:`course_utils.lessons.transfer.config_key`). Rerunning skips rows already there,
so an interrupted grid resumes where it stopped.

Examples (from the course checkout)::

    python -m course_utils.tools.experiments grid --model mlp --n 100 300 1000 3000 10000 55000 --seeds 0 1 2
    python -m course_utils.tools.experiments advanced --model mlp --n 300 --seeds 0 1 2
    python -m course_utils.tools.experiments table --csv docs/results/05_transfer_grid*.csv

The source models are trained here from ``transfer.SOURCE_RECIPE`` (not read from the
lesson-4 artefact), so the grid is reproducible on its own; every row records the recipe.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

from .. import config
from ..lessons import transfer

DEFAULT_CSV = Path("docs/results/05_transfer_grid.csv")
N_GRID = (100, 300, 1000, 3000, 10000, 55000)
SEEDS = (0, 1, 2)
LAMBDAS = (1e-4, 1e-3, 1e-2, 1e-1)
ALPHAS = (0.1, 0.3, 1.0)
# The training budget every grid run shares (same for every method, N and seed).
BUDGET = {"learning_rate": 1e-3, "batch_size": 128, "max_epochs": 15, "patience": 2,
          "min_steps_per_epoch": 50, "val_size": 5000, "second_stage_lr_factor": 0.1}


def source_tag(kind: str) -> str:
    """Name of the source-model recipe, stored in every row: ``recipe:<hash>``."""
    text = json.dumps({"kind": kind, **transfer.SOURCE_RECIPE[kind]}, sort_keys=True)
    return "recipe:" + hashlib.sha256(text.encode()).hexdigest()[:10]


def grid_config(model: str, method: str, n: int, seed: int, lam: float = 0.0, alpha: float = 0.0):
    """The RunConfig of one grid cell (the budget above, the source recipe as ``source``)."""
    return transfer.RunConfig(model=model, method=method, n_train=n, seed=seed, l2sp_lambda=lam,
                              joint_alpha=alpha, source=source_tag(model), **BUDGET)


def grid_configs(model: str, ns=N_GRID, seeds=SEEDS, methods=transfer.METHODS) -> list:
    """Every main-grid config, seed-major so a cut-short run still holds whole seeds."""
    return [grid_config(model, m, n, s) for s in seeds for n in ns for m in methods]


def advanced_configs(model: str, ns=(300,), seeds=SEEDS, lambdas=LAMBDAS, alphas=ALPHAS) -> list:
    """L2-SP (λ swept) and joint-objective (α swept) configs, plus plain fine-tuning to compare."""
    cfgs = []
    for s in seeds:
        for n in ns:
            cfgs.append(grid_config(model, "fine-tune all", n, s))
            cfgs += [grid_config(model, "l2-sp", n, s, lam=lam) for lam in lambdas]
            cfgs += [grid_config(model, "joint", n, s, alpha=a) for a in alphas]
    return cfgs


def source_model(kind: str):
    """The grid's source model: trained once from the recipe, saved under artifacts/<profile>/experiments."""
    import keras

    path = config.artifacts_dir() / "experiments" / f"source_mnist_{kind}_{source_tag(kind)[7:]}.keras"
    if path.exists():
        return keras.models.load_model(path)
    print(f"training the {kind} source model on MNIST ({transfer.SOURCE_RECIPE[kind]})", flush=True)
    model = transfer.train_source(kind)
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    return model


def run_configs(cfgs: list, csv: Path) -> None:
    """Run every config not yet in ``csv`` (cached ones are skipped)."""
    kind = cfgs[0].model
    source = source_model(kind)
    data = transfer.load_target_data(kind, val_size=cfgs[0].val_size,
                                     with_source=any(c.method == "joint" for c in cfgs))
    print(f"source {source_tag(kind)} weights {transfer.fingerprint(source)}; {len(cfgs)} configs -> {csv}",
          flush=True)
    for cfg in cfgs:
        transfer.cached_run(cfg, data, source, csv)


def markdown_table(csvs, model: str | None = None) -> str:
    """Mean ± sd test accuracy (n seeds) per method and N, as a Markdown table, from one or more CSVs.

    A seed counts only where every method ran on it (:func:`course_utils.lessons.transfer.complete_seeds`).
    """
    import pandas as pd

    csvs = [csvs] if isinstance(csvs, (str, Path)) else csvs
    everything = pd.concat([pd.read_csv(path) for path in csvs], ignore_index=True).drop_duplicates("key")
    table = transfer.complete_seeds(everything[everything["method"].isin(transfer.METHODS)])
    lines = []
    for kind in [model] if model else sorted(table["model"].unique()):
        stats = transfer.summarise(table[table["model"] == kind])
        cell = stats.apply(lambda r: f"{r['mean']:.3f} ± {0 if pd.isna(r['std']) else r['std']:.3f} "
                           f"({int(r['count'])})", axis=1)
        wide = stats.assign(cell=cell).pivot(index="n_train", columns="method", values="cell")
        wide = wide[[m for m in transfer.METHODS if m in wide.columns]]
        lines += [f"**{kind.upper()}**: test accuracy, mean ± sd (number of seeds)", "",
                  "| N | " + " | ".join(wide.columns) + " |", "|---" * (len(wide.columns) + 1) + "|"]
        lines += [f"| {n} | " + " | ".join(str(v) for v in row) + " |" for n, row in wide.iterrows()]
        lines.append("")
    return "\n".join(lines + advanced_lines(everything))


def advanced_lines(everything) -> list[str]:
    """Markdown rows for L2-SP and joint runs, with plain fine-tuning at the same N as the reference.

    Only seeds on which the whole sweep ran are counted, so every row compares the same subsets.
    """
    advanced = everything[everything["method"].isin(transfer.ADVANCED_METHODS)]
    if advanced.empty:
        return []
    lines = ["**Advanced** (same budget): test accuracy, mean ± sd (number of seeds)", "",
             "| model | N | method | λ | α | test accuracy |", "|---|---|---|---|---|---|"]
    for (kind, n), _ in advanced.groupby(["model", "n_train"]):
        rows = everything[(everything["model"] == kind) & (everything["n_train"] == n)
                          & everything["method"].isin(("fine-tune all",) + transfer.ADVANCED_METHODS)]
        rows = transfer.complete_seeds(rows)
        for (method, lam, alpha), acc in rows.groupby(["method", "l2sp_lambda", "joint_alpha"])["test_accuracy"]:
            sd = acc.std() if len(acc) > 1 else 0.0
            lines.append(f"| {kind} | {n} | {method} | {lam:g} | {alpha:g} | "
                         f"{acc.mean():.3f} ± {sd:.3f} ({len(acc)}) |")
    return lines + [""]


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run it."""
    parser = argparse.ArgumentParser(prog="python -m course_utils.tools.experiments", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["grid", "advanced", "table"])
    parser.add_argument("--model", choices=["mlp", "cnn"], default="mlp")
    parser.add_argument("--n", type=int, nargs="+", help="training-set sizes N")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    parser.add_argument("--methods", nargs="+", default=list(transfer.METHODS))
    parser.add_argument("--csv", type=Path, nargs="+", default=[DEFAULT_CSV],
                        help="results file to append to (table: one or more files to read)")
    args = parser.parse_args(argv)
    if args.command == "table":
        print(markdown_table(args.csv))
        return 0
    if args.command == "grid":
        cfgs = grid_configs(args.model, args.n or N_GRID, args.seeds, args.methods)
    else:
        cfgs = advanced_configs(args.model, args.n or (300,), args.seeds)
    run_configs(cfgs, args.csv[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
