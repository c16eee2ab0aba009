"""Lesson 7's verified transfer: a small CNN pretrained on 80 other bird species, transferred to the 10.

ImageNet weights are not always there (CI, an offline classroom): then ResNet50 runs on random
weights and measures nothing about transfer. This module gives the lesson a transfer it can
measure in every run, in the way few-shot benchmarks do (Chen et al. 2019, "A Closer Look at
Few-shot Classification": base species for pretraining, novel species for the new task):

* the **source task**: :data:`~course_utils.data.cub_species.SOURCE_SPECIES`, 80 CUB species that
  are neither the course's 10 nor the 10 unknown species, all their photos at low resolution;
* the **network**: :func:`build_conv4`, four blocks of 3x3 convolution, batch normalization,
  ReLU and 2x2 max pooling (a "Conv-4"), global average pooling, one dense layer of logits;
* :func:`pretrained_source_model`: trains it on the source task once and caches the ``.keras``
  file in the artifacts folder under a key of every setting and of the photos' contents
  (``python -m course_utils.tools.bird_source_grid --pretrain-only`` rebuilds it). The key is
  not the trained weights: training need not be bit-reproducible across machines or thread settings
  (two retrainings on one machine both gave fingerprint 05acc907ff6a; the recorded grid's source,
  trained earlier under other conditions, reached another validation accuracy, 0.269 against 0.253),
  so only the record's fingerprint of the weights says which weights a file holds (:func:`rerun_gaps` uses it);
* :func:`transfer_run`: one run on the 10 species with ``n_per_class`` training photos, one of
  the methods in :data:`METHODS`, from one seed. Every Keras method trains the same network for the
  same number of steps with the same two learning rates (a 10x higher one for the new head); only the
  starting weights and which layers learn differ. ``"frozen"`` is a linear probe: logistic regression on
  the source network's pooled features, its regularisation chosen on the validation photos. ``"frozen random"``
  is the untrained control of that probe: the same probe on the pooled features of the network the scratch arm
  starts from (built as the source is, seeded with the run's seed, never trained), so frozen minus frozen random
  is what the source's features add and frozen random minus scratch is what reading fixed features costs.

The seed fixes which training photos a run gets (:func:`subset_indices`), the new head's
start and the order of the batches, so methods on the same seed see the same photos: compare
them paired (:mod:`course_utils.stats`).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from .. import config
from ..caching import atomic_write, stable_key, weights_fingerprint
from ..i18n import N_

IMAGE_SIZE = 48            # pixels: low resolution keeps pretraining to minutes on 2 CPU cores
WIDTH = 32                 # filters of every convolution block
SOURCE_EPOCHS = 10
SOURCE_BATCH = 64
SOURCE_LR = 2e-3
HEAD_LR_FACTOR = 10        # the new head learns this many times faster than the body
STEPS = 80                 # gradient steps of every target run (fixed, not tuned)
TARGET_BATCH = 32
BODY_LR = 1e-3
TARGET_BN_MOMENTUM = 0.9   # moving statistics settle within the target runs' few steps (0.9 ** 80 < 1e-3)
DEPTHS = {"head only": 0, "top block": 1, "everything": 4}   # convolution blocks that learn, from the top
METHODS = ("frozen", "fine-tuned", "scratch", "frozen random")
PROBES = ("frozen", "frozen random")   # linear probes on fixed features: no training steps
UNTRAINED = ("scratch", "frozen random")   # arms that never read the source model's weights
C_GRID = (0.01, 0.1, 1.0, 10.0)   # inverse regularisation of the linear probe, chosen on validation photos
# depth_choice's "validation choice" labels: English in the table (tests compare them), shown translated (i18n.table_in)
CHOSEN, ONLY_DEPTH_RUN = N_("chosen"), N_("only depth run")


# --- the network ----------------------------------------------------------------------------------
def build_conv4(n_classes: int, image_size: int = IMAGE_SIZE, width: int = WIDTH, bn_momentum: float = 0.99):
    """A Conv-4: 4 x (conv 3x3, batch normalization, ReLU, max pool 2x2), global average pooling, logits.

    The pooled features are the layer named ``"features"``; the logits layer is ``"logits"``
    (no softmax: the losses read logits). The blocks' layers are named ``block<k>_...``.
    ``bn_momentum``: Keras' default 0.99 suits the source's hundreds of steps; the target runs use
    :data:`TARGET_BN_MOMENTUM`, since after only :data:`STEPS` steps at 0.99 the moving statistics
    would still be 45% those of the start (0.99 ** 80 = 0.45), and inference would use them.
    """
    import keras

    inputs = keras.Input((image_size, image_size, 3), name="image")
    x = keras.layers.Rescaling(1 / 255, name="rescale")(inputs)
    for k in range(1, 5):
        x = keras.layers.Conv2D(width, 3, padding="same", use_bias=False, name=f"block{k}_conv")(x)
        x = keras.layers.BatchNormalization(momentum=bn_momentum, name=f"block{k}_bn")(x)
        x = keras.layers.ReLU(name=f"block{k}_relu")(x)
        x = keras.layers.MaxPooling2D(name=f"block{k}_pool")(x)
    features = keras.layers.GlobalAveragePooling2D(name="features")(x)
    logits = keras.layers.Dense(n_classes, name="logits")(features)
    return keras.Model(inputs, logits, name="conv4")


def body_of(model):
    """The model up to its pooled ``"features"`` layer (shares the weights)."""
    import keras

    return keras.Model(model.input, model.get_layer("features").output, name="conv4_body")


def with_new_head(model, n_classes: int, seed: int):
    """The body of ``model`` (weights copied, not shared) with a new, seeded logits layer for ``n_classes``."""
    import keras

    keras.utils.set_random_seed(seed)
    fresh = build_conv4(n_classes, model.input.shape[1], model.get_layer("block1_conv").filters,
                        bn_momentum=TARGET_BN_MOMENTUM)
    for layer in fresh.layers:
        if layer.name.startswith("block"):
            layer.set_weights(model.get_layer(layer.name).get_weights())
    return fresh


# --- the source task ------------------------------------------------------------------------------
@dataclass
class SourcePhotos:
    """The source task's photos: files, labels (index in ``species``), and which are held out for validation."""

    files: list[Path]
    labels: np.ndarray
    species: list[str]
    is_val: np.ndarray


def source_photos(species: Sequence[str] | None = None, per_species: int | None = None) -> SourcePhotos:
    """Every photo (both CUB splits) of the source species; every 10th of each species is held out.

    Args:
        species: CUB folder names (default: ``cub_species.SOURCE_SPECIES``).
        per_species: keep only the first photos of each species (smoke runs).
    """
    from ..data import cub_species

    species = list(species or cub_species.SOURCE_SPECIES)
    photos = cub_species.all_species_photos(species)
    files, labels, is_val = [], [], []
    for label, name in enumerate(species):
        chosen = photos[name][:per_species] if per_species else photos[name]
        for i, (path, _split) in enumerate(chosen):
            files.append(path)
            labels.append(label)
            is_val.append(i % 10 == 9)
    return SourcePhotos(files, np.array(labels, np.int64), species, np.array(is_val))


def source_settings(photos: SourcePhotos, image_size: int, epochs: int, width: int = WIDTH) -> dict:
    """Everything the source model depends on (the cache key): settings, Keras version and the photos' contents."""
    import keras

    from ..data.features import data_fingerprint

    return {"image_size": image_size, "epochs": epochs, "width": width, "batch": SOURCE_BATCH, "lr": SOURCE_LR,
            "seed": 0, "keras": keras.__version__, "species": len(photos.species),
            "data": data_fingerprint(photos.files, photos.labels)}


def pretrained_source_model(photos: SourcePhotos, image_size: int = IMAGE_SIZE, epochs: int = SOURCE_EPOCHS,
                            retrain: bool = False, verbose: bool = True):
    """The Conv-4 trained on the source species: loaded from the artifacts cache, or trained now and cached.

    Returns:
        ``(model, record)``: the Keras model (logits over the source species) and a dict with its
        settings, source validation accuracy, training seconds, whether it came from the cache and
        ``"weights fingerprint"`` (:func:`course_utils.caching.weights_fingerprint` of the weights: the file
        name hashes the settings and photos, so the same name can hold another training's weights).
    """
    import keras

    settings = source_settings(photos, image_size, epochs)
    path = config.artifacts_dir() / f"07_bird_source_conv4_{stable_key(settings, 12)}.keras"
    record_path = path.with_suffix(".json")
    if path.is_file() and record_path.is_file() and not retrain:
        model = keras.models.load_model(path)
        record = {**json.loads(record_path.read_text()), "cache hit": True}
        return model, {**record, "weights fingerprint": weights_fingerprint(model)}   # older records lack it
    from ..data.images import decode_files

    start = time.perf_counter()
    x = decode_files(photos.files, image_size)
    keras.utils.set_random_seed(settings["seed"])
    model = build_conv4(len(photos.species), image_size)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=SOURCE_LR),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    train, val = ~photos.is_val, photos.is_val
    history = model.fit(_flip_dataset(x[train], photos.labels[train], SOURCE_BATCH, seed=0),
                        validation_data=(x[val].astype("float32"), photos.labels[val]),
                        epochs=epochs, verbose=2 if verbose else 0)
    record = {**settings, "train photos": int(train.sum()), "validation photos": int(val.sum()),
              "source val accuracy": float(history.history["val_accuracy"][-1]),
              "val accuracy per epoch": [float(v) for v in history.history["val_accuracy"]],
              "seconds": time.perf_counter() - start, "file": path.name,
              "weights fingerprint": weights_fingerprint(model)}
    with atomic_write(path) as tmp:
        model.save(tmp)
    record_path.write_text(json.dumps(record, indent=1))
    return model, {**record, "cache hit": False}


def _flip_dataset(x, y, batch, seed):
    """A shuffled tf.data pipeline of (float32 image, label) with random left-right flips."""
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    flip = lambda image, label: (tf.image.random_flip_left_right(tf.cast(image, tf.float32), seed=seed), label)  # noqa: E731
    return ds.map(flip).batch(batch)


# --- one transfer run -------------------------------------------------------------------------------
def subset_indices(labels: np.ndarray, n_per_class: int | None, seed: int) -> np.ndarray:
    """Indices of ``n_per_class`` training photos of each class, drawn with ``seed`` (None: all photos)."""
    rng = np.random.default_rng(seed)
    chosen = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        chosen.extend(idx if n_per_class is None else rng.choice(idx, size=min(n_per_class, len(idx)), replace=False))
    return np.sort(np.array(chosen, dtype=int))


def linear_probe(train_x, train_y, val_x, val_y, test_x, c_grid: Sequence[float] = C_GRID) -> dict:
    """Logistic regression on standardised features, C chosen on the validation photos (the smallest on ties).

    :func:`course_utils.evaluation.linear_probe` does the work. Returns ``{"C", "val_accuracy", "test_pred",
    "at_edge"}``.
    """
    from .. import evaluation

    return evaluation.linear_probe((train_x, train_y), (val_x, val_y), test_x, c_grid)


def train_network(model, x, y, depth: int, seed: int, steps: int = STEPS, body_lr: float = BODY_LR,
                  head_lr_factor: float = HEAD_LR_FACTOR, batch: int = TARGET_BATCH):
    """Train the top ``depth`` blocks and the logits layer for ``steps`` steps (Adam; the head at a higher rate).

    Blocks below ``depth`` are frozen (``trainable = False``, so their batch normalization stays in
    inference mode). Two Adam optimisers: ``body_lr`` for the blocks that learn, ``body_lr *
    head_lr_factor`` for the logits layer. Batches are drawn with ``seed`` and flipped left-right at random.
    """
    import keras
    import tensorflow as tf

    for k in range(1, 5):
        for part in ("conv", "bn"):
            model.get_layer(f"block{k}_{part}").trainable = k > 4 - depth
    head = model.get_layer("logits")
    body_vars = [v for v in model.trainable_variables if not any(v is w for w in head.trainable_variables)]
    optimizers = [keras.optimizers.Adam(learning_rate=body_lr * head_lr_factor)]
    if body_vars:
        optimizers.append(keras.optimizers.Adam(learning_rate=body_lr))
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    @tf.function
    def step(xb, yb):
        with tf.GradientTape() as tape:
            loss = loss_fn(yb, model(xb, training=True))
        grads = tape.gradient(loss, head.trainable_variables + body_vars)
        n_head = len(head.trainable_variables)
        optimizers[0].apply_gradients(zip(grads[:n_head], head.trainable_variables))
        if body_vars:
            optimizers[1].apply_gradients(zip(grads[n_head:], body_vars))
        return loss

    rng = np.random.default_rng(seed)
    size = min(batch, len(x))
    for _ in range(steps):
        idx = rng.choice(len(x), size=size, replace=False)
        xb = x[idx].astype("float32")
        flip = rng.random(size) < 0.5
        xb[flip] = xb[flip, :, ::-1]
        step(tf.constant(xb), tf.constant(y[idx]))
    return model


def predict_classes(model, x, batch: int = 256) -> np.ndarray:
    """Predicted class of every image (inference mode), batch by batch."""
    return np.concatenate([np.asarray(model(x[i:i + batch].astype("float32"), training=False)).argmax(1)
                           for i in range(0, len(x), batch)])


@dataclass
class Target:
    """The 10 species at the source's resolution: uint8 images and labels of train / val / test."""

    x: dict
    y: dict
    n_classes: int


def target_arrays(splits: dict, image_size: int = IMAGE_SIZE) -> Target:
    """Decode the lesson's train / val / test splits (``birds.Split``) at ``image_size`` pixels."""
    from ..data.images import decode_files

    x = {name: decode_files(s.files, image_size) for name, s in splits.items()}
    y = {name: np.asarray(s.labels) for name, s in splits.items()}
    return Target(x, y, int(len(np.unique(y["train"]))))


def random_network(source, target: Target, seed: int):
    """The network the scratch arm starts from on ``seed``: built as the source is (its input size and width), for the
    target's classes, after ``keras.utils.set_random_seed(seed)``; untrained."""
    import keras

    keras.utils.set_random_seed(seed)
    return build_conv4(target.n_classes, source.input.shape[1], source.get_layer("block1_conv").filters,
                       bn_momentum=TARGET_BN_MOMENTUM)


def transfer_run(method: str, source, target: Target, n_per_class: int | None, seed: int,
                 depth: str = "everything", steps: int = STEPS) -> dict:
    """One run on the target: ``"frozen"`` (linear probe), ``"fine-tuned"`` (from the source, to ``depth``),
    ``"scratch"``, or ``"frozen random"`` (the linear probe on the pooled features of :func:`random_network`, the
    scratch arm's untrained start: the probe's untrained control).

    Returns:
        a row: method, depth, n_per_class (a string: "5", or "all" for None), seed, n_train, steps, val_accuracy,
        test_accuracy, seconds, and ``test_correct`` (one boolean per test photo, for McNemar).
    """
    import keras

    start = time.perf_counter()
    idx = subset_indices(target.y["train"], n_per_class, seed)
    x, y = target.x["train"][idx], target.y["train"][idx]
    row = {"method": method, "n_per_class": size_label(n_per_class), "seed": int(seed), "n_train": int(len(idx)),
           "steps": 0 if method in PROBES else int(steps)}
    if method in PROBES:
        body = body_of(source if method == "frozen" else random_network(source, target, seed))
        feats = {name: predict_features(body, arr) for name, arr in (("train", x), ("val", target.x["val"]),
                                                                      ("test", target.x["test"]))}
        probe = linear_probe(feats["train"], y, feats["val"], target.y["val"], feats["test"])
        pred, val_acc, row["depth"], row["C"] = probe["test_pred"], probe["val_accuracy"], "linear probe", probe["C"]
    else:
        if method == "fine-tuned":
            model = with_new_head(source, target.n_classes, seed)
            row["depth"] = depth
        elif method == "scratch":
            model = random_network(source, target, seed)
            row["depth"], depth = "everything", "everything"
        else:
            raise ValueError(f"Unknown method {method!r}: use one of {METHODS}.")
        keras.utils.set_random_seed(seed)
        train_network(model, x, y, DEPTHS[depth], seed, steps=steps)
        val_acc = float(np.mean(predict_classes(model, target.x["val"]) == target.y["val"]))
        pred = predict_classes(model, target.x["test"])
    correct = pred == target.y["test"]
    return {**row, "val_accuracy": val_acc, "test_accuracy": float(correct.mean()),
            "seconds": time.perf_counter() - start, "test_correct": correct}


def size_label(n_per_class: int | None) -> str:
    """``"5"`` for 5 photos per species, ``"all"`` for None: one string type, as the recorded CSV reads back."""
    return "all" if n_per_class is None else str(int(n_per_class))


def probe_rows(name: str, feats: dict, labels: dict, sizes: Sequence[int | None], seeds: Sequence[int]) -> list[dict]:
    """Linear-probe runs on another feature extractor's features (e.g. ResNet50's), on the same subsets per seed.

    Args:
        feats, labels: ``{"train"|"val"|"test": array}``, in the order of the splits' files, so that
            :func:`subset_indices` picks the same photos as :func:`transfer_run` does.
    """
    rows = []
    for n in sizes:
        for seed in seeds:
            idx = subset_indices(labels["train"], n, seed)
            probe = linear_probe(feats["train"][idx], labels["train"][idx], feats["val"], labels["val"], feats["test"])
            correct = probe["test_pred"] == labels["test"]
            rows.append({"method": name, "depth": "linear probe", "n_per_class": size_label(n), "seed": int(seed),
                         "n_train": int(len(idx)), "steps": 0, "C": probe["C"], "val_accuracy": probe["val_accuracy"],
                         "test_accuracy": float(correct.mean()), "test_correct": correct})
    return rows


def size_order(values) -> list[str]:
    """Sizes sorted by photos per species, "all" last."""
    return sorted({str(v) for v in values}, key=lambda v: (v == "all", int(v) if v != "all" else 0))


def depth_choice(grid):
    """Per size and fine-tuning depth: mean validation and test accuracy over seeds, and the depth validation picks.

    Depths are compared on the seeds that every depth of a size ran. The choice reads only the
    validation photos (the highest mean validation accuracy; on a tie, the
    shallowest depth, which is also the cheapest); the test
    column is shown beside it, not used for it. The column ``"validation choice"`` says ``"chosen"``,
    ``""`` (not chosen) or ``"only depth run"`` (a size where one depth ran: nothing was chosen there).
    """
    tuned = grid[grid["method"] == "fine-tuned"]
    n_depths = tuned.groupby("n_per_class")["depth"].transform("nunique")
    per_seed = tuned.groupby(["n_per_class", "seed"])["depth"].transform("nunique")
    tuned = tuned[per_seed == n_depths]    # compare depths on the seeds every depth of that size ran
    table = (tuned.groupby(["n_per_class", "depth"])[["val_accuracy", "test_accuracy"]].agg(["mean", "count"])
             .reset_index())
    table.columns = ["n_per_class", "depth", "val mean", "seeds", "test mean", "_"]
    table = table.drop(columns="_")
    table = table.assign(_d=table["depth"].map({d: i for i, d in enumerate(DEPTHS)})).sort_values(["n_per_class", "_d"])
    best = table.loc[table.groupby("n_per_class")["val mean"].idxmax(), ["n_per_class", "depth"]]   # ties: shallowest
    table = table.drop(columns="_d")
    chosen = set(map(tuple, best.values))
    depths_run = table.groupby("n_per_class")["depth"].transform("nunique")
    table["validation choice"] = [ONLY_DEPTH_RUN if k == 1 else CHOSEN if (n, d) in chosen else ""
                                  for n, d, k in zip(table["n_per_class"], table["depth"], depths_run)]
    order = {v: i for i, v in enumerate(size_order(table["n_per_class"]))}
    depth_rank = {d: i for i, d in enumerate(DEPTHS)}
    return (table.assign(_n=table["n_per_class"].map(order), _d=table["depth"].map(depth_rank))
            .sort_values(["_n", "_d"]).drop(columns=["_n", "_d"]).reset_index(drop=True))


ARM_COLORS = {"scratch": "#7f7f7f", "frozen random": "#bcbd22", "frozen": "#2ca02c",
              "fine-tuned (head only)": "#98df8a", "fine-tuned (top block)": "#9467bd",
              "fine-tuned (everything)": "#1f77b4"}


def size_ticks(frame) -> list[str]:
    """Tick labels of the sizes: ``"all"`` becomes ``"all (≈24)"``, its mean training photos per species, so that an
    evenly spaced axis does not hide how far "all" is from the last number."""
    sizes = size_order(frame["n_per_class"])
    numbered = frame[frame["n_per_class"] != "all"]
    if "n_train" not in frame or numbered.empty or "all" not in sizes:
        return sizes
    classes = float((numbered["n_train"] / numbered["n_per_class"].astype(int)).median())   # k photos: k x classes
    per_class = frame.loc[frame["n_per_class"] == "all", "n_train"].mean() / classes
    return [f"all (≈{per_class:.0f})" if size == "all" else size for size in sizes]


def plot_transfer_curves(grid, title: str = "Small CNN pretrained on 80 other bird species, transferred to the 10",
                         chance: float = 0.1, ax=None):
    """Test accuracy against training photos per species, one line per arm: mean over seeds and its 95% t interval."""
    import matplotlib.pyplot as plt

    from .. import stats

    frame = grid.assign(arm=grid.apply(method_label, axis=1))
    summary = stats.summarize(frame, ["arm", "n_per_class"])
    sizes = size_order(frame["n_per_class"])
    ax = ax or plt.subplots(figsize=(8, 4.5), layout="constrained")[1]
    arms = [a for a in (*ARM_COLORS, *sorted(set(frame["arm"]) - set(ARM_COLORS))) if a in set(frame["arm"])]
    for k, arm in enumerate(arms):
        part = summary[summary["arm"] == arm].set_index("n_per_class").reindex(sizes)
        xs = np.arange(len(sizes)) + (k - len(arms) / 2) * 0.04
        ax.errorbar(xs, part["mean"], yerr=[part["mean"] - part["low"], part["high"] - part["mean"]], marker="o",
                    capsize=3, color=ARM_COLORS.get(arm), label=arm)
    ax.axhline(chance, color="black", linestyle="--", linewidth=1, label="chance")
    ax.set_xticks(np.arange(len(sizes)), size_ticks(frame))
    counts = frame.groupby(["arm", "n_per_class"])["seed"].nunique()
    seeds = f"{counts.min()}" if counts.min() == counts.max() else f"{counts.min()}-{counts.max()}"
    ax.set(title=title, xlabel="training photos per species (evenly spaced, not to scale)", ylim=(0, 1),
           ylabel=f"test accuracy (mean of {seeds} seeds, 95% t interval)")
    ax.legend(fontsize=8, loc="upper left")
    return ax


def predict_features(body, x, batch: int = 256) -> np.ndarray:
    """Pooled features of the body for every image (inference mode)."""
    return np.concatenate([np.asarray(body(x[i:i + batch].astype("float32"), training=False))
                           for i in range(0, len(x), batch)])


def run_grid(source, target: Target, sizes: Sequence[int | None], seeds: Sequence[int],
             methods: Sequence[str] = METHODS, depths: Sequence[str] = ("everything",), steps: int = STEPS,
             depth_sizes: Sequence[int | None] | None = None, progress=None) -> list[dict]:
    """Every (size, seed, method[, depth]) run; fine-tuned once per depth in ``depths``.

    ``depth_sizes``: run the other depths only at these sizes (default: at every size); elsewhere
    fine-tuning runs to the last depth of ``depths`` only.
    """
    rows = []
    for n in sizes:
        depths_here = depths if depth_sizes is None or n in depth_sizes else depths[-1:]
        for seed in seeds:
            for method in methods:
                for depth in (depths_here if method == "fine-tuned" else ("everything",)):
                    rows.append(transfer_run(method, source, target, n, seed, depth=depth, steps=steps))
                    if progress:
                        progress(rows[-1])
    return rows


def method_label(row) -> str:
    """``"frozen"``, ``"scratch"`` or ``"fine-tuned (top block)"``: one name per arm of the table."""
    return f"fine-tuned ({row['depth']})" if row["method"] == "fine-tuned" else row["method"]


def paired_gains(table, baseline: str = "scratch", metric: str = "test_accuracy"):
    """Each arm minus ``baseline`` on the same seed and training photos, per size (course_utils.stats.paired_table).

    ``baseline`` is an arm name as :func:`method_label` gives it (e.g. ``"fine-tuned (everything)"``);
    ``metric`` the column compared (``"val_accuracy"`` for choices made on validation photos).
    """
    from .. import stats

    frame = table.assign(arm=table.apply(method_label, axis=1))
    gains = stats.paired_table(frame, "arm", metric, pair_col="seed", baseline=baseline, by=("n_per_class",))
    order = {v: i for i, v in enumerate(size_order(gains["n_per_class"]))}
    return gains.assign(_n=gains["n_per_class"].map(order)).sort_values(["_n", "arm"]).drop(columns="_n") \
        .reset_index(drop=True)


RERUN_KEYS = ["method", "depth", "n_per_class", "seed", "steps", "source"]


def rerun_gaps(live, recorded, n_test: int, live_source_accuracy: float | None = None,
               recorded_source_accuracy: float | None = None):
    """Live runs beside their recorded twins: how many test photos each got right, and which source weights they read.

    Twins share the arm, depth, photos per species, seed, steps and the source model's file name (``source``).
    That name hashes the source's settings, Keras version and photos, not its trained weights, and training need not
    be bit-reproducible across machines or thread settings, so the same name can hold other weights. The column
    ``source weights`` says, per twin, from the records only: ``"not used"`` (scratch and frozen random: their network
    is random, not the source), ``"same"`` (both tables' ``source_weights`` fingerprints match), ``"different"`` (the
    fingerprints differ; or a table has none and the two source models' validation accuracies, rounded to 3
    decimals, differ: ``live_source_accuracy`` from the live source's record, ``recorded_source_accuracy`` from the
    recorded table's, :func:`recorded_source`) or ``"not recorded"`` (no fingerprint on one side and no differing
    accuracies: the records cannot tell). Only "not used" and "same" twins ran the same thing twice.

    Returns:
        one row per twin: arm, n_per_class, seed, ``right live``, ``right recorded`` (test photos right, from the
        accuracies) and their ``difference`` (live minus recorded), and ``source weights``; the rows that do not use the source first.
    """
    import pandas as pd

    def side(table):
        weights = table["source_weights"] if "source_weights" in table else pd.Series(np.nan, index=table.index)
        return table[RERUN_KEYS + ["test_accuracy"]].assign(weights=weights.astype(object))

    both = side(live).merge(side(recorded), on=RERUN_KEYS, suffixes=(" live", " recorded"))
    columns = ["arm", "n_per_class", "seed", "right live", "right recorded", "difference", "source weights"]
    if both.empty:
        return pd.DataFrame(columns=columns)
    right = {name: np.rint(both[f"test_accuracy {name}"].to_numpy(float) * n_test).astype(int)
             for name in ("live", "recorded")}
    unknown = both["weights live"].isna() | both["weights recorded"].isna()
    accuracies_differ = (live_source_accuracy is not None and recorded_source_accuracy is not None
                         and round(float(live_source_accuracy), 3) != round(float(recorded_source_accuracy), 3))
    status = np.select([both["method"].isin(UNTRAINED), unknown & accuracies_differ, unknown,
                        both["weights live"] == both["weights recorded"]],
                       ["not used", "different", "not recorded", "same"], "different")
    out = pd.DataFrame(dict(zip(columns, [both.apply(method_label, axis=1), both["n_per_class"], both["seed"],
                                          right["live"], right["recorded"], right["live"] - right["recorded"], status])))
    return out.sort_values("source weights", key=lambda s: s != "not used", kind="stable").reset_index(drop=True)


def recorded_source(name: str = "07_bird_source_grid.source.json") -> dict | None:
    """What ``docs/results/`` records of the source model a recorded table read (default: the grid's): its file,
    ``"source val accuracy"`` and ``"val accuracy per epoch"`` (from ``07_birds.md``), when the checkout has it."""
    path = results_csv(name)
    return json.loads(path.read_text()) if path else None


def results_csv(name: str = "07_bird_source_grid.csv") -> Path | None:
    """A recorded table in ``docs/results/`` (default: the grid; ``"07_bird_source_random.csv"``: the frozen random
    arm), when the course checkout has it."""
    root = config.repo_root()
    path = root / "docs" / "results" / name if root else None
    return path if path and path.is_file() else None
