"""One run of lesson 5's experiment: train a target model by one method, score it, cache the row.

Every method gets the same training subset (drawn by the seed), the same budget and the
same early stopping on the fixed validation set, which keeps the weights of the epoch
with the lowest validation loss. Results are cached in CSV files keyed by a hash of every
parameter that produced them (:func:`config_key`), so a changed setting can never show
an old number.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from ..caching import atomic_write, stable_key
from ..i18n import N_, tr
from .transfer_data import training_subset
from .transfer_models import attach_l2, attach_l2sp, build, build_joint, copy_body, set_body_trainable

CODE_VERSION = 1  # bump when the training recipe below changes: it invalidates every cached result
METHODS = ("scratch", "fine-tune all", "frozen body", "two-stage")
ADVANCED_METHODS = ("l2-sp", "l2", "joint")
# what a lesson prints for each (translated with i18n.tr; the identifiers above stay in tables and files)
ADVANCED_NAMES = {"l2-sp": N_("L2-SP"), "l2": N_("plain L2"), "joint": N_("joint objective")}
# The untrained control of the frozen body: the same model, head, budget and early stopping, but the body keeps the
# random initialisation scratch starts from on that seed (no source weights copied), frozen. Frozen body minus this
# is what the source's features are worth when only a head is trained; this minus scratch is what freezing costs.
RANDOM_BODY = "frozen random body"


@dataclass
class RunConfig:
    """Every parameter that determines one result; its hash is the cache key."""

    model: str = "mlp"
    method: str = "scratch"
    n_train: int = 1000
    seed: int = 0
    learning_rate: float = 1e-3
    batch_size: int = 64
    max_epochs: int = 20
    patience: int = 3
    min_steps_per_epoch: int = 50
    val_size: int = 5000
    second_stage_lr_factor: float = 0.1
    l2sp_lambda: float = 0.0  # λ of ``l2-sp`` (anchor: the source) and of ``l2`` (anchor: 0)
    joint_alpha: float = 0.0
    source: str = ""          # fingerprint of the source weights, or the recipe that produced them
    code_version: int = CODE_VERSION
    target: str = "fashion"   # "fashion" (Fashion-MNIST) or "near" (MNIST digits 5-9, the near control)


def config_key(cfg: RunConfig | dict) -> str:
    """Stable hash of every parameter of a run: the results cache key.

    ``target`` enters the hash only when it is not the default ``"fashion"``, so the rows recorded
    before the near control existed keep their keys.
    """
    values = asdict(cfg) if isinstance(cfg, RunConfig) else dict(cfg)
    if values.get("target", "fashion") == "fashion":
        values.pop("target", None)
    return stable_key(values)


def predict_loss_accuracy(model, x, y, batch_size: int = 2000) -> tuple[float, float]:
    """Cross-entropy and accuracy of a softmax classifier, computed from its predictions."""
    p = model.predict(x, batch_size=batch_size, verbose=0)
    loss = float(-np.mean(np.log(np.clip(p[np.arange(len(y)), y], 1e-7, 1.0))))
    return loss, float(np.mean(p.argmax(axis=1) == y))


def _early_stopping(target, x_val, y_val, patience: int):
    """A callback that validates ``target`` after each epoch, keeps its best weights, stops when stale.

    After training it holds ``losses`` (validation loss before training, then after each
    epoch), ``epochs`` (epochs run) and ``best_epoch`` (the epoch whose weights were kept;
    0 means no epoch improved on the starting weights, so training was rolled back).
    """
    import keras

    class TargetEarlyStopping(keras.callbacks.Callback):
        epochs, best_epoch, losses = 0, 0, []   # what a stage that never trained reports

        def on_train_begin(self, logs=None):
            self.best_loss, _ = predict_loss_accuracy(target, x_val, y_val)
            self.best_weights, self.wait, self.epochs = target.get_weights(), 0, 0
            self.losses, self.best_epoch = [self.best_loss], 0

        def on_epoch_end(self, epoch, logs=None):
            self.epochs += 1
            loss, _ = predict_loss_accuracy(target, x_val, y_val)
            self.losses.append(loss)
            if loss < self.best_loss:
                self.best_loss, self.best_weights, self.best_epoch = loss, target.get_weights(), self.epochs
                self.wait = 0
            else:
                self.wait += 1
                self.model.stop_training = self.wait >= patience

        def on_train_end(self, logs=None):
            target.set_weights(self.best_weights)

    return TargetEarlyStopping()


def keep_best_weights(target, x_val, y_val, patience: int):
    """Early stopping on ``target``'s validation loss that restores the best weights (see :func:`_early_stopping`).

    The public name the lesson uses when it writes the two-stage recipe out in Keras.
    Unlike ``keras.callbacks.EarlyStopping(restore_best_weights=True)`` it also counts the
    starting weights as a candidate, so a stage that never improves is rolled back
    (``best_epoch == 0``).
    """
    return _early_stopping(target, x_val, y_val, patience)


def trainer_tag(trainer) -> str:
    """Name and hash of a trainer function's bytecode, names and constants: an edited trainer gets a new tag."""
    code = trainer.__code__
    consts = [c for c in code.co_consts if not hasattr(c, "co_code")]
    return f"{trainer.__name__}:{stable_key([code.co_code.hex(), code.co_names, repr(consts)], length=8)}"


def _repeat(n: int, cfg: RunConfig, rng) -> np.ndarray:
    """Indices 0..n-1 shuffled and repeated so one epoch has at least ``min_steps_per_epoch`` batches."""
    return np.resize(rng.permutation(n), max(n, cfg.min_steps_per_epoch * cfg.batch_size))


def _fit(model, x, y, cfg, epochs, stopper, lr):
    """Compile with Adam at ``lr`` and train for up to ``epochs`` epochs; returns epochs run."""
    import keras

    if epochs <= 0:
        return 0
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=lr), loss="sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=cfg.batch_size, epochs=epochs, shuffle=True, verbose=0, callbacks=[stopper])
    return stopper.epochs


# ---------------------------------------------------------------- the methods
def _train_everything(model, cfg, x, y, val, **_) -> dict:
    """``scratch`` and ``fine-tune all``: every layer trained at the configured rate."""
    return {"epochs": _fit(model, x, y, cfg, cfg.max_epochs, _early_stopping(model, *val, cfg.patience),
                           cfg.learning_rate)}


def _train_l2sp(model, cfg, x, y, val, source, **_) -> dict:
    """``l2-sp``: like ``fine-tune all``, with every body weight pulled toward its source value."""
    attach_l2sp(model, source, cfg.l2sp_lambda)
    return _train_everything(model, cfg, x, y, val)


def _train_l2(model, cfg, x, y, val, **_) -> dict:
    """``l2``: like ``fine-tune all``, with every body weight pulled toward 0 (plain L2, the same λ)."""
    attach_l2(model, cfg.l2sp_lambda)
    return _train_everything(model, cfg, x, y, val)


def _train_frozen_body(model, cfg, x, y, val, **_) -> dict:
    """``frozen body`` (and :data:`RANDOM_BODY`, on an uncopied body): only the new head is trained."""
    set_body_trainable(model, False)
    return _train_everything(model, cfg, x, y, val)


def _train_two_stage(model, cfg, x, y, val, **_) -> dict:
    """``two-stage``: head alone for up to half the epochs, then everything at a smaller rate.

    Each stage keeps its best weights, so stage 2 may end where it started: the row says
    how many stage-2 epochs were kept (``stage2_epochs_kept``; 0 means ``stage2_rolled_back``,
    and the result equals the frozen body's).
    """
    set_body_trainable(model, False)
    epochs = _fit(model, x, y, cfg, cfg.max_epochs // 2, _early_stopping(model, *val, cfg.patience),
                  cfg.learning_rate)
    set_body_trainable(model, True)
    stage2 = _early_stopping(model, *val, cfg.patience)
    stage2_epochs = _fit(model, x, y, cfg, cfg.max_epochs - epochs, stage2,
                         cfg.learning_rate * cfg.second_stage_lr_factor)
    return {"epochs": epochs + stage2_epochs, "stage2_epochs": stage2_epochs,
            "stage2_epochs_kept": stage2.best_epoch, "stage2_rolled_back": stage2.best_epoch == 0}


def _train_joint(model, cfg, x, y, val, source, data, rng, **_) -> dict:
    """``joint``: shared body, Fashion and MNIST heads, loss L_target + α·L_source."""
    import keras

    stopper = _early_stopping(model, *val, cfg.patience)
    joint = build_joint(model, source)
    pick = rng.integers(0, len(data["y_source"]), size=len(y))
    joint.compile(optimizer=keras.optimizers.Adam(learning_rate=cfg.learning_rate),
                  loss=["sparse_categorical_crossentropy"] * 2, loss_weights=[1.0, cfg.joint_alpha])
    joint.fit([x, data["x_source"][pick]], [y, data["y_source"][pick]], batch_size=cfg.batch_size,
              epochs=cfg.max_epochs, verbose=0, callbacks=[stopper])
    return {"epochs": stopper.epochs}


TRAINERS = {"scratch": _train_everything, "fine-tune all": _train_everything, "frozen body": _train_frozen_body,
            "two-stage": _train_two_stage, "l2-sp": _train_l2sp, "l2": _train_l2, "joint": _train_joint,
            RANDOM_BODY: _train_frozen_body}


# ---------------------------------------------------------------- one run, cached
def run_one(cfg: RunConfig, data: dict, source=None, trainer=None) -> dict:
    """Train one target model as ``cfg`` says and return its test accuracy and cost.

    Args:
        data: from :func:`course_utils.lessons.transfer_data.load_target_data` (``x_train, y_train``,
            ``pool, val`` indices, ``x_test, y_test``; for ``joint`` also ``x_source, y_source``).
        source: the source model (None only for ``scratch`` and :data:`RANDOM_BODY`, which copy nothing).
        trainer: a function with the signature of the ``_train_*`` functions above that replaces the
            method's own (lesson 5 passes the two-stage recipe it writes out); None uses ``TRAINERS``.

    Returns:
        ``test_accuracy, test_loss, val_accuracy, epochs, seconds``; two-stage rows also
        say how much of stage 2 was kept (see :func:`_train_two_stage`).
    """
    import keras

    if cfg.method not in TRAINERS:
        raise ValueError(f"Unknown method {cfg.method!r}; use one of {METHODS + ADVANCED_METHODS + (RANDOM_BODY,)}.")
    if data.get("target", cfg.target) != cfg.target:
        raise ValueError(f"The config's target is {cfg.target!r} but the data is {data['target']!r}: load the "
                         "data with transfer.load_near_data for 'near', transfer.load_target_data for 'fashion'.")
    keras.utils.set_random_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    idx = training_subset(data, cfg.n_train, cfg.seed)
    rep = idx[_repeat(len(idx), cfg, rng)]
    val = data["x_train"][data["val"]], data["y_train"][data["val"]]
    model = build(cfg.model, name="target", classes=len(data.get("class_names", range(10))))
    if cfg.method not in ("scratch", RANDOM_BODY):   # the random body keeps scratch's initialisation of this seed
        copy_body(source, model)
    start = time.perf_counter()
    facts = (trainer or TRAINERS[cfg.method])(model, cfg, data["x_train"][rep], data["y_train"][rep], val,
                                 source=source, data=data, rng=rng)
    seconds = time.perf_counter() - start
    test_loss, test_acc = predict_loss_accuracy(model, data["x_test"], data["y_test"])
    _, val_acc = predict_loss_accuracy(model, *val)
    return {"test_accuracy": test_acc, "test_loss": test_loss, "val_accuracy": val_acc,
            "epochs": facts.pop("epochs"), "seconds": round(seconds, 2), **facts}


REPORTED = {"test_accuracy": N_("test accuracy"), "val_accuracy": N_("validation accuracy")}


def cached_run(cfg: RunConfig, data: dict, source, path: Path, verbose: bool = True, trainer=None,
               report: str = "test_accuracy") -> dict:
    """Return the cached row for ``cfg`` from the CSV at ``path``, or run it and add the row.

    With a ``trainer`` (see :func:`run_one`) its :func:`trainer_tag` is added to ``cfg.source``, so
    the row's key changes whenever the trainer's code does. ``verbose`` prints one line per new run with
    the accuracy named by ``report`` (``"val_accuracy"`` for a sweep whose setting is chosen on validation
    data, so the test accuracy of settings not chosen is never shown).
    """
    if report not in REPORTED:
        raise ValueError(f"report={report!r}: use one of {sorted(REPORTED)}")
    import pandas as pd

    if trainer is not None:
        cfg = replace(cfg, source=f"{cfg.source}|{trainer_tag(trainer)}")
    key = config_key(cfg)
    path = Path(path)
    table = pd.read_csv(path) if path.exists() else pd.DataFrame()
    if len(table) and (table["key"] == key).any():
        return dict(table[table["key"] == key].iloc[-1], cached=True)
    values = asdict(cfg)
    if values["target"] == "fashion":   # as in config_key: the far grid's files keep the columns they had
        values.pop("target")
    row = {"key": key, **values, **run_one(cfg, data, source, trainer)}
    table = pd.DataFrame([row]) if table.empty else pd.concat([table, pd.DataFrame([row])], ignore_index=True)
    with atomic_write(path) as tmp:   # the whole file, rewritten: a crash leaves the old file intact
        table.to_csv(tmp, index=False)
    if verbose:
        run = (f"{cfg.model:>3} {cfg.method:<14} N={cfg.n_train:<6} seed={cfg.seed} "
               f"λ={cfg.l2sp_lambda:g} α={cfg.joint_alpha:g}")   # identifiers: the same in every language
        print(tr("{run}: {quantity} {value:.3f} ({epochs} epochs, {seconds:.0f} s)", run=run,
                 quantity=tr(REPORTED[report]), value=row[report], epochs=row["epochs"], seconds=row["seconds"]),
              flush=True)
    return dict(row, cached=False)


# ---------------------------------------------------------------- lesson 8's budget control
def pitfall7_budget_control(seeds=(0, 1, 2, 3, 4), epochs: int = 5, learning_rates=(1e-4, 1e-3),
                            recipes=("one-stage", "one-stage, double", "two-stage"), n_target: int = 5000,
                            n_val: int = 5000, batch_size: int = 64):
    """Lesson 8, pitfall 7, with the one-stage recipe given the two-stage recipe's whole budget.

    Two-stage trains the new head alone for ``epochs`` epochs, then everything for ``epochs`` more;
    one-stage fine-tuning in the lesson gets ``epochs`` in all. This reruns, with the lesson's data,
    source (:func:`~course_utils.lessons.transfer_models.load_source` ``("mlp")``), head seeds and
    Adam, each seed at each rate, the ``recipes`` asked for: ``"one-stage"`` (everything for ``epochs``
    epochs), ``"one-stage, double"`` (``2 * epochs``), ``"two-stage"`` (head at 0.001 for ``epochs``, then
    everything at the rate for ``epochs``), ``"scratch"`` and ``"scratch, double"`` (a random body, the
    lesson's control, for ``epochs`` and ``2 * epochs``).

    Returns:
        (rows, origin): a DataFrame with one row per run (``recipe``, ``learning rate``, ``seed``,
        ``val accuracy``), and the sentence saying which source weights were used.
    """
    import keras
    import pandas as pd
    from keras import layers

    from ..data.datasets import load_fashion_mnist
    from ..models import build_mnist_mlp
    from .transfer_models import load_source

    fashion = load_fashion_mnist()
    x_tgt, y_tgt = fashion.x_train[:n_target] / 255.0, fashion.y_train[:n_target]
    x_val, y_val = fashion.x_train[n_target:n_target + n_val] / 255.0, fashion.y_train[n_target:n_target + n_val]
    source, origin = load_source("mlp")

    def with_new_head(base, copy=False):
        if copy:                                           # the lesson's source_copy(): no layer shared
            base = keras.models.clone_model(source)
            base.set_weights(source.get_weights())
        x = inputs = keras.Input(shape=(28, 28))
        for layer in base.layers[:-1]:
            x = layer(x)
        return keras.Model(inputs, layers.Dense(10, activation="softmax", name="new_head")(x))

    def train(model, learning_rate, n_epochs):
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(x_tgt, y_tgt, epochs=n_epochs, batch_size=batch_size, verbose=0)

    names = {"one-stage": f"one-stage, {epochs} epochs", "one-stage, double": f"one-stage, {2 * epochs} epochs",
             "two-stage": f"two-stage, {epochs} + {epochs} epochs", "scratch": f"scratch, {epochs} epochs",
             "scratch, double": f"scratch, {2 * epochs} epochs"}
    rows = []
    for seed in seeds:
        for lr in learning_rates:
            for recipe in recipes:
                keras.utils.set_random_seed(seed)          # the same new head as in the lesson
                if recipe.startswith("scratch"):
                    model = with_new_head(build_mnist_mlp(name="scratch_mlp"))
                else:
                    model = with_new_head(source, copy=True)
                if recipe == "two-stage":
                    model.get_layer("hidden").trainable = False
                    train(model, 1e-3, epochs)
                    model.get_layer("hidden").trainable = True
                    train(model, lr, epochs)
                else:
                    train(model, lr, 2 * epochs if recipe.endswith("double") else epochs)
                pred = keras.ops.convert_to_numpy(model(np.asarray(x_val, dtype="float32"), training=False))
                rows.append({"recipe": names[recipe], "learning rate": lr, "seed": seed,
                             "val accuracy": float(np.mean(pred.argmax(axis=1) == y_val))})
    return pd.DataFrame(rows), origin
