"""Lesson 5 (MNIST -> Fashion-MNIST weight transfer) in one import: ``from course_utils import transfer``.

This module only gathers the names the lesson uses; each lives in a module with one job:

* :mod:`~course_utils.lessons.transfer_data`: the far target (Fashion-MNIST) and the near target
  (MNIST digits 5-9) scaled for the model, the fixed validation split, each seed's training subset;
* :mod:`~course_utils.lessons.transfer_models`: the source models (:func:`load_source`: the one
  defined source lessons 5 and 8 use, trained from ``SOURCE_RECIPE`` and cached), and
  copying, freezing, L2-SP, plain L2 and the joint two-head model on a target copy;
* :mod:`~course_utils.lessons.transfer_runs`: one run of one method, and its cached CSV row;
* :mod:`~course_utils.lessons.transfer_grid`: the recorded grids' configurations and budget, the budget
  control's (the same cells with a larger epoch cap) and the near control's;
* :mod:`~course_utils.lessons.transfer_results`: seeds to count, mean ± sd, paired gains with a t interval
  (all from :mod:`course_utils.stats`), λ and α chosen on validation accuracy, the two-stage rollback
  report, the lesson's figures.

Methods compared (same splits, same training budget, same early stopping):

* ``scratch``: random initialisation, everything trained.
* ``fine-tune all``: body copied from the source model, new head, everything trained (what the Chinese
  articles this course grew from call "retrain everything from the source initialisation").
* ``frozen body``: body copied and frozen, only a new head trained (feature extraction).
* ``frozen random body`` (``RANDOM_BODY``): the frozen body's untrained control, the body left at scratch's random
  initialisation and frozen, only a new head trained.
* ``two-stage``: head trained first with the body frozen, then everything at a 10x smaller
  learning rate (the body never sees the large learning rate; linear probing then fine-tuning, LP-FT,
  Kumar et al. 2022). Each stage keeps its best
  weights; the row says how much of stage 2 was kept.
* ``l2-sp``: like ``fine-tune all`` plus the penalty λ‖θ − θ_source‖² on the body.
* ``l2``: like ``fine-tune all`` plus plain L2, λ‖θ‖² on the body (the same penalty anchored at 0).
* ``joint``: shared body, a Fashion head and an MNIST head, loss L_target + α·L_source.
"""
from __future__ import annotations

from .transfer_data import (NEAR_SOURCE_DIGITS, NEAR_TARGET_DIGITS, load_near_data, load_target_data, prepare,
                            split_validation, training_subset)
from .transfer_grid import (BUDGET, NEAR_N, NEAR_PER_CLASS, NEAR_SEEDS, advanced_configs, control_configs,
                            grid_configs, near_configs, near_random_body_configs, random_body_configs)
from .transfer_models import (SOURCE_RECIPE, attach_l2, attach_l2sp, body_layers, build, build_joint, copy_body,
                              load_or_train_source, load_source, set_body_trainable, source_accuracy, source_file,
                              source_path, source_tag, train_source)
from .transfer_results import (choose_on_validation, complete_seeds, near_table, paired_gains, plot_accuracy_vs_n,
                               plot_near_far, plot_sweep, random_body_gains, rollback_report, summarise)
from .transfer_runs import (ADVANCED_METHODS, ADVANCED_NAMES, CODE_VERSION, METHODS, RANDOM_BODY, RunConfig, cached_run,
                            config_key, keep_best_weights, predict_loss_accuracy, run_one, trainer_tag)

__all__ = [
    "ADVANCED_METHODS", "ADVANCED_NAMES", "BUDGET", "CODE_VERSION", "METHODS", "NEAR_N", "NEAR_PER_CLASS",
    "NEAR_SEEDS",
    "NEAR_SOURCE_DIGITS", "NEAR_TARGET_DIGITS", "RANDOM_BODY", "SOURCE_RECIPE", "RunConfig", "advanced_configs", "attach_l2",
    "attach_l2sp", "body_layers", "build", "build_joint", "cached_run", "choose_on_validation", "complete_seeds",
    "config_key", "control_configs", "copy_body", "grid_configs", "keep_best_weights", "load_near_data",
    "load_or_train_source", "load_source", "load_target_data", "near_configs", "near_random_body_configs",
    "near_table", "paired_gains", "plot_accuracy_vs_n", "plot_near_far", "plot_sweep", "predict_loss_accuracy",
    "prepare", "random_body_configs", "random_body_gains", "rollback_report",
    "run_one", "set_body_trainable", "source_accuracy", "source_file", "source_path", "source_tag",
    "split_validation", "summarise", "train_source", "trainer_tag", "training_subset",
]
