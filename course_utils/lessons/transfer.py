"""Plumbing for lesson 5 (MNIST -> Fashion-MNIST weight transfer) and its command-line grid.

Lesson 5 shows every idea here in plain sight first (copying weights, freezing, the
L2-SP penalty, the two-head joint model); these functions repeat them compactly so the
same code runs the lesson's live slice and the full grid in
:mod:`course_utils.tools.experiments`. Results are cached in CSV files keyed by a hash of
every parameter that produced them (:func:`config_key`), so a changed setting can never
show an old number.

Methods compared (same splits, same training budget, same early stopping):

* ``scratch``: random initialisation, everything trained.
* ``fine-tune all``: body copied from the source model, new head, everything trained.
* ``frozen body``: body copied and frozen, only a new head trained (feature extraction).
* ``two-stage``: head trained first with the body frozen, then everything at a 10x smaller
  learning rate (gradual unfreezing; the body never sees the large learning rate).
* ``l2-sp``: like ``fine-tune all`` plus the penalty λ‖θ − θ_source‖² on the body.
* ``joint``: shared body, a Fashion head and an MNIST head, loss L_target + α·L_source.
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .. import config, models
from ..plots import METHOD_COLORS

CODE_VERSION = 1  # bump when the training recipe below changes: it invalidates every cached result
METHODS = ("scratch", "fine-tune all", "frozen body", "two-stage")
ADVANCED_METHODS = ("l2-sp", "joint")
SOURCE_RECIPE = {"mlp": {"epochs": 5, "batch_size": 128, "learning_rate": 1e-3, "seed": 0},
                 "cnn": {"epochs": 2, "batch_size": 128, "learning_rate": 1e-3, "seed": 0}}


# ---------------------------------------------------------------- data
def prepare(x: np.ndarray, kind: str) -> np.ndarray:
    """Scale uint8 images to float32 in [0, 1]; add the channel axis the CNN expects."""
    x = x.astype("float32") / 255.0
    return x[..., None] if kind == "cnn" else x


def split_validation(y: np.ndarray, val_size: int = 5000, seed: int = 0):
    """Indices (pool, val): a fixed, class-stratified validation set and the pool to draw N from."""
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(y))
    pool, val = train_test_split(idx, test_size=val_size, stratify=y, random_state=seed)
    return np.sort(pool), np.sort(val)


def sample_indices(y: np.ndarray, pool: np.ndarray, n: int, seed: int) -> np.ndarray:
    """N class-stratified indices drawn from ``pool`` (all of it when N >= len(pool))."""
    from sklearn.model_selection import train_test_split

    if n >= len(pool):
        return pool
    chosen, _ = train_test_split(pool, train_size=n, stratify=y[pool], random_state=seed)
    return np.sort(chosen)


# ---------------------------------------------------------------- source model
def build(kind: str, name: str | None = None):
    """The lesson-4 architecture: ``"mlp"`` (784-128-10) or ``"cnn"`` (two conv blocks)."""
    builder = {"mlp": models.build_mnist_mlp, "cnn": models.build_mnist_cnn}[kind]
    return builder(name=name or kind)


def source_path(kind: str, folder: Path | None = None) -> Path:
    """Where lesson 4 saves the source model: ``artifacts/<profile>/source_mnist_<kind>.keras``."""
    return (folder or config.artifacts_dir()) / f"source_mnist_{kind}.keras"


def train_source(kind: str, epochs: int | None = None, seed: int | None = None, verbose: int = 0):
    """Train the source model on MNIST with the recipe in ``SOURCE_RECIPE`` (Adam, cross-entropy)."""
    import keras

    from ..data.datasets import load_mnist

    recipe = dict(SOURCE_RECIPE[kind], **({"epochs": epochs} if epochs else {}),
                  **({"seed": seed} if seed is not None else {}))
    keras.utils.set_random_seed(recipe["seed"])
    mnist = load_mnist()
    model = build(kind, name=f"source_{kind}")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=recipe["learning_rate"]),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(prepare(mnist.x_train, kind), mnist.y_train, epochs=recipe["epochs"],
              batch_size=recipe["batch_size"], verbose=verbose)
    return model


def load_or_train_source(kind: str, path: Path | None = None, epochs: int | None = None, verbose: int = 0):
    """Load the saved source model, or train (and save) it when the file is missing.

    Returns:
        (model, origin): origin is a sentence saying which of the two happened.
    """
    import keras

    path = Path(path) if path else source_path(kind)
    if path.exists():
        return keras.models.load_model(path), (f"loaded the source model from {path.name} "
                                              "(saved by lesson 4, or by an earlier run of this lesson)")
    start = time.perf_counter()
    model = train_source(kind, epochs=epochs, verbose=verbose)
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    return model, (f"{path.name} was missing, so this lesson trained the source model itself on MNIST "
                   f"({time.perf_counter() - start:.0f} s) and saved it")


def fingerprint(model) -> str:
    """Short SHA-256 of a model's weights: changes whenever any weight changes."""
    digest = hashlib.sha256()
    for w in model.get_weights():
        digest.update(np.ascontiguousarray(w, dtype="float32").tobytes())
    return digest.hexdigest()[:12]


# ---------------------------------------------------------------- weight transfer
def body_layers(model) -> list:
    """Layers with weights except the last one (the head)."""
    return [layer for layer in model.layers if layer.weights][:-1]


def copy_body(source, target) -> list[str]:
    """Copy every weighted layer except the head, layer by layer, matching layers by name."""
    copied = []
    for layer in body_layers(target):
        layer.set_weights(source.get_layer(layer.name).get_weights())
        copied.append(layer.name)
    return copied


def set_body_trainable(model, trainable: bool) -> None:
    """Freeze (False) or unfreeze (True) every body layer; the head stays trainable."""
    for layer in body_layers(model):
        layer.trainable = trainable


def l2sp_penalty(model, anchors: dict, lam: float):
    """λ · Σ ‖w − w_source‖² over the body's weights (``anchors``: variable path -> source value)."""
    from keras import ops

    total = 0.0
    for layer in body_layers(model):
        for w in layer.trainable_weights:
            total = total + ops.sum(ops.square(w - anchors[w.path]))
    return lam * total


# ---------------------------------------------------------------- one run
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
    l2sp_lambda: float = 0.0
    joint_alpha: float = 0.0
    source: str = ""          # fingerprint of the source weights, or the recipe that produced them
    code_version: int = CODE_VERSION


def config_key(cfg: RunConfig | dict) -> str:
    """Stable hash of every parameter of a run: the results cache key."""
    values = asdict(cfg) if isinstance(cfg, RunConfig) else dict(cfg)
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()[:16]


class L2SP:
    """Keras regulariser λ‖w − w_source‖²: pulls a weight toward its source value, not toward 0."""

    def __init__(self, anchor, lam: float):
        from keras import ops

        self.anchor, self.lam = ops.convert_to_tensor(np.asarray(anchor, dtype="float32")), float(lam)

    def __call__(self, w):
        from keras import ops

        return self.lam * ops.sum(ops.square(w - self.anchor))


def attach_l2sp(model, source, lam: float) -> None:
    """Give every body weight of ``model`` an L2-SP regulariser anchored at ``source``'s value."""
    for layer in body_layers(model):
        for w, w_source in zip(layer.weights, source.get_layer(layer.name).weights):
            w.regularizer = L2SP(w_source.numpy(), lam)


def build_joint(model, source):
    """Two-head model on ``model``'s layers: inputs (target, source) -> (Fashion head, MNIST head).

    The MNIST head starts from the source model's head, so the source task starts solved.
    """
    import keras

    shape = model.inputs[0].shape[1:]
    x_t, x_s = keras.Input(shape=shape, name="fashion"), keras.Input(shape=shape, name="mnist")
    source_head = keras.layers.Dense(10, activation="softmax", name="source_head")

    def body(x):
        for layer in model.layers[:-1]:
            x = layer(x)
        return x

    joint = keras.Model([x_t, x_s], [model.layers[-1](body(x_t)), source_head(body(x_s))], name="joint")
    source_head.set_weights(source.layers[-1].get_weights())
    return joint


def predict_loss_accuracy(model, x, y, batch_size: int = 2000) -> tuple[float, float]:
    """Cross-entropy and accuracy of a softmax classifier, computed from its predictions."""
    p = model.predict(x, batch_size=batch_size, verbose=0)
    loss = float(-np.mean(np.log(np.clip(p[np.arange(len(y)), y], 1e-7, 1.0))))
    return loss, float(np.mean(p.argmax(axis=1) == y))


def _early_stopping(target, x_val, y_val, patience: int):
    """A callback that validates ``target`` after each epoch, keeps its best weights, stops when stale."""
    import keras

    class TargetEarlyStopping(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.best_loss, _ = predict_loss_accuracy(target, x_val, y_val)
            self.best_weights, self.wait, self.epochs = target.get_weights(), 0, 0

        def on_epoch_end(self, epoch, logs=None):
            self.epochs += 1
            loss, _ = predict_loss_accuracy(target, x_val, y_val)
            if loss < self.best_loss:
                self.best_loss, self.best_weights, self.wait = loss, target.get_weights(), 0
            else:
                self.wait += 1
                self.model.stop_training = self.wait >= patience

        def on_train_end(self, logs=None):
            target.set_weights(self.best_weights)

    return TargetEarlyStopping()


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


def run_one(cfg: RunConfig, data: dict, source=None) -> dict:
    """Train one target model as ``cfg`` says and return its test accuracy and cost.

    Args:
        data: ``x_train, y_train`` (Fashion pool), ``pool, val`` indices, ``x_test, y_test``;
            for ``joint`` also ``x_source, y_source`` (MNIST training images).
        source: the source model (None only for ``scratch``).
    """
    import keras

    keras.utils.set_random_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    idx = sample_indices(data["y_train"], data["pool"], cfg.n_train, cfg.seed)
    rep = idx[_repeat(len(idx), cfg, rng)]
    x, y = data["x_train"][rep], data["y_train"][rep]
    x_val, y_val = data["x_train"][data["val"]], data["y_train"][data["val"]]
    model = build(cfg.model, name="target")
    if cfg.method != "scratch":
        copy_body(source, model)
    stopper = _early_stopping(model, x_val, y_val, cfg.patience)
    start = time.perf_counter()
    if cfg.method in ("scratch", "fine-tune all", "l2-sp"):
        if cfg.method == "l2-sp":
            attach_l2sp(model, source, cfg.l2sp_lambda)
        epochs = _fit(model, x, y, cfg, cfg.max_epochs, stopper, cfg.learning_rate)
    elif cfg.method == "frozen body":
        set_body_trainable(model, False)
        epochs = _fit(model, x, y, cfg, cfg.max_epochs, stopper, cfg.learning_rate)
    elif cfg.method == "two-stage":
        set_body_trainable(model, False)
        epochs = _fit(model, x, y, cfg, cfg.max_epochs // 2, stopper, cfg.learning_rate)
        set_body_trainable(model, True)
        stopper2 = _early_stopping(model, x_val, y_val, cfg.patience)
        epochs += _fit(model, x, y, cfg, cfg.max_epochs - epochs, stopper2,
                       cfg.learning_rate * cfg.second_stage_lr_factor)
    elif cfg.method == "joint":
        joint = build_joint(model, source)
        pick = rng.integers(0, len(data["y_source"]), size=len(rep))
        joint.compile(optimizer=keras.optimizers.Adam(learning_rate=cfg.learning_rate),
                      loss=["sparse_categorical_crossentropy"] * 2, loss_weights=[1.0, cfg.joint_alpha])
        joint.fit([x, data["x_source"][pick]], [y, data["y_source"][pick]], batch_size=cfg.batch_size,
                  epochs=cfg.max_epochs, verbose=0, callbacks=[stopper])
        epochs = stopper.epochs
    else:
        raise ValueError(f"Unknown method {cfg.method!r}; use one of {METHODS + ADVANCED_METHODS}.")
    seconds = time.perf_counter() - start
    test_loss, test_acc = predict_loss_accuracy(model, data["x_test"], data["y_test"])
    _, val_acc = predict_loss_accuracy(model, x_val, y_val)
    return {"test_accuracy": test_acc, "test_loss": test_loss, "val_accuracy": val_acc,
            "epochs": epochs, "seconds": round(seconds, 2)}


def load_target_data(kind: str, val_size: int = 5000, with_source: bool = False) -> dict:
    """Fashion-MNIST prepared for ``kind`` with the fixed validation split (and MNIST for ``joint``)."""
    from ..data.datasets import load_fashion_mnist, load_mnist

    fashion = load_fashion_mnist()
    pool, val = split_validation(fashion.y_train, val_size)
    data = {"x_train": prepare(fashion.x_train, kind), "y_train": fashion.y_train.astype("int64"),
            "pool": pool, "val": val, "x_test": prepare(fashion.x_test, kind),
            "y_test": fashion.y_test.astype("int64"), "class_names": fashion.class_names}
    if with_source:
        mnist = load_mnist()
        data["x_source"], data["y_source"] = prepare(mnist.x_train, kind), mnist.y_train.astype("int64")
    return data


# ---------------------------------------------------------------- results cache
def cached_run(cfg: RunConfig, data: dict, source, path: Path, verbose: bool = True) -> dict:
    """Return the cached row for ``cfg`` from the CSV at ``path``, or run it and append the row."""
    import pandas as pd

    key = config_key(cfg)
    path = Path(path)
    if path.exists():
        table = pd.read_csv(path)
        hit = table[table["key"] == key]
        if len(hit):
            return dict(hit.iloc[-1], cached=True)
    row = {"key": key, **asdict(cfg),
           **run_one(cfg, data, source)}
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame([row]).to_csv(path, mode="a", header=not path.exists(), index=False)
    if verbose:
        print(f"{cfg.model:>3} {cfg.method:<14} N={cfg.n_train:<6} seed={cfg.seed} "
              f"λ={cfg.l2sp_lambda:g} α={cfg.joint_alpha:g}: test accuracy {row['test_accuracy']:.3f} "
              f"({row['epochs']} epochs, {row['seconds']:.0f} s)", flush=True)
    return dict(row, cached=False)


def select(table, **params):
    """Rows of a results table whose parameters equal ``params`` (e.g. the current settings)."""
    mask = np.ones(len(table), dtype=bool)
    for name, value in params.items():
        mask &= (table[name] == value).to_numpy()
    return table[mask]


def complete_seeds(table):
    """Keep a seed only where every setting (method, λ, α) of its model and N ran on it: same subsets for all."""
    combo = table["method"] + "|" + table["l2sp_lambda"].astype(str) + "|" + table["joint_alpha"].astype(str)
    t = table.assign(_combo=combo.to_numpy())
    need = t.groupby(["model", "n_train"])["_combo"].transform("nunique")
    have = t.groupby(["model", "n_train", "seed"])["_combo"].transform("nunique")
    return table[(have == need).to_numpy()]


def summarise(table, by=("model", "method", "n_train")):
    """Mean, standard deviation and count of test accuracy per group."""
    return (table.groupby(list(by))["test_accuracy"].agg(["mean", "std", "count"]).reset_index())


# ---------------------------------------------------------------- plots
def plot_accuracy_vs_n(table, model: str, methods=METHODS, ax=None, title: str | None = None):
    """Test accuracy against training-set size N (log axis): mean line and ± 1 sd band per method."""
    import matplotlib.pyplot as plt

    ax = ax if ax is not None else plt.subplots(figsize=(7, 4))[1]
    stats = summarise(table[table["model"] == model])
    for method in methods:
        s = stats[stats["method"] == method].sort_values("n_train")
        if s.empty:
            continue
        sd = s["std"].fillna(0.0)
        ax.plot(s["n_train"], s["mean"], "o-", color=METHOD_COLORS[method], label=method)
        ax.fill_between(s["n_train"], s["mean"] - sd, s["mean"] + sd, color=METHOD_COLORS[method], alpha=0.2)
    ax.set_xscale("log")
    ax.set(title=title or f"{model.upper()}: Fashion-MNIST test accuracy vs training-set size",
           xlabel="target training-set size N (images, log scale)", ylabel="test accuracy")
    ax.legend(title="method (band: ± 1 sd over seeds)")
    return ax


def plot_sweep(table, x: str, baseline: float, title: str, xlabel: str, ax=None, method: str = "l2-sp"):
    """Mean ± sd test accuracy against a swept hyperparameter, with plain fine-tuning as a line."""
    import matplotlib.pyplot as plt

    ax = ax if ax is not None else plt.subplots(figsize=(6, 3.5))[1]
    s = table.groupby(x)["test_accuracy"].agg(["mean", "std"]).reset_index()
    ax.errorbar(s[x], s["mean"], yerr=s["std"].fillna(0.0), fmt="o-", capsize=4, color=METHOD_COLORS[method],
                label=f"{method} (± 1 sd over seeds)")
    ax.axhline(baseline, color=METHOD_COLORS["fine-tune all"], ls="--", label="plain fine-tune all")
    ax.set_xscale("log")
    ax.set(title=title, xlabel=xlabel, ylabel="test accuracy")
    ax.legend()
    return ax
