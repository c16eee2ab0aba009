"""The recorded grid of lesson 5: which runs it holds, with which budget, from which source model.

``python -m course_utils.tools.experiments`` runs these configurations and writes
``docs/results/05_transfer_*.csv``; the lesson keeps only the rows whose key matches a
configuration here, so a changed budget or recipe hides old rows instead of showing them.
"""
from __future__ import annotations

from .. import config, models
from ..caching import stable_key
from .transfer_models import SOURCE_RECIPE, train_source
from .transfer_runs import METHODS, RunConfig

N_GRID = (100, 300, 1000, 3000, 10000, 55000)
SEEDS = (0, 1, 2)
LAMBDAS = (1e-4, 1e-3, 1e-2, 1e-1)
ALPHAS = (0.1, 0.3, 1.0)
# The training budget every grid run shares (same for every method, N and seed).
BUDGET = {"learning_rate": 1e-3, "batch_size": 128, "max_epochs": 15, "patience": 2,
          "min_steps_per_epoch": 50, "val_size": 5000, "second_stage_lr_factor": 0.1}


def source_tag(kind: str) -> str:
    """Name of the source-model recipe, stored in every row: ``recipe:<hash>``."""
    return "recipe:" + stable_key({"kind": kind, **SOURCE_RECIPE[kind]}, length=10)


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


def grid_configs(model: str, ns=N_GRID, seeds=SEEDS, methods=METHODS, **budget) -> list[RunConfig]:
    """Every main-grid config, seed-major so a cut-short run still holds whole seeds (``budget`` as above)."""
    return [grid_config(model, m, n, s, **budget) for s in seeds for n in ns for m in methods]


def control_configs(model: str, ns=CONTROL_N, seeds=SEEDS, methods=CONTROL_METHODS) -> list[RunConfig]:
    """The budget control's configs: the grid's cells with ``max_epochs`` = :data:`CONTROL_MAX_EPOCHS`."""
    return grid_configs(model, ns, seeds, methods, max_epochs=CONTROL_MAX_EPOCHS)


def advanced_configs(model: str, ns=(300,), seeds=SEEDS, lambdas=LAMBDAS, alphas=ALPHAS) -> list[RunConfig]:
    """L2-SP (λ swept) and joint-objective (α swept) configs, plus plain fine-tuning to compare."""
    cfgs = []
    for s in seeds:
        for n in ns:
            cfgs.append(grid_config(model, "fine-tune all", n, s))
            cfgs += [grid_config(model, "l2-sp", n, s, lam=lam) for lam in lambdas]
            cfgs += [grid_config(model, "joint", n, s, alpha=a) for a in alphas]
    return cfgs


def grid_source_model(kind: str):
    """The grid's source model: trained once from the recipe, saved under ``artifacts/<profile>/experiments``.

    Trained here rather than read from lesson 4's file, so the grid is reproducible on its own.
    """
    path = config.artifacts_dir() / "experiments" / f"source_mnist_{kind}_{source_tag(kind)[7:]}.keras"
    if not path.is_file():
        print(f"training the {kind} source model on MNIST ({SOURCE_RECIPE[kind]})", flush=True)
    return models.load_or_train(path, lambda: train_source(kind))[0]
