"""The recorded grids of lesson 5: which runs they hold, with which budget, from which source model.

``python -m course_utils.tools.experiments`` runs the far (MNIST -> Fashion-MNIST) configurations
and writes ``docs/results/05_transfer_*.csv``; this module's own command runs the near control
(MNIST digits 0-4 -> digits 5-9) and prints its tables::

    python -m course_utils.lessons.transfer_grid near --seeds 0 1 2 3 4 --csv docs/results/05_transfer_near.csv
    python -m course_utils.lessons.transfer_grid table --csv docs/results/05_transfer_near.csv

and its untrained control, the frozen body with random weights (``--methods "frozen random body"``, into
``docs/results/05_transfer_near_random_body.csv``).

The lesson keeps only the rows whose key matches a configuration here, so a changed budget or
recipe hides old rows instead of showing them.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import config
from .transfer_data import NEAR_SOURCE_DIGITS
from .transfer_models import load_source, source_tag
from .transfer_runs import METHODS, RANDOM_BODY, RunConfig

N_GRID = (100, 300, 1000, 3000, 10000, 55000)
SEEDS = (0, 1, 2)
# The near control: labelled target images per class, 5 classes (digits 5-9), five seeds.
NEAR_PER_CLASS = (1, 5, 20, 100, 1000)
NEAR_N = tuple(5 * k for k in NEAR_PER_CLASS)
NEAR_SEEDS = (0, 1, 2, 3, 4)
LAMBDAS = (1e-4, 1e-3, 1e-2, 1e-1)
ALPHAS = (0.1, 0.3, 1.0)
# The training budget every grid run shares (same for every method, N and seed).
BUDGET = {"learning_rate": 1e-3, "batch_size": 128, "max_epochs": 15, "patience": 2,
          "min_steps_per_epoch": 50, "val_size": 5000, "second_stage_lr_factor": 0.1}


# The budget control: frozen body (and two-stage) used all 15 epochs at N = 300-1000 while scratch stopped
# early, so these cells are rerun with a much larger cap (early stopping unchanged), scratch as the paired reference.
CONTROL_MAX_EPOCHS = 50
CONTROL_N = (300, 1000)
CONTROL_METHODS = ("scratch", "frozen body", "two-stage")


def grid_config(model: str, method: str, n: int, seed: int, lam: float = 0.0, alpha: float = 0.0,
                **budget) -> RunConfig:
    """The RunConfig of one grid cell (the budget above, the source recipe as ``source``).

    ``budget`` overrides entries of :data:`BUDGET` (the budget control passes ``max_epochs``).
    """
    unknown = set(budget) - set(BUDGET)
    if unknown:
        raise ValueError(f"not budget settings: {sorted(unknown)}; use some of {sorted(BUDGET)}")
    return RunConfig(model=model, method=method, n_train=n, seed=seed, l2sp_lambda=lam,
                     joint_alpha=alpha, source=source_tag(model), **{**BUDGET, **budget})


def near_config(model: str, method: str, n: int, seed: int, **budget) -> RunConfig:
    """The RunConfig of one cell of the near control: target digits 5-9, source trained on digits 0-4."""
    return RunConfig(model=model, method=method, n_train=n, seed=seed, target="near",
                     source=source_tag(model, NEAR_SOURCE_DIGITS), **{**BUDGET, **budget})


def near_configs(model: str = "mlp", ns=NEAR_N, seeds=NEAR_SEEDS, methods=METHODS, **budget) -> list[RunConfig]:
    """Every config of the near control, seed-major (the same four methods and budget as the far grid)."""
    return [near_config(model, m, n, s, **budget) for s in seeds for n in ns for m in methods]


def grid_configs(model: str, ns=N_GRID, seeds=SEEDS, methods=METHODS, **budget) -> list[RunConfig]:
    """Every main-grid config, seed-major so a cut-short run still holds whole seeds (``budget`` as above)."""
    return [grid_config(model, m, n, s, **budget) for s in seeds for n in ns for m in methods]


def control_configs(model: str, ns=CONTROL_N, seeds=SEEDS, methods=CONTROL_METHODS) -> list[RunConfig]:
    """The budget control's configs: the grid's cells with ``max_epochs`` = :data:`CONTROL_MAX_EPOCHS`."""
    return grid_configs(model, ns, seeds, methods, max_epochs=CONTROL_MAX_EPOCHS)


def random_body_configs(model: str, ns=N_GRID, seeds=SEEDS) -> list[RunConfig]:
    """The untrained control of the far grid's frozen body: :data:`RANDOM_BODY` in every grid cell.

    Its rows pair with the grid's scratch and frozen-body rows of the same seed (same subset, same head
    initialisation); the random body copies no weights, so the source model does not enter them.
    """
    return grid_configs(model, ns, seeds, methods=(RANDOM_BODY,))


def near_random_body_configs(model: str = "mlp", ns=NEAR_N, seeds=NEAR_SEEDS) -> list[RunConfig]:
    """The untrained control of the near control's frozen body (pairs with its rows by seed, as above)."""
    return near_configs(model, ns, seeds, methods=(RANDOM_BODY,))


# The recorded advanced sweeps: plain L2 beside L2-SP was run for the MLP only (the CNN's runs did not fit the CPU
# time of the session that added it).
ADVANCED_SWEEPS = {"mlp": ("l2-sp", "l2", "joint"), "cnn": ("l2-sp", "joint")}


def advanced_configs(model: str, ns=(300,), seeds=SEEDS, lambdas=LAMBDAS, alphas=ALPHAS,
                     methods=None) -> list[RunConfig]:
    """L2-SP and plain L2 (λ swept, the same values) and joint-objective (α swept) configs, plus plain fine-tuning.

    ``methods`` defaults to the recorded sweep of ``model`` (:data:`ADVANCED_SWEEPS`).
    """
    methods = ADVANCED_SWEEPS[model] if methods is None else methods
    cfgs = []
    for s in seeds:
        for n in ns:
            cfgs.append(grid_config(model, "fine-tune all", n, s))
            for method in methods:
                if method == "joint":
                    cfgs += [grid_config(model, "joint", n, s, alpha=a) for a in alphas]
                else:
                    cfgs += [grid_config(model, method, n, s, lam=lam) for lam in lambdas]
    return cfgs


def grid_source_model(kind: str):
    """The grid's source model (:func:`~course_utils.lessons.transfer_models.load_source` on all ten digits).

    Trained from the recipe rather than read from lesson 4's file, so the grid is reproducible on its own.
    """
    model, origin = load_source(kind)
    print(origin, flush=True)
    return model


# ---------------------------------------------------------------- the near control's command
def run_near(model: str, ns, seeds, methods, csv: Path) -> None:
    """Run every near-control config not yet in ``csv`` (cached rows are skipped), from one source model."""
    from ..caching import weights_fingerprint
    from .transfer_data import load_near_data
    from .transfer_runs import cached_run

    cfgs = near_configs(model, ns, seeds, methods)
    source, weights = None, "not needed"   # scratch and the random body copy no weights
    if any(c.method not in ("scratch", RANDOM_BODY) for c in cfgs):
        source, origin = load_source(model, digits=NEAR_SOURCE_DIGITS)
        print(origin, flush=True)
        weights = weights_fingerprint(source)
    data = load_near_data(model, val_size=BUDGET["val_size"])
    print(f"{len(cfgs)} configs -> {csv} (source weights {weights})", flush=True)
    for cfg in cfgs:
        cached_run(cfg, data, source, csv)


def near_markdown(csvs) -> str:
    """Markdown tables of the near control: mean ± sd, paired gains over scratch with t intervals, epochs."""
    import pandas as pd

    from .transfer_results import complete_seeds, near_table, paired_gains, random_body_markdown, summarise
    from .transfer_runs import config_key

    everything = pd.concat([pd.read_csv(path) for path in csvs], ignore_index=True)
    runs = near_table(everything)
    lines = []
    for kind, part in runs.groupby("model"):
        stats = summarise(part)
        cell = stats.apply(lambda r: f"{r['mean']:.3f} ± {r['sd']:.3f} ({int(r['count'])})" if r["count"] >= 2
                           else f"{r['mean']:.3f} (1 seed)", axis=1)
        wide = stats.assign(cell=cell).pivot(index="n_train", columns="method", values="cell")[list(METHODS)]
        lines += [f"**{kind.upper()}, near target (digits 0-4 → 5-9)**: test accuracy, mean ± sd over seeds "
                  "(number of seeds)", "", "| N (per class) | " + " | ".join(METHODS) + " |", "|---" * 5 + "|"]
        lines += [f"| {n} ({n // 5}) | " + " | ".join(row) + " |" for n, row in wide.iterrows()]
        gains = paired_gains(part)
        gains = gains.assign(cell=gains.apply(
            lambda r: f"{100 * r['gain']:+.1f} [{100 * r['low']:+.1f}, {100 * r['high']:+.1f}] ({r['seeds']})"
            if r["seeds"] >= 2 else f"{100 * r['gain']:+.1f} (1 seed)", axis=1))
        wide = gains.pivot(index="n_train", columns="method", values="cell")[list(METHODS[1:])]
        lines += ["", f"**{kind.upper()}, near target**: method minus scratch, paired by seed, mean [95 % t "
                  "interval] (seeds), percentage points", "", "| N (per class) | " + " | ".join(METHODS[1:]) + " |",
                  "|---" * 4 + "|"]
        lines += [f"| {n} ({n // 5}) | " + " | ".join(row) + " |" for n, row in wide.iterrows()]
        epochs = part.groupby(["n_train", "method"])["epochs"].agg(
            lambda e: f"{int(e.min())}-{int(e.max())}" if e.min() < e.max() else str(int(e.min())))
        wide = epochs.unstack("method")[list(METHODS)]
        lines += ["", f"**{kind.upper()}, near target**: epochs run, min-max over the seeds "
                  f"({BUDGET['max_epochs']} = the cap)", "", "| N (per class) | " + " | ".join(METHODS) + " |",
                  "|---" * 5 + "|"]
        lines += [f"| {n} ({n // 5}) | " + " | ".join(row) + " |" for n, row in wide.iterrows()]
    random_keys = {config_key(c) for c in near_random_body_configs()}
    random_rows = everything[everything["key"].isin(random_keys)].drop_duplicates("key")
    if len(random_rows):   # the frozen body's untrained control, given as a further file
        control = complete_seeds(pd.concat([runs[runs["method"].isin(["scratch", "frozen body"])], random_rows]))
        lines += [""] + random_body_markdown(control, "near target (digits 0-4 → 5-9)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``near``: run the near control; ``table``: print its tables."""
    parser = argparse.ArgumentParser(prog="python -m course_utils.lessons.transfer_grid", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["near", "table"])
    parser.add_argument("--model", choices=["mlp", "cnn"], default="mlp")
    parser.add_argument("--n", type=int, nargs="+", default=list(NEAR_N), help="training-set sizes N (5 classes)")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(NEAR_SEEDS))
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    default_csv = (config.repo_root() or Path.cwd()) / "docs" / "results" / "05_transfer_near.csv"
    parser.add_argument("--csv", type=Path, nargs="+", default=[default_csv])
    args = parser.parse_args(argv)
    if args.command == "table":
        print(near_markdown(args.csv))
    else:
        run_near(args.model, args.n, args.seeds, args.methods, args.csv[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
