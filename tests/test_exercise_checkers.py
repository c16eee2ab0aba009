"""Every exercise's checker, both directions: the stub is "not answered", a wrong answer "not quite", the solution passes.

Each lesson's state is rebuilt small (``lesson_state``): the lesson's own definitions, read from its notebook, plus
synthetic data. The solution is the code between the markers of the instructor notebook, executed in that state;
the wrong answers are the mistakes a learner is likely to make (listed in ``WRONG``).
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import types

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from course_utils import exercises  # noqa: E402
from course_utils.exercises import solutions  # noqa: E402
from lesson_state import BarReader, bar_digits, blocky_images, definitions, image_arrays  # noqa: E402

LABEL_FILE = "mnist/t10k-labels-idx1-ubyte.gz"


def lesson_0(tmp_path, monkeypatch):
    import course_utils as cu

    payload = b"not really the MNIST labels"
    (tmp_path / "cache" / "mnist").mkdir(parents=True)
    (tmp_path / "cache" / LABEL_FILE).write_bytes(payload)
    lesson_0_environment(tmp_path, monkeypatch)
    return {"cu": cu, "fashion": image_arrays(300, 0, ink_class=3), "mnist": image_arrays(300, 1, ink_class=1)}


def lesson_0_environment(tmp_path, monkeypatch):
    """Lesson 0's cache folder and the registry entry of its fake label file, set with the test's own monkeypatch
    (undone when the test ends, so no later test in this process sees the fake checksum)."""
    from course_utils.data.registry import REGISTRY

    payload = (tmp_path / "cache" / LABEL_FILE).read_bytes()
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.setitem(REGISTRY, LABEL_FILE, dataclasses.replace(
        REGISTRY[LABEL_FILE], known_hash="sha256:" + hashlib.sha256(payload).hexdigest()))


def lesson_1(tmp_path, monkeypatch):
    from sklearn.datasets import make_moons
    from sklearn.model_selection import train_test_split

    ns = definitions(1, "sigmoid", "relu", "softmax", "init_params", "forward", "cross_entropy", "one_hot",
                     "backward", "numerical_gradient", "loss_fn", "momentum", "adam", "run", "train", "accuracy")
    X, y = make_moons(n_samples=300, noise=0.2, random_state=0)
    ns["X_train"], ns["X_test"], ns["y_train"], ns["y_test"] = train_test_split(X, y, test_size=0.3, stratify=y,
                                                                                random_state=0)
    ns.update(TRAIN_STEPS=150, class_names=["upper moon", "lower moon"])
    from course_utils.lessons import surfaces

    for name in ("BOWL", "distance_to_minimum", "plot_decision_boundary"):   # bound by a tuple assignment in the lesson
        ns.setdefault(name, getattr(surfaces, name))
    return ns


def lesson_2(tmp_path, monkeypatch):
    from sklearn.model_selection import RepeatedStratifiedKFold, train_test_split
    from sklearn.preprocessing import StandardScaler

    ns = definitions(2, "build_iris_net", "compile_net", "make_ds", "cv_logistic", ns={"BATCH_SIZE": 16,
                                                                                        "HIDDEN_UNITS": 16})
    iris = ns["datasets"].load_iris()
    X_rest, X_test, y_rest, y_test = train_test_split(iris.X, iris.y, test_size=0.2, stratify=iris.y, random_state=0)
    X_train, X_val, y_train, y_val = train_test_split(X_rest, y_rest, test_size=0.2, stratify=y_rest, random_state=0)
    scaler = StandardScaler().fit(X_train)
    X_train_s = scaler.transform(X_train).astype("float32")
    model = ns["compile_net"](ns["build_iris_net"](4, 3))
    model.set_weights(_trained_iris_weights(X_train_s.tobytes(), y_train.tobytes()))
    ns.update(X_rest=X_rest, y_rest=y_rest, X_train=X_train)   # the development flowers cv_logistic may use
    ns.update(iris=iris, scaler=scaler, X_train_s=X_train_s, y_train=y_train, EPOCHS=30, model=model, y_test=y_test,
              X_test_s=scaler.transform(X_test).astype("float32"), X_val_s=scaler.transform(X_val).astype("float32"),
              y_val=y_val,
              body=ns["keras"].Model(model.inputs[0], model.get_layer("hidden").output),
              feature_names=iris.feature_names, class_names=iris.class_names,
              cv=RepeatedStratifiedKFold(n_splits=3, n_repeats=1, random_state=0), CV_FOLDS=3)
    return ns


@functools.lru_cache(maxsize=1)
def _trained_iris_weights(x_bytes: bytes, y_bytes: bytes) -> list:
    """The 4-16-3 network trained once per test session (30 epochs), as a list of weight arrays."""
    ns = definitions(2, "build_iris_net", "compile_net", "make_ds", ns={"BATCH_SIZE": 16, "HIDDEN_UNITS": 16})
    x, y = np.frombuffer(x_bytes, dtype="float32").reshape(-1, 4), np.frombuffer(y_bytes, dtype=np.int64)
    ns["keras"].utils.set_random_seed(0)
    model = ns["compile_net"](ns["build_iris_net"](4, 3))
    model.fit(ns["make_ds"](x, y, shuffle=True), epochs=30, shuffle=False, verbose=0)
    return model.get_weights()


def lesson_3(tmp_path, monkeypatch):
    ns = definitions(3, "conv2d", "max_pool", "identity", "outline")
    ns["identity"][1, 1] = 1.0          # the lesson's next line (an item assignment, not a definition)
    definitions(3, "KERNELS", "cnn", ns=ns)
    rng = np.random.default_rng(0)
    digit = rng.random((28, 28))
    edge_maps = [ns["conv2d"](digit, ns["KERNELS"][name]) for name in ("vertical edge", "horizontal edge")]
    cnn = ns["cnn"]
    ns["initial_weights"] = [w.copy() for w in cnn.get_weights()]
    kernel, bias = cnn.get_layer("conv1").get_weights()
    cnn.get_layer("conv1").set_weights([kernel + rng.normal(0, 0.1, kernel.shape), bias])   # "trained"
    ns["edges"] = np.sqrt(edge_maps[0] ** 2 + edge_maps[1] ** 2)
    return ns


def lesson_4(tmp_path, monkeypatch):
    from course_utils import evaluation, models, plots

    import keras

    rng = np.random.default_rng(0)
    keras.utils.set_random_seed(0)
    x_test = (np.round(rng.random((300, 28, 28)) * 255) / 255).astype("float32")   # grey levels / 255, as in the lesson
    mlp, cnn = models.build_mnist_mlp(), models.build_mnist_cnn()
    biased = np.random.default_rng(1)      # trained layers have biases (a network without any ignores the scale)
    for layer in (*mlp.layers, *cnn.layers):
        if layer.get_weights():
            kernel, bias = layer.get_weights()
            layer.set_weights([kernel, biased.normal(0, 0.1, bias.shape)])
    y_test = cnn.predict(x_test[..., None], verbose=0).argmax(axis=1)          # the CNN is right on half the images,
    y_test[::2] = np.arange(150) % 10                                           # every digit is in the test set
    noisy = lambda y: np.where(rng.random(len(y)) < 0.25, rng.integers(0, 10, len(y)), y)  # noqa: E731
    cnn_pred = noisy(y_test)
    cnn_proba = rng.dirichlet(np.ones(10) * 0.3, len(y_test))
    cnn_proba[np.arange(len(y_test)), cnn_pred] += 3 * rng.random(len(y_test))   # sure of some answers, not of others
    cnn_proba /= cnn_proba.sum(axis=1, keepdims=True)
    mlp_proba = rng.dirichlet(np.ones(10), len(y_test))
    mlp_proba[np.arange(len(y_test)), noisy(y_test)] += 1
    mlp_proba /= mlp_proba.sum(axis=1, keepdims=True)
    mlp.save(tmp_path / "mlp.keras")
    cnn.save(tmp_path / "cnn.keras")
    return {"np": np, "plt": plt, "keras": keras, "evaluation": evaluation, "plots": plots, "x_test": x_test, "y_test": y_test,
            "cnn_pred": cnn_proba.argmax(axis=1), "cnn_proba": cnn_proba, "mlp_proba": mlp_proba, "mlp_pred": mlp_proba.argmax(axis=1), "mlp": mlp,
            "cnn": cnn, "MLP_PATH": tmp_path / "mlp.keras", "CNN_PATH": tmp_path / "cnn.keras",
            "class_names": [str(d) for d in range(10)], "N_TEST": len(x_test),
            "mnist": types.SimpleNamespace(x_test=np.round(x_test * 255).astype("uint8"), y_test=y_test)}


def lesson_5(tmp_path, monkeypatch):
    from course_utils import models

    ns = definitions(5, "L2SP")
    # the lesson's paired gains: (gain, low, high) per model, N and method; the best gain's interval includes 0
    # at ("cnn", 100) and ("mlp", 100), so "gain > 0" is not "beyond noise"
    cells = {("cnn", 100): [(0.01, -0.002, 0.022), (0.02, -0.01, 0.05), (0.015, -0.005, 0.035)],
             ("cnn", 300): [(0.004, 0.001, 0.007), (0.001, -0.02, 0.022), (0.003, -0.001, 0.007)],
             ("mlp", 100): [(0.002, -0.004, 0.008), (-0.03, -0.08, 0.02), (0.001, -0.03, 0.032)],
             ("mlp", 300): [(-0.01, -0.02, 0.0), (-0.05, -0.06, -0.04), (-0.02, -0.03, -0.01)]}
    ns["paired"] = pd.DataFrame([{"model": model, "n_train": n, "method": method, "seeds": 3, "gain": gain,
                                  "low": low, "high": high, "verdict": ""}
                                 for (model, n), values in cells.items()
                                 for method, (gain, low, high) in zip(("fine-tune all", "frozen body", "two-stage"),
                                                                      values)])
    ns["source"] = models.build_mnist_mlp(name="source")
    hidden = ns["source"].get_layer("hidden")   # a trained source's bias is not 0: a kernel-only copy must show
    kernel, bias = hidden.get_weights()
    hidden.set_weights([kernel, np.linspace(-0.1, 0.1, bias.size).astype(bias.dtype)])
    return ns


def lesson_6(tmp_path, monkeypatch):
    from course_utils.lessons import augmentation

    x_digits, _ = bar_digits(64)
    x_digits_test, y_digits_test = bar_digits(200, seed=1)
    ns = definitions(6, "variants", "predicted", ns={"x_digits_test": x_digits_test, "digit_model": BarReader()})
    ns.update(x_digits=x_digits, y_digits_test=y_digits_test, boot=x_digits[0], N_VIEWS=4, aug=augmentation)
    return ns


def lesson_7(tmp_path, monkeypatch):
    import keras
    from keras import layers

    ns = definitions(7, "np")   # the lesson's imports (keras, pd, backbones, ...)
    inputs = x = keras.Input(shape=(8, 8, 3))
    for stage, filters in (("conv3", 4), ("conv4", 8), ("conv5", 8)):
        x = layers.Conv2D(filters, 3, padding="same", name=f"{stage}_block1_1_conv")(x)
        x = layers.BatchNormalization(name=f"{stage}_block1_1_bn")(x)
    rng = np.random.default_rng(0)
    y_test = np.repeat(np.arange(10), 4)
    # frozen head right on the even photos; fine-tuning fixes 8 odd ones and breaks 3 even ones (McNemar p = 0.23)
    idx = np.arange(len(y_test))
    frozen_right = idx % 2 == 0
    tuned_right = (frozen_right & ~np.isin(idx, [0, 2, 4])) | np.isin(idx, [1, 3, 5, 7, 9, 11, 13, 15])

    def probs(right):
        p = rng.dirichlet(np.ones(10), len(y_test))
        wrong_class = (y_test + 1 + rng.integers(0, 9, len(y_test))) % 10
        p[idx, np.where(right, y_test, wrong_class)] += 2.0
        return p / p.sum(axis=1, keepdims=True)

    finetuned_probs, frozen_probs = probs(tuned_right), probs(frozen_right)
    ns.update(base_model=keras.Model(inputs, x), extraction=12.0, cached_epoch=0.05, uncached_epoch=2.0,
              class_names=[f"species {c}" for c in range(10)], y_test=y_test, finetuned_probs=finetuned_probs,
              y_pred=finetuned_probs.argmax(axis=1), frozen_probs=frozen_probs, ft_seconds=30.0, photo=rng.random((8, 8, 3)).astype("float32"),
              bird_model=keras.Sequential([keras.Input(shape=(8, 8, 3)), layers.Flatten(),
                                           layers.Dense(10, activation="softmax")]))
    return ns


def lesson_8(tmp_path, monkeypatch):
    from course_utils import models
    from course_utils.data.datasets import ImageArrays

    ns = definitions(8, "probs", "accuracy", "source_copy", "build_bn_body", "shifts", "knn_accuracy")
    n_leak, rng = 300, np.random.default_rng(0)
    fashion = ImageArrays(blocky_images(n_leak, 0), rng.integers(0, 10, n_leak).astype("uint8"), None, None, [])
    images = np.concatenate([np.roll(fashion.x_train, s, axis=(1, 2)).reshape(n_leak, -1) / 255.0
                             for s in ns["shifts"]])
    labels, groups = np.tile(fashion.y_train, len(ns["shifts"])), np.tile(np.arange(n_leak), len(ns["shifts"]))
    ns.update(images=images, labels=labels, fashion=fashion, N_LEAK=n_leak, mnist=image_arrays(400, 2), N_TEST=200,
              source=models.build_mnist_mlp(name="source"), x_tgt=rng.random((20, 28, 28)).astype("float32"), pd=pd,
              plt=plt)
    ns["y_src_test"] = ns["mnist"].y_test[:200]
    leaky = ns["train_test_split"](np.arange(len(images)), test_size=0.2, random_state=0)
    grouped = next(ns["GroupShuffleSplit"](test_size=0.2, random_state=0).split(images, labels, groups))
    ns["acc_leaky"], ns["acc_grouped"] = ns["knn_accuracy"](*leaky), ns["knn_accuracy"](*grouped)
    return ns


# ---- wrong answers: at least three per exercise, the learner's shortcut first ---------------------------------


def _in_lesson(ns, code: str, name: str):
    """A function as a learner writes it: defined in the lesson's namespace, so it sees the lesson's names."""
    exec(code, ns)
    return ns.pop(name)


def _numerical_1_1(ns, solved):
    """The shortcut: the lesson's own finite differences instead of backpropagation."""
    return _in_lesson(ns, """
def relu_loss(params, X, y):
    H = relu(X @ params["W1"] + params["b1"])
    return cross_entropy(softmax(H @ params["W2"] + params["b2"]), y)

def backward_numerical(params, X, y):
    return numerical_gradient(params, X, y, loss=relu_loss)
""", "backward_numerical")


def _copied_numerical_1_1(ns, solved):
    """Finite differences on a writable copy, through the lesson's functions: the check counts network evaluations."""
    return _in_lesson(ns, """
def backward_copied(params, X, y):
    mine = {k: v.copy() for k, v in params.items()}
    return numerical_gradient(mine, X, y, loss=lambda p, X, y: cross_entropy(
        softmax(relu(X @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]), y))
""", "backward_copied")


def _finite_differences_1_1(name: str, copy: str, step: str) -> str:
    """Source of a finite-difference "backward" in plain NumPy (central differences, step ``step``), its inputs
    copied by the line ``copy``: the lazy answer exercise 1.1 must refuse, in the two disguises below."""
    return f"""
def {name}(params, X, y):
    {copy}
    def loss(p):
        Z = np.maximum(0, X @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]
        Z = Z - Z.max(axis=1, keepdims=True)
        return -(Z - np.log(np.exp(Z).sum(axis=1, keepdims=True)))[np.arange(len(y)), y].mean()
    grads = {{}}
    for name, value in mine.items():
        grads[name] = np.zeros_like(value)
        for i in np.ndindex(value.shape):
            old = value[i]
            value[i] = old + {step}; plus = loss(mine)
            value[i] = old - {step}; minus = loss(mine)
            value[i] = old
            grads[name][i] = (plus - minus) / (2 * {step})
    return grads
"""


def _plain_numpy_numerical_1_1(ns, solved):
    """Finite differences on copied weights with the loss in plain NumPy (no lesson function to count): the check
    counts how often X and each weight array enter an operation."""
    return _in_lesson(ns, _finite_differences_1_1(
        "backward_plain", "mine = {k: np.array(v, copy=True) for k, v in params.items()}", "1e-6"), "backward_plain")


def _array_copied_numerical_1_1(ns, solved):
    """Finite differences in plain NumPy on np.array copies of X and the weights: np.array drops the check's counting
    subclass, so no count sees them; the gradients' precision (1e-10 at best, not rounding's 1e-16) gives them away."""
    return _in_lesson(ns, _finite_differences_1_1(
        "backward_array_copies",
        "mine, X = {k: np.array(v, dtype=float) for k, v in params.items()}, np.array(X, dtype=float)", "1e-5"),
        "backward_array_copies")


def _missing_key_1_1(ns, solved):
    def backward_relu(params, X, y):
        grads = solved(params, X, y)
        return {k: v for k, v in grads.items() if k != "b2"}
    return backward_relu


def _typed_table_1_3(ns, solved):
    """The shortcut of the issue: a plausible table typed in."""
    return pd.DataFrame({"hidden units": [1, 2, 3, 4, 8, 16], "test accuracy": [0.85, 0.88, 0.95, 0.96, 0.97, 0.97],
                         "final loss": [0.3] * 6})


def _unfrozen_transfer(ns, solved):
    def transfer(body):   # the body left trainable
        model = ns["keras"].Sequential([body, ns["keras"].layers.Dense(2, activation="softmax")])
        model.compile(optimizer=ns["keras"].optimizers.Adam(learning_rate=0.05), loss="sparse_categorical_crossentropy")
        pair = ns["y_train"] > 0
        model.fit(ns["X_train_s"][pair], ns["y_train"][pair] - 1, epochs=3, verbose=0)
        return model
    return transfer


def _labels_1_2_transfer(ns, solved):
    def transfer(body):   # the natural first try: labels 1 and 2 for a 2-unit head
        body.trainable = False
        model = ns["keras"].Sequential([body, ns["keras"].layers.Dense(2, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        pair = ns["y_train"] > 0
        model.fit(ns["X_train_s"][pair], ns["y_train"][pair], epochs=1, verbose=0)
        return model
    return transfer


def _all_flowers_transfer(ns, solved):
    def transfer(body):   # the loophole: "virginica or not?" trained on all training flowers, setosa labelled 0
        body.trainable = False
        model = ns["keras"].Sequential([body, ns["keras"].layers.Dense(2, activation="softmax")])
        model.compile(optimizer=ns["keras"].optimizers.Adam(learning_rate=0.05), loss="sparse_categorical_crossentropy")
        model.fit(ns["make_ds"](ns["X_train_s"], (ns["y_train"] == 2).astype("int64"), shuffle=True),
                  epochs=ns["EPOCHS"], shuffle=False, verbose=0)
        return model
    return transfer


def _validation_flowers_transfer(ns, solved):
    def transfer(body):   # trained on the pair's training and validation flowers: the check scores on the latter
        body.trainable = False
        model = ns["keras"].Sequential([body, ns["keras"].layers.Dense(2, activation="softmax")])
        model.compile(optimizer=ns["keras"].optimizers.Adam(learning_rate=0.05), loss="sparse_categorical_crossentropy")
        X = np.concatenate([ns["X_train_s"], ns["X_val_s"]])
        y = np.concatenate([ns["y_train"], ns["y_val"]])
        model.fit(ns["make_ds"](X[y > 0], y[y > 0] - 1, shuffle=True), epochs=ns["EPOCHS"], shuffle=False, verbose=0)
        return model
    return transfer


def _swapped_labels_transfer(ns, solved):
    def transfer(body):   # versicolor 1, virginica 0: trains well, predicts the other species
        body.trainable = False
        model = ns["keras"].Sequential([body, ns["keras"].layers.Dense(2, activation="softmax")])
        model.compile(optimizer=ns["keras"].optimizers.Adam(learning_rate=0.05), loss="sparse_categorical_crossentropy")
        pair = ns["y_train"] > 0
        model.fit(ns["make_ds"](ns["X_train_s"][pair], 2 - ns["y_train"][pair], shuffle=True), epochs=ns["EPOCHS"],
                  shuffle=False, verbose=0)
        return model
    return transfer


def _stalled_transfer(ns, solved):
    def transfer(body):   # the right flowers and labels, but a head that never moves: a constant 50/50 answer
        body.trainable = False
        model = ns["keras"].Sequential([body, ns["keras"].layers.Dense(2, activation="softmax",
                                                                       kernel_initializer="zeros")])
        model.compile(optimizer=ns["keras"].optimizers.Adam(learning_rate=0.0), loss="sparse_categorical_crossentropy")
        pair = ns["y_train"] > 0
        model.fit(ns["make_ds"](ns["X_train_s"][pair], ns["y_train"][pair] - 1), epochs=1, shuffle=False, verbose=0)
        return model
    return transfer


def _untrained_transfer(ns, solved):
    def transfer(body):   # frozen body, head never trained
        body.trainable = False
        return ns["keras"].Sequential([body, ns["keras"].layers.Dense(2, activation="softmax")])
    return transfer


def _wrong_8_1(ns, solved):
    def build_target(source):   # the snippet's 32-unit head, otherwise fixed
        head = ns["layers"].Dense(32, activation="softmax")(source.get_layer("hidden").output)
        model = ns["keras"].Model(source.inputs[0], head)
        model.get_layer("hidden").trainable = False
        model.compile(optimizer=ns["keras"].optimizers.SGD(learning_rate=0.001, momentum=0.9), loss="mse")
        return model
    return build_target


def _kept_head_8_1(ns, solved):
    def build_target(source):   # the source's MNIST head kept: 10 softmax outputs, 1,290 trainable weights
        source.get_layer("hidden").trainable = False
        source.compile(optimizer=ns["keras"].optimizers.SGD(learning_rate=0.001, momentum=0.9),
                       loss="sparse_categorical_crossentropy")
        return source
    return build_target


def _shared_8_1(ns, solved):
    def build_target(source):   # the old reference: built on source.inputs[0], so it freezes the source's layer
        head = ns["layers"].Dense(10, activation="softmax")(source.get_layer("hidden").output)
        target = ns["keras"].Model(source.inputs[0], head)
        target.get_layer("hidden").trainable = False
        target.compile(optimizer=ns["keras"].optimizers.SGD(learning_rate=0.001, momentum=0.9),
                       loss="sparse_categorical_crossentropy")
        return target
    return build_target


def _wrong_8_2(ns, solved):
    def unfreeze_top_level_only(model):
        for layer in model.layers:
            layer.trainable = not isinstance(layer, ns["keras"].layers.BatchNormalization)
    return unfreeze_top_level_only


def _leaves_only_8_2(ns, solved):
    def unfreeze_leaves(model):   # every leaf switched on, the model and its nested body left frozen
        def walk(m):
            for layer in m.layers:
                if hasattr(layer, "layers"):
                    walk(layer)
                else:
                    layer.trainable = not isinstance(layer, ns["keras"].layers.BatchNormalization)
        walk(model)
    return unfreeze_leaves


def _all_on_8_2(ns, solved):
    def unfreeze_everything(model):
        model.trainable = True
    return unfreeze_everything


def _lambda_8_3(ns, solved):
    """Right probabilities, but through the Lambda layer pitfall 9 shows cannot be loaded in safe mode."""
    keras = ns["keras"]
    return keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Lambda(lambda x: x / 255.0), ns["source"]])


def _ends_only_8_4(ns, solved):
    """The two ends the old check read (one copy level, five the lesson's numbers), the rows between invented."""
    return ns["pd"].DataFrame({"copies": range(1, 6),
                               "leaky accuracy": [ns["acc_grouped"], 0.7, 0.6, 0.5, ns["acc_leaky"]],
                               "grouped accuracy": [ns["acc_grouped"]] * 5})


def _interpolated_8_4(ns, solved):
    """Only one and five copies measured, the rows between drawn on a straight line."""
    ends = solved.set_index("copies").loc[[1, 5]]
    weight = (solved["copies"].to_numpy() - 1) / 4
    return solved.assign(**{column: (1 - weight) * ends[column].iloc[0] + weight * ends[column].iloc[1]
                            for column in ("leaky accuracy", "grouped accuracy")})


def _last_copied_8_4(ns, solved):
    """One copy measured, then the five-copy numbers pasted into every row after it."""
    rest = solved["copies"] > 1
    last = solved.iloc[-1]
    return solved.assign(**{column: solved[column].where(~rest, last[column])
                            for column in ("leaky accuracy", "grouped accuracy")})


def _invented_4_8_4(ns, solved):
    """Every row measured but the one for 4 copies, invented between the two ends (the old check measured only the
    rows for 2 and 3 copies, so it passed this)."""
    leaky = solved["leaky accuracy"].to_numpy().copy()
    four = int(np.flatnonzero(solved["copies"].to_numpy() == 4)[0])
    leaky[four] = (leaky[0] + leaky[-1]) / 2
    return solved.assign(**{"leaky accuracy": leaky})


def _off_by_one_8_4(ns, solved):
    """y_8: each row measured with one copy too many (shifts[:k+1], capped at all of them), so the row "1 copy" already
    holds 2 copies. On data like the lesson's the old check passed it (test_8_4_an_off_by_one_table_is_not_quite)."""
    from course_utils.exercises.lesson08 import leak_accuracies

    fashion, n, shifts = ns["fashion"], ns["N_LEAK"], ns["shifts"]
    rows = [leak_accuracies(fashion.x_train[:n], fashion.y_train[:n], shifts, min(k + 1, len(shifts)))
            for k in range(1, len(shifts) + 1)]
    return ns["pd"].DataFrame({"copies": range(1, len(shifts) + 1), "leaky accuracy": [r[0] for r in rows],
                               "grouped accuracy": [r[1] for r in rows]})


def _shared_head(ns, solved):
    hidden = ns["source"].get_layer("hidden")
    return ns["keras"].Model(ns["source"].inputs[0], ns["keras"].layers.Dense(5, activation="softmax")(hidden.output))


def _sigmoid_body_5_1(ns, solved):
    keras = ns["keras"]
    model = keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten(),
                              keras.layers.Dense(128, activation="sigmoid", name="hidden"),
                              keras.layers.Dense(5, activation="softmax")])
    model.get_layer("hidden").set_weights(ns["source"].get_layer("hidden").get_weights())
    model.get_layer("hidden").trainable = False
    return model


def _unfrozen_5_1(ns, solved):
    solved.get_layer("hidden").trainable = True
    return solved


def _logits_head_5_1(ns, solved):
    """Everything right but the head's activation: Dense(5) without softmax gives logits, not probabilities."""
    keras = ns["keras"]
    model = keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten(name="flatten"),
                              keras.layers.Dense(128, activation="relu", name="hidden"),
                              keras.layers.Dropout(0.2, name="dropout"), keras.layers.Dense(5, name="head")])
    model.get_layer("hidden").set_weights(ns["source"].get_layer("hidden").get_weights())
    model.get_layer("hidden").trainable = False
    return model


def _kernel_only_5_1(ns, solved):
    """Everything right but the hidden layer's bias, left at its zero initialisation: only the kernel was copied."""
    solved.get_layer("hidden").trainable = False   # frozen again (an earlier wrong answer unfroze the shared model)
    solved.get_layer("hidden").kernel.assign(ns["source"].get_layer("hidden").kernel)
    bias = solved.get_layer("hidden").bias
    bias.assign(np.zeros(bias.shape, dtype="float32"))
    return solved


def _off_by_one_6_1(ns, solved):
    """The solution with rng.integers(-m, m): the upper bound is exclusive, so no image ever moves by +m."""
    from course_utils.exercises.lesson06 import shifted

    return lambda images, m, rng: np.stack([shifted(im, *(int(v) for v in rng.integers(-m, m, size=2)))
                                            for im in images]) if m else images.copy()


def _global_random_6_1(ns, solved):
    """A right shift whose offsets come from NumPy's global generator, not from the rng it is given."""
    from course_utils.exercises.lesson06 import shifted

    return lambda images, m, rng: np.stack([shifted(im, *(int(v) for v in np.random.randint(-m, m + 1, size=2)))
                                            for im in images])


def _own_generator_6_1(ns, solved):
    """A right shift that makes its own generator (seed 0) every call: repeatable, but blind to the rng it is given."""
    from course_utils.exercises.lesson06 import shifted

    def random_shift(images, m, rng):
        own = np.random.default_rng(0)
        return np.stack([shifted(im, *(int(v) for v in own.integers(-m, m + 1, size=2))) for im in images])
    return random_shift


def _two_rotations_6_2(ns, solved):
    """Two ±10° rotations, each within the rule on its own: together they turn by up to ±20°."""
    layers = ns["layers"]
    return ns["keras"].Sequential([layers.RandomRotation(10 / 360, fill_mode="constant"),
                                   layers.RandomRotation(10 / 360, fill_mode="constant")])


def _invert_6_2(ns, solved):
    """A small rotation and RandomInvert: a white background, not MNIST's black."""
    layers = ns["layers"]
    return ns["keras"].Sequential([layers.RandomRotation(10 / 360, fill_mode="constant"),
                                   layers.RandomInvert(value_range=(0, 1))])


def _one_random_layer_6_2(ns, solved):
    """One random layer and a Rescaling that does nothing: only one layer is random augmentation."""
    layers = ns["layers"]
    return ns["keras"].Sequential([layers.RandomTranslation(0.1, 0.1, fill_mode="constant"), layers.Rescaling(1.0)])


def _white_fill_6_2(ns, solved):
    layers = ns["layers"]
    return ns["keras"].Sequential([layers.RandomRotation(10 / 360, fill_mode="constant", fill_value=1.0),
                                   layers.RandomTranslation(0.1, 0.1, fill_mode="constant", fill_value=1.0)])


def _brightness_0_255_6_2(ns, solved):
    """RandomBrightness at its default value_range (0, 255) on [0, 1] digits: shifts of up to ±51."""
    layers = ns["layers"]
    return ns["keras"].Sequential([layers.RandomRotation(10 / 360, fill_mode="constant"),
                                   layers.RandomBrightness(0.2)])


def _nested_unsafe_6_2(ns, solved):
    layers = ns["layers"]
    return ns["keras"].Sequential([layers.RandomContrast(0.2),
                                   ns["keras"].Sequential([layers.RandomTranslation(0.5, 0.5, fill_mode="constant"),
                                                           layers.RandomZoom(0.9, fill_mode="constant")])])


def _wrong_turn_6_3(ns, solved):
    """The 'turned 180°' row with an accuracy that is not the model's on the turned digits."""
    table = solved.copy()
    row = table["transformation"] == "turned 180°"
    table.loc[row, "accuracy"] = 1.0 - table.loc[row, "accuracy"]
    table.loc[row, "model still reads it"] = table.loc[row, "accuracy"] >= float(
        table.loc[table["transformation"] == "original", "accuracy"].iloc[0]) - 0.05
    return table


def _predict_rows_6_3(ns, solved):
    """Own rows made with keras.Sequential([...]).predict: predict runs the random layers with training=False, so the
    'transformed' digits are the originals and every such row has exactly the original's accuracy."""
    keras, layers, x, y = ns["keras"], ns["layers"], ns["x_digits_test"], ns["y_digits_test"]
    rows = {name: float(np.mean(ns["predicted"][name] == y)) for name in ("original", "flipped left-right", "turned 180°")}
    for name, layer in {"rotation ±10°": layers.RandomRotation(10 / 360, fill_mode="constant"),
                        "shift ±2 px": layers.RandomTranslation(2 / 28, 2 / 28, fill_mode="constant")}.items():
        images = keras.Sequential([keras.Input(shape=x.shape[1:]), layer]).predict(x, verbose=0)
        rows[name] = float(np.mean(ns["digit_model"].predict(images, verbose=0).argmax(axis=1) == y))
    table = ns["pd"].DataFrame({"transformation": list(rows), "accuracy": list(rows.values())})
    table["model still reads it"] = table["accuracy"] >= rows["original"] - 0.05
    return table


def _row_keeps_6_3(ns, solved):
    table = solved.copy()
    table.loc[table["transformation"] == "rotation ±45°", "model still reads it"] = True
    table.loc[table["transformation"] == "original", "model still reads it"] = False
    return table


def _wrong_sign(ns, solved):
    return lambda w, anchor, lam: 2 * lam * (anchor - w)


def _mcnemar_one_sided(ns, solved):
    from scipy.stats import binomtest

    return dict(solved, p=float(binomtest(solved["fixed"], solved["fixed"] + solved["broken"], 0.5,
                                          alternative="greater").pvalue) if solved["fixed"] + solved["broken"] else 0.5)


def _accuracy_verdict_7_4(ns, solved):
    """The shortcut: read the two accuracies, ignore the paired test."""
    y = ns["y_test"]
    gain = np.mean(ns["finetuned_probs"].argmax(1) == y) - np.mean(ns["frozen_probs"].argmax(1) == y)
    return "fine-tuning helped" if gain > 0 else "fine-tuning hurt"


def _other_7_4(ns, solved):
    return next(v for v in ("fine-tuning hurt", "no evidence either way", "fine-tuning helped") if v != solved)


def _unscaled_4_4(path, images, labels):
    """Exercise 4.4 without the /255: pixels 0 to 255 fed to a model trained on [0, 1]."""
    import keras

    loaded = keras.models.load_model(path)
    x = images.astype("float32").reshape((-1, *loaded.input_shape[1:]))
    return float(np.mean(loaded.predict(x, verbose=0).argmax(axis=1) == labels))


def _lesson_x_test_4_4(ns):
    """Exercise 4.4 reading the file but the lesson's own x_test and y_test, not the images it is given."""
    import keras

    def accuracy(path, images, labels):
        loaded = keras.models.load_model(path)
        x = ns["x_test"].reshape((-1, *loaded.input_shape[1:]))
        return float(np.mean(loaded.predict(x, verbose=0).argmax(axis=1) == ns["y_test"]))
    return accuracy


WRONG = {   # exercise -> (lesson state builder, [likely mistakes computed from the state and the solved answer])
    "0.1": (lesson_0, [lambda ns, s: ns["fashion"].class_names[0], lambda ns, s: 3, lambda ns, s: s.upper()]),
    "0.2": (lesson_0, [lambda ns, s: hashlib.md5((ns["cu"].data_dir() / LABEL_FILE).read_bytes()).hexdigest(),
                       lambda ns, s: hashlib.sha256(LABEL_FILE.encode()).hexdigest(),
                       lambda ns, s: hashlib.sha256(str(ns["cu"].data_dir() / LABEL_FILE).encode()).hexdigest()]),
    "0.3": (lesson_0, [lambda ns, s: s.assign(**{"mean pixel": s["mean pixel"] / 255}),
                       lambda ns, s: s.assign(**{"train images": s["train images"] + 0.5}),
                       lambda ns, s: s.drop(columns="classes"), lambda ns, s: s.T]),
    "1.1": (lesson_1, [_numerical_1_1, _copied_numerical_1_1, _plain_numpy_numerical_1_1, lambda ns, s: ns["backward"],
                       _missing_key_1_1, _array_copied_numerical_1_1]),
    "1.2": (lesson_1, [lambda ns, s: (s[0], 0.04), lambda ns, s: 0.076,
                       lambda ns, s: (lambda lam, beta: 2 / lam, s[1]),
                       lambda ns, s: (lambda lam, beta: 2 * (1 + beta) / 50, s[1]),
                       lambda ns, s: (s[0], s[1] * 1.2)]),
    "1.3": (lesson_1, [_typed_table_1_3, lambda ns, s: s.assign(**{"test accuracy": 0.5}),
                       lambda ns, s: s.iloc[:4], lambda ns, s: s.assign(**{"final loss": s["final loss"] * 1.1})]),
    "2.1": (lesson_2, [lambda ns, s: ns["model"](np.asarray(ns["iris"].X[[0, 60, 120]], "float32")).numpy(),
                       lambda ns, s: ns["model"](np.asarray(NEW_FLOWERS, "float32")).numpy(),
                       lambda ns, s: ns["model"](StandardScaler().fit_transform(NEW_FLOWERS).astype("float32")).numpy(),
                       lambda ns, s: s.argmax(axis=1)]),
    "2.2": (lesson_2, [lambda ns, s: s.assign(**{"mean accuracy": s["mean accuracy"] - 0.01}),
                       lambda ns, s: s.iloc[::-1], lambda ns, s: s.iloc[:3]]),
    "2.3": (lesson_2, [_labels_1_2_transfer, _unfrozen_transfer, _untrained_transfer, lambda ns, s: ns["model"],
                       _all_flowers_transfer, _validation_flowers_transfer]),
    "3.1": (lesson_3, [lambda ns, s: lambda n, k, s=1, p=0, d=1: (n + 2 * p - k) // s + 1,     # the lesson's formula
                       lambda ns, s: lambda n, k, s=1, p=0, d=1: (n - d * (k - 1) - 1) // s + 1,   # padding ignored
                       lambda ns, s: lambda n, k, s=1, p=0, d=1: (n + 2 * p - d * k) // s + 1,
                       lambda ns, s: lambda n, k, s=1, p=0, d=1: (n + 2 * p - d * (k - 1) - 1) / s + 1]),
    "3.2": (lesson_3, [lambda ns, s: np.ones((3, 3)), lambda ns, s: np.fliplr(s), lambda ns, s: np.eye(2)]),
    "3.3": (lesson_3, [lambda ns, s: s.assign(similarity=s["similarity"] * 0.9), lambda ns, s: s.iloc[:10],
                       lambda ns, s: s.assign(**{"closest kernel": s["closest kernel"].iloc[0]}),
                       lambda ns, s: s.drop(columns="sign"),                             # the sign left out
                       lambda ns, s: s.assign(sign="+"),                                 # every filter called "+"
                       lambda ns, s: s.assign(sign=np.where(s["sign"] == "+", "−", "+"))]),
    "3.4": (lesson_3, [lambda ns, s: ns["max_pool"](ns["edges"]),                     # the lesson's 2×2 pooling
                       lambda ns, s: s[None, :, :, None], lambda ns, s: s[:-1, :-1]]),
    "4.1": (lesson_4, [lambda ns, s: _plain_precision_recall(ns), lambda ns, s: (s[0] + 0.05, s[1]),
                       lambda ns, s: (s[0], 1.0), lambda ns, s: s[0]]),
    "4.2": (lesson_4, [lambda ns, s: s.assign(**{"MLP errors": s["CNN errors"]}),
                       lambda ns, s: s.assign(**{"if independent": s["both wrong"]}),
                       lambda ns, s: s.drop(columns="if independent"), lambda ns, s: s.iloc[:5]]),
    "4.3": (lesson_4, [lambda ns, s: int(np.flatnonzero(ns["mlp_pred"] == ns["y_test"])[0]),
                       lambda ns, s: int(np.flatnonzero(ns["mlp_pred"] != ns["y_test"])[0]),
                       lambda ns, s: int(np.where(ns["mlp_pred"] != ns["y_test"], ns["mlp_proba"].max(axis=1), 2).argmin()),
                       lambda ns, s: -1]),
    "4.4": (lesson_4, [lambda ns, s: lambda path, images, labels: float(np.mean(  # the in-memory CNN, whatever the file
        ns["cnn"].predict(ns["x_test"][..., None], verbose=0).argmax(axis=1) == ns["y_test"])),
                       lambda ns, s: lambda path, images, labels: 0.5,
                       lambda ns, s: lambda path, images, labels: 100 * s(path, images, labels),
                       lambda ns, s: _unscaled_4_4, lambda ns, s: _lesson_x_test_4_4(ns)]),
    "5.1": (lesson_5, [_shared_head, _sigmoid_body_5_1, _unfrozen_5_1, _logits_head_5_1, _kernel_only_5_1]),
    "5.2": (lesson_5, [lambda ns, s: lambda w, anchor, lam: lam * (w - anchor), lambda ns, s: _wrong_sign(ns, s),
                       lambda ns, s: lambda w, anchor, lam: 2 * (w - anchor),
                       lambda ns, s: lambda w, anchor, lam: float(np.sum(2 * lam * (w - anchor)))]),
    "5.3": (lesson_5, [lambda ns, s: s.assign(**{"beyond noise": s["gain"] > 0}),
                       lambda ns, s: s.assign(gain=100 * s["gain"]), lambda ns, s: s.assign(**{"best method": "two-stage"})]),
    "6.1": (lesson_6, [lambda ns, s: lambda images, m, rng: np.stack(
        [np.roll(im, tuple(rng.integers(-m, m + 1, 2)), axis=(0, 1)) for im in images]),
                       lambda ns, s: lambda images, m, rng: images,
                       lambda ns, s: lambda images, m, rng: np.stack([np.roll(im, (m, m), axis=(0, 1)) for im in images]),
                       _off_by_one_6_1, _global_random_6_1, _own_generator_6_1]),
    "6.2": (lesson_6, [lambda ns, s: ns["keras"].Sequential([ns["layers"].RandomFlip("horizontal"),
                                                             ns["layers"].RandomTranslation(0.1, 0.1,
                                                                                           fill_mode="constant")]),
                       lambda ns, s: ns["keras"].Sequential([ns["layers"].RandomTranslation(0.5, 0.5, fill_mode="constant"),
                                                             ns["layers"].RandomRotation(0.02, fill_mode="constant")]),
                       lambda ns, s: ns["keras"].Sequential([ns["layers"].RandomZoom(0.9, fill_mode="constant"),
                                                             ns["layers"].RandomRotation(0.02, fill_mode="constant")]),
                       _nested_unsafe_6_2,
                       lambda ns, s: ns["keras"].Sequential([ns["layers"].RandomRotation(0.02),       # reflect fill
                                                             ns["layers"].RandomContrast(0.2)]),
                       _one_random_layer_6_2, _white_fill_6_2, _brightness_0_255_6_2, _two_rotations_6_2,
                       _invert_6_2]),
    "6.3": (lesson_6, [lambda ns, s: s.assign(**{"model still reads it": True}), _row_keeps_6_3,
                       lambda ns, s: s[s["transformation"].isin(["original", "flipped left-right", "turned 180°"])],
                       _wrong_turn_6_3, _predict_rows_6_3]),
    "7.1": (lesson_7, [lambda ns, s: sum(int(np.prod(w.shape)) for layer in ns["base_model"].layers
                                         if layer.name.startswith(("conv4_", "conv5_")) for w in layer.weights),
                       lambda ns, s: sum(int(np.prod(w.shape)) for layer in ns["base_model"].layers
                                         if layer.name.startswith("conv5_") and "bn" not in layer.name
                                         for w in layer.weights),
                       lambda ns, s: s + 0.5]),
    "7.2": (lesson_7, [lambda ns, s: lambda e, c, u: 1,                            # a bare guess
                       lambda ns, s: s(ns["extraction"], ns["cached_epoch"], ns["uncached_epoch"]),   # a number
                       lambda ns, s: lambda e, c, u: int(np.ceil(e / u)),           # the cached epoch left out
                       lambda ns, s: lambda e, c, u: round(e / (u - c)) if u > c else None,
                       lambda ns, s: lambda e, c, u: e / (u - c) if u > c else None,   # real-valued
                       lambda ns, s: lambda e, c, u: int(e / (u - c)) + 1 if u > c else None,   # floor + 1
                       lambda ns, s: lambda e, c, u: max(1, int(np.ceil(e / (u - c)))),   # never None
                       lambda ns, s: lambda e, c, u: s(e, c, u) + 1 if s(e, c, u) else None]),
    "7.3": (lesson_7, [lambda ns, s: dict(s, fixed=s["broken"], broken=s["fixed"]), _mcnemar_one_sided,
                       lambda ns, s: dict(s, p=s["p"] / 2 if s["p"] > 0.01 else 0.5),
                       lambda ns, s: [s["fixed"], s["broken"], s["p"]]]),
    "7.4": (lesson_7, [_accuracy_verdict_7_4, _other_7_4, lambda ns, s: True]),
    "8.1": (lesson_8, [_shared_8_1, _wrong_8_1, _kept_head_8_1]),
    "8.2": (lesson_8, [_leaves_only_8_2, _wrong_8_2, _all_on_8_2]),
    "8.3": (lesson_8, [lambda ns, s: ns["source"], lambda ns, s: ns["keras"].Sequential(
        [ns["keras"].Input(shape=(28, 28)), ns["layers"].Rescaling(1 / 127.5, offset=-1), ns["source"]]),
                       lambda ns, s: ns["keras"].Sequential([ns["keras"].Input(shape=(28, 28)), ns["layers"].Flatten(),
                                                             ns["layers"].Dense(10, activation="softmax")]),
                       _lambda_8_3]),
    "8.4": (lesson_8, [lambda ns, s: s.assign(**{"leaky accuracy": s["grouped accuracy"]}),
                       lambda ns, s: s.iloc[-1:], lambda ns, s: s.assign(**{"grouped accuracy": s["leaky accuracy"]}),
                       _ends_only_8_4, _interpolated_8_4, _last_copied_8_4, _invented_4_8_4,
                       _off_by_one_8_4]),
}

NEW_FLOWERS = np.array([[5.0, 3.3, 1.5, 0.2], [6.1, 2.8, 4.4, 1.3], [6.4, 3.0, 5.4, 2.1]])
from sklearn.preprocessing import StandardScaler  # noqa: E402


def _plain_precision_recall(ns):
    """4.1's shortcut: the row of cnn_table (every '9' the CNN says), as the old exercise asked."""
    y, pred = ns["y_test"], ns["cnn_pred"]
    tp = np.sum((pred == 9) & (y == 9))
    return (float(tp / max(np.sum(pred == 9), 1)), float(tp / np.sum(y == 9)))


def _raises(*args, **kwargs):
    raise RuntimeError("a bug in the learner's code")


def _wrong_output_model():
    import keras

    return keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten(), keras.layers.Dense(3)])


ODD_ANSWERS = {"a string": lambda: "my answer", "a number": lambda: 3, "a wrong-shape array": lambda: np.zeros((2, 5)),
               "a function that raises": lambda: _raises, "a model with the wrong output": _wrong_output_model}
ORDER = sorted(WRONG, key=lambda e: tuple(map(int, e.split("."))))
_STATES: dict = {}


def _state(exercise_id, tmp_path_factory, monkeypatch):
    """The lesson's state (built once per lesson and test session), with its environment set for this test only."""
    build = WRONG[exercise_id][0]
    if build not in _STATES:
        folder = tmp_path_factory.mktemp(build.__name__)
        _STATES[build] = (build(folder, monkeypatch), folder)
    ns, folder = _STATES[build]
    if build is lesson_0:
        lesson_0_environment(folder, monkeypatch)
    return ns



def test_3_3_accepts_a_hyphen_for_the_minus_sign(tmp_path_factory, monkeypatch):
    ns = _state("3.3", tmp_path_factory, monkeypatch)
    exec(solutions.solution_code("3.3", 3), ns)
    solved = ns["answer_3_3"]
    assert (solved["sign"] == "−").any() and (solved["sign"] == "+").any()    # the state has filters of both signs
    verdict = exercises.evaluate("3.3", solved.assign(sign=solved["sign"].str.replace("−", "-")), ns)
    assert verdict.verdict == "correct", verdict.message


def _filter_table_3_3(ns, filters, rows="one filter per row", absolute=True):
    """Exercise 3.3 as a learner might write it: rows of 9 weights cut one of two ways, the closest kernel chosen by
    the absolute or the signed cosine."""
    flat = filters.reshape(9, -1).T if rows == "one filter per row" else filters.reshape(filters.shape[-1], 9)
    bank = np.stack([k.ravel() for k in ns["KERNELS"].values()])
    signed = flat @ bank.T / np.outer(np.linalg.norm(flat, axis=1), np.linalg.norm(bank, axis=1))
    best = (np.abs(signed) if absolute else signed).argmax(axis=1)
    picked = signed[np.arange(len(flat)), best]
    return pd.DataFrame({"filter": range(len(flat)), "closest kernel": np.array(list(ns["KERNELS"]))[best],
                         "similarity": np.abs(picked), "sign": np.where(picked < 0, "−", "+")})


def test_3_3_names_the_likely_mistake_and_accepts_three_decimals(tmp_path_factory, monkeypatch):
    """learner_357: reshape(32, 9), the untrained filters, no absolute value before the argmax and rounding all got one
    generic sentence, and a table rounded to 3 decimals failed; the recipe said "reshape it to 32 rows of 9"."""
    ns = _state("3.3", tmp_path_factory, monkeypatch)
    trained = ns["cnn"].get_layer("conv1").get_weights()[0]
    assert exercises.evaluate("3.3", _filter_table_3_3(ns, trained), ns).verdict == "correct"

    def said(answer):
        verdict = exercises.evaluate("3.3", answer, ns)
        assert verdict.verdict == "not quite"
        return verdict.message

    assert "reshape(32, 9)" in said(_filter_table_3_3(ns, trained, rows="32 rows of 9 consecutive weights"))
    assert "untrained filters" in said(_filter_table_3_3(ns, ns["initial_weights"][0]))
    assert "absolute value before" in said(_filter_table_3_3(ns, trained, absolute=False))
    solved = _filter_table_3_3(ns, trained)
    assert "did you round" in said(solved.round(2))
    assert exercises.evaluate("3.3", solved.round(3), ns).verdict == "correct"
    one_off = solved.assign(similarity=np.where(solved["filter"] == 5, solved["similarity"] * 0.9,
                                                solved["similarity"]))
    assert "filter(s) [5]" in said(one_off)
    recipe = exercises.get("3.3").recipe
    assert "(9, 32)" in recipe and "transpose" in recipe and "32 rows of 9 weights;" not in recipe


def test_3_4_reads_a_square_shape_as_the_predicted_side(tmp_path_factory, monkeypatch):
    """learner_357: prediction_3_4 = (12, 12), the shape, was noted as "not what happened" although its side is right."""
    ns = dict(_state("3.4", tmp_path_factory, monkeypatch))
    exec(solutions.solution_code("3.4", 3), ns)
    side = ns["answer_3_4"].shape[0]
    for prediction, note in (((side, side), "off by +0 px"), ([side + 1, side + 1], "off by +1 px"),
                             ((side, side + 1), "not what happened")):
        ns["prediction_3_4"] = prediction
        verdict = exercises.evaluate("3.4", ns["answer_3_4"], ns)
        assert verdict.verdict == "correct" and note in verdict.message, verdict.message


def test_4_4_passes_without_the_reshape_and_names_the_missing_scaling(tmp_path_factory, monkeypatch):
    """Keras 3.10-3.15 add a missing last axis of size 1 (``Functional._adjust_input_rank``), as the exercise says, so
    leaving out the reshape is not a mistake; leaving out the /255 is, and the check says so."""
    import keras

    ns = _state("4.4", tmp_path_factory, monkeypatch)

    def no_reshape(path, images, labels):
        loaded = keras.models.load_model(path)
        return float(np.mean(loaded.predict(images.astype("float32") / 255.0, verbose=0).argmax(axis=1) == labels))

    assert exercises.evaluate("4.4", no_reshape, ns).verdict == "correct"
    unscaled = exercises.evaluate("4.4", _unscaled_4_4, ns)
    assert unscaled.verdict == "not quite" and "0 to 255" in unscaled.message, unscaled.message
    ignored = exercises.evaluate("4.4", _lesson_x_test_4_4(ns), ns)
    assert ignored.verdict == "not quite" and "it is given" in ignored.message, ignored.message


def test_1_1_catches_finite_differences_the_counts_cannot_see(tmp_path_factory, monkeypatch):
    """np.array copies hide finite differences from the counts; the comparison with the exact gradients names them."""
    ns = _state("1.1", tmp_path_factory, monkeypatch)
    verdict = exercises.evaluate("1.1", _array_copied_numerical_1_1(ns, None), ns)
    assert verdict.verdict == "not quite" and "finite differences" in verdict.message, verdict.message
    assert "exact" in verdict.message, verdict.message


def test_1_1_passes_backpropagation_written_as_a_loop_over_the_examples(tmp_path_factory, monkeypatch):
    """w_012: exact backpropagation per example, then averaged, used W2 19 times on the check's 9 rows and was called
    a numerical gradient (the limit was 10 uses). The limit now scales with the weights, which finite differences
    need one or two evaluations each for, not with the rows; forward differences (85 runs) still fail."""
    ns = _state("1.1", tmp_path_factory, monkeypatch)
    loop = _in_lesson(ns, """
def backward_loop(params, X, y):
    grads = {name: np.zeros_like(value) for name, value in params.items()}
    for x, label in zip(X, y):
        a = x @ params["W1"] + params["b1"]
        h = relu(a)
        p = softmax(h @ params["W2"] + params["b2"])
        d2 = p - np.eye(len(p))[label]
        d1 = (params["W2"] @ d2) * (relu(a) > 0)
        grads["W1"] += np.outer(x, d1); grads["b1"] += d1
        grads["W2"] += np.outer(h, d2); grads["b2"] += d2
    return {name: g / len(X) for name, g in grads.items()}
""", "backward_loop")
    verdict = exercises.evaluate("1.1", loop, ns)
    assert verdict.verdict == "correct", verdict.message
    forward_differences = _in_lesson(ns, """
def backward_forward_differences(params, X, y):
    mine = {k: v.copy() for k, v in params.items()}
    loss = lambda p: cross_entropy(softmax(relu(X @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]), y)
    base, grads = loss(mine), {}
    for name, value in mine.items():
        grads[name] = np.zeros_like(value)
        for i in np.ndindex(value.shape):
            old = value[i]
            value[i] = old + 1e-6
            grads[name][i] = (loss(mine) - base) / 1e-6
            value[i] = old
    return grads
""", "backward_forward_differences")
    verdict = exercises.evaluate("1.1", forward_differences, ns)
    assert verdict.verdict == "not quite" and "finite differences" in verdict.message, verdict.message


def test_0_1_a_wrong_prediction_is_said_of_the_prediction(tmp_path_factory, monkeypatch):
    """w_012: "your prediction: 'Coat', measured 'Pullover' (not what happened)" read as a verdict on the
    measurement; the verdict now follows the prediction."""
    ns = dict(_state("0.1", tmp_path_factory, monkeypatch))
    exec(solutions.solution_code("0.1", 0), ns)
    solved = ns["answer_0_1"]
    ns["prediction_0_1"] = next(name for name in ns["fashion"].class_names if name != solved)
    verdict = exercises.evaluate("0.1", solved, ns)
    assert verdict.verdict == "correct", verdict.message
    assert f"{ns['prediction_0_1']!r}, not what happened: measured {solved!r}" in verdict.message, verdict.message


def test_1_3_a_wrong_loss_names_how_the_network_should_be_trained(tmp_path_factory, monkeypatch):
    """A row whose accuracy matches but whose loss does not (a differently trained network can score the same) is
    told how the check trains it, not only that the loss is off."""
    ns = _state("1.3", tmp_path_factory, monkeypatch)
    exec(solutions.solution_code("1.3", 1), ns)
    plt.close("all")
    solved = ns["answer_1_3"]
    verdict = exercises.evaluate("1.3", solved.assign(**{"final loss": solved["final loss"] * 1.1}), ns)
    assert verdict.verdict == "not quite", verdict.message
    assert "default_rng(42)" in verdict.message and "TRAIN_STEPS" in verdict.message, verdict.message


def test_2_1_tells_wrong_scalers_apart_on_a_confident_model(tmp_path_factory, monkeypatch):
    """A confident model (the head's weights tripled) saturates its softmax: a scaler fitted on the development or on
    all flowers then moves every probability by less than 1e-4, yet its log-probabilities by more than 0.1. The check
    compares log-probabilities, so both are "not quite", each with its own reason, and the right answer passes."""
    from sklearn.preprocessing import StandardScaler

    ns = dict(_state("2.1", tmp_path_factory, monkeypatch))
    keras = ns["keras"]
    sharp = keras.models.clone_model(ns["model"])
    sharp.set_weights(ns["model"].get_weights())
    kernel, bias = sharp.get_layer("head").get_weights()
    sharp.get_layer("head").set_weights([3 * kernel, 3 * bias])
    ns["model"] = sharp
    probabilities = lambda scaler: sharp(scaler.transform(NEW_FLOWERS).astype("float32")).numpy()  # noqa: E731
    right = probabilities(ns["scaler"])
    assert exercises.evaluate("2.1", right, ns).verdict == "correct"
    assert exercises.evaluate("2.1", sharp.predict(ns["scaler"].transform(NEW_FLOWERS), verbose=0), ns).verdict == "correct"
    for rows, reason in ((ns["X_rest"], "development flowers"), (ns["iris"].X, "all 150 flowers")):
        wrong = probabilities(StandardScaler().fit(rows))
        assert np.abs(wrong - right).max() < 1e-4                 # within the old check's atol
        verdict = exercises.evaluate("2.1", wrong, ns)
        assert verdict.verdict == "not quite" and reason in verdict.message, verdict.message


def test_2_1_a_scaler_refitted_on_the_three_flowers_is_not_quite(tmp_path_factory, monkeypatch):
    """w_012: `model(scaler.fit_transform(new_flowers))` refits the lesson's scaler in place; the check took its
    expected answer from that same scaler and passed it. It now refits the training rows' scaler itself."""
    import copy

    ns = dict(_state("2.1", tmp_path_factory, monkeypatch))
    ns["scaler"] = copy.deepcopy(ns["scaler"])   # the state is shared with other tests
    lazy = ns["model"](ns["scaler"].fit_transform(NEW_FLOWERS).astype("float32")).numpy()
    verdict = exercises.evaluate("2.1", lazy, ns)
    assert verdict.verdict == "not quite" and "refitted the lesson's `scaler` on the three flowers" in verdict.message
    ns["scaler"].fit(ns["X_train"])                # the learner reruns the cell that fits it
    right = ns["model"](ns["scaler"].transform(NEW_FLOWERS).astype("float32")).numpy()
    assert exercises.evaluate("2.1", right, ns).verdict == "correct"


def test_2_3_tells_swapped_labels_from_an_under_trained_head(tmp_path_factory, monkeypatch):
    """A low score after training on the right rows is either swapped labels (below a constant guess) or a head that
    learned too little (the task's rate and epochs): the feedback names which, not the rows the learner already used."""
    ns = _state("2.3", tmp_path_factory, monkeypatch)
    swapped = exercises.evaluate("2.3", _swapped_labels_transfer(ns, None), ns)
    assert swapped.verdict == "not quite" and "swapped" in swapped.message, swapped.message
    stalled = exercises.evaluate("2.3", _stalled_transfer(ns, None), ns)
    assert stalled.verdict == "not quite" and "under-trained" in stalled.message, stalled.message
    assert "0.05" in stalled.message, stalled.message


def test_2_3_also_trains_the_head_on_an_untrained_control(tmp_path_factory, monkeypatch):
    """Exercise 2.3 runs the learner's transfer() twice: on the setosa-trained body and on an untrained body with the
    same initial weights (the control), and its verdict reports both scores."""
    import re

    from course_utils.exercises import lesson02

    ns = dict(_state("2.3", tmp_path_factory, monkeypatch))
    exec(solutions.solution_code("2.3", 2), ns)
    given = []

    def spy(body):
        given.append([w.copy() for w in body.get_weights()])
        return ns["answer_2_3"](body)

    verdict = exercises.evaluate("2.3", spy, ns)
    assert verdict.verdict == "correct", verdict.message
    assert len(given) == 2                              # the setosa body, then the control
    fresh = lesson02.untrained_body().get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(given[1], fresh))            # the control: initial weights
    assert not all(np.array_equal(a, b) for a, b in zip(given[0], fresh))        # the source body was trained
    assert len(re.findall(r"\d+%", verdict.message)) == 2, verdict.message         # both scores printed
    control = lesson02.pair_score(ns["answer_2_3"](lesson02.untrained_body()), ns["X_val_s"], ns["y_val"])
    assert control >= 0.5

def _looping_break_even(extraction, cached_epoch, uncached_epoch):
    """7.2 written as a loop with the "never pays" test off by one (< for <=): loops for ever on (5, 2, 2)."""
    if uncached_epoch < cached_epoch:
        return None
    epochs = 1
    while extraction + epochs * cached_epoch > epochs * uncached_epoch:
        epochs += 1
    return epochs


def test_7_2_stops_a_loop_that_never_ends_and_says_which_times(tmp_path_factory, monkeypatch):
    """The check runs the learner's break_even with a time limit: a loop that never ends is stopped and named, instead
    of hanging the kernel (the check itself runs here in a thread, so this test fails rather than hangs without it)."""
    import threading

    ns = _state("7.2", tmp_path_factory, monkeypatch)
    outcome = {}
    checking = threading.Thread(target=lambda: outcome.update(v=exercises.evaluate("7.2", _looping_break_even, ns)),
                                daemon=True)
    checking.start()
    checking.join(60)
    assert not checking.is_alive(), "the 7.2 check did not return: the learner's loop was not stopped"
    verdict = outcome["v"]
    assert verdict.verdict == "not quite", verdict
    assert "break_even(5, 2, 2) did not return within" in verdict.message and "return None" in verdict.message
    assert not any(t.name == "course-exercise-call" for t in threading.enumerate())   # the loop was stopped too


def test_7_2_a_division_by_zero_names_the_times(tmp_path_factory, monkeypatch):
    ns = _state("7.2", tmp_path_factory, monkeypatch)
    verdict = exercises.evaluate("7.2", lambda e, c, u: max(1, int(np.ceil(e / (u - c)))), ns)
    assert verdict.verdict == "not quite", verdict
    assert "break_even(5, 2, 2) raised ZeroDivisionError" in verdict.message, verdict.message
    assert "return None before dividing" in verdict.message, verdict.message


def test_7_3_accepts_a_p_value_rounded_to_three_decimals(tmp_path_factory, monkeypatch):
    """A right p-value rounded to 3 decimals passes; rounded to 2 it is "close"; the chi-square McNemar p (continuity
    corrected), unrounded, is still "not quite"."""
    from scipy.stats import chi2

    ns = dict(_state("7.3", tmp_path_factory, monkeypatch))
    exec(solutions.solution_code("7.3", 7), ns)
    solved = ns["answer_7_3"]
    assert exercises.evaluate("7.3", dict(solved, p=round(solved["p"], 3)), ns).verdict == "correct"
    assert exercises.evaluate("7.3", dict(solved, p=float(f"{solved['p']:.3g}")), ns).verdict == "correct"
    close = exercises.evaluate("7.3", dict(solved, p=round(solved["p"], 2)), ns)
    assert close.verdict == "not quite" and "rounded to 2" in close.message, close.message
    f, b = solved["fixed"], solved["broken"]
    chi_square = float(chi2.sf((abs(f - b) - 1) ** 2 / (f + b), 1))
    assert exercises.evaluate("7.3", dict(solved, p=chi_square), ns).verdict == "not quite"
    same = dict(ns, frozen_probs=ns["finetuned_probs"])     # no photo changed: p = 1, which is also its rounding
    assert exercises.evaluate("7.3", {"fixed": 0, "broken": 0, "p": 1.0}, same).verdict == "correct"


def test_7_4_accepts_the_statement_with_a_full_stop(tmp_path_factory, monkeypatch):
    ns = dict(_state("7.4", tmp_path_factory, monkeypatch))
    exec(solutions.solution_code("7.3", 7), ns)
    exec(solutions.solution_code("7.4", 7), ns)
    assert exercises.evaluate("7.4", ns["answer_7_4"].capitalize() + ".", ns).verdict == "correct"


def test_7_4_needs_this_runs_7_3_answer(tmp_path_factory, monkeypatch):
    """Review w_7: the hedge 'no evidence either way' passed without 7.3's p-value; it must follow from this run's."""
    ns = dict(_state("7.4", tmp_path_factory, monkeypatch))
    exec(solutions.solution_code("7.3", 7), ns)
    exec(solutions.solution_code("7.4", 7), ns)
    right = ns["answer_7_4"]
    for missing in (None, {"fixed": 0, "broken": 0, "p": 1.0}):
        lazy = dict(ns, answer_7_3=missing) if missing else {k: v for k, v in ns.items() if k != "answer_7_3"}
        assert exercises.evaluate("7.4", right, lazy).verdict == "not quite"
    assert exercises.evaluate("7.4", right, ns).verdict == "correct"


def test_8_3_keeps_the_nested_sources_optimizer_warning_out_of_the_verdict(tmp_path_factory, monkeypatch):
    """Once the lesson has saved its compiled source as .h5 (pitfall 9), saving and loading an answer that nests it
    makes Keras 3.15 warn "Skipping variable loading for optimizer"; the check silences that warning (it needs only the
    layers), and the right answer still passes."""
    import warnings

    ns = dict(_state("8.3", tmp_path_factory, monkeypatch))
    keras = ns["keras"]
    source = keras.models.clone_model(ns["source"])
    source.set_weights(ns["source"].get_weights())
    source.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    source.fit(ns["mnist"].x_test[:64] / 255.0, ns["mnist"].y_test[:64], epochs=1, verbose=0)
    folder = tmp_path_factory.mktemp("pitfall9")
    source.save(folder / "source.h5")               # as pitfall 9 does: the legacy format is what leads to the warning
    source.save(folder / "source.keras")
    ns["source"] = source
    answer = keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Rescaling(1 / 255), source])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        verdict = exercises.evaluate("8.3", answer, ns)
    assert verdict.verdict == "correct", verdict.message
    assert not [w for w in caught if "Skipping variable loading for optimizer" in str(w.message)]


def _lesson_like_8_4(ns):
    """Pitfall 8's state on 2,000 small originals whose 2-copy leak is about 8 points, as on Fashion-MNIST (1 copy
    0.560, 2 copies 0.645, grouped 0.570): the one-copy test's allowance, sqrt(2) x 3 SE, is wider than that leak."""
    from course_utils.data.datasets import ImageArrays

    n, rng = 2000, np.random.default_rng(0)
    y = rng.integers(0, 10, n)
    templates = rng.uniform(60, 200, (10, 8, 8))
    x = templates[y] + rng.normal(0, 60, (n, 8, 8))
    flat = rng.random(n) < 0.3                    # a flat image stays close to its shifted copies: those can leak
    x[flat] = templates[y[flat]].mean(axis=(1, 2))[:, None, None] + rng.normal(0, 60, (int(flat.sum()), 1, 1))
    fashion = ImageArrays(np.clip(x, 0, 255).astype("uint8"), y.astype("uint8"), None, None, [])
    from course_utils.exercises.lesson08 import leak_accuracies

    acc_leaky, acc_grouped = leak_accuracies(fashion.x_train, fashion.y_train, ns["shifts"], len(ns["shifts"]))
    return dict(ns, fashion=fashion, N_LEAK=n, acc_leaky=acc_leaky, acc_grouped=acc_grouped)


def test_8_4_an_off_by_one_table_is_not_quite(tmp_path_factory, monkeypatch):
    """y_8: with shifts[:k+1] the row "1 copy" held 2 copies and leaked; the old check allowed the one-copy row's two
    accuracies sqrt(2) x 3 SE apart and measured only the rows for 2-4 copies itself, so the table passed. The check
    now measures the one-copy row too; the solution still passes."""
    ns = _lesson_like_8_4(_state("8.4", tmp_path_factory, monkeypatch))
    verdict = exercises.evaluate("8.4", _off_by_one_8_4(ns, None), ns)
    assert verdict.verdict == "not quite" and "copies = 1 " in verdict.message, verdict.message
    exec(solutions.solution_code("8.4", 8), ns)
    assert exercises.evaluate("8.4", ns["answer_8_4"], ns).verdict == "correct"
    plt.close("all")


GLOBAL_SOURCE_8_1 = """
def build_target(src):   # the argument ignored: the body reads the notebook's `source`
    head = layers.Dense(10, activation="softmax", name="new_head")(source.get_layer("hidden").output)
    target = keras.Model(source.inputs[0], head)
    target.get_layer("hidden").trainable = FREEZE
    target.compile(optimizer=keras.optimizers.SGD(learning_rate=0.001, momentum=0.9),
                   loss="sparse_categorical_crossentropy")
    return target
"""


def test_8_1_a_function_that_uses_the_notebooks_source_is_not_quite(tmp_path_factory, monkeypatch):
    """w_8: a build_target that ignores its argument and builds on the notebook's global `source` passed (the check
    looked only at the copy it passed in) and froze the lesson's own source. The check now snapshots the lesson's
    source, says "not quite" when the function changed it or reuses its layers, and puts it back as it was."""
    ns = dict(_state("8.1", tmp_path_factory, monkeypatch))
    keras = ns["keras"]
    source = keras.models.clone_model(ns["source"])      # the state is shared with other tests
    source.set_weights(ns["source"].get_weights())
    ns["source"] = source
    weights = [w.copy() for w in source.get_weights()]
    freezes = _in_lesson(ns, GLOBAL_SOURCE_8_1.replace("FREEZE", "False"), "build_target")
    verdict = exercises.evaluate("8.1", freezes, ns)
    assert verdict.verdict == "not quite" and "`source` itself" in verdict.message, verdict.message
    assert "hidden" in verdict.message, verdict.message
    assert all(layer.trainable for layer in source.layers) and source.trainable          # put back as it was
    assert all(np.array_equal(a, b) for a, b in zip(weights, source.get_weights()))
    reuses = _in_lesson(ns, GLOBAL_SOURCE_8_1.replace("FREEZE", "True"), "build_target")  # nothing frozen, still shared
    verdict = exercises.evaluate("8.1", reuses, ns)
    assert verdict.verdict == "not quite" and "reuses layers of the notebook's `source`" in verdict.message
    exec(solutions.solution_code("8.1", 8), ns)                                           # the solution still passes
    assert exercises.evaluate("8.1", ns["answer_8_1"], ns).verdict == "correct"
    assert all(layer.trainable for layer in source.layers)


def test_5_1_accepts_a_body_nested_as_its_own_frozen_model(tmp_path_factory, monkeypatch):
    """The Keras guide's pattern: the copied body as its own frozen Sequential inside the target. The checker looks
    for the hidden layer inside nested models and judges freezing by the weights training would update."""
    ns = _state("5.1", tmp_path_factory, monkeypatch)
    keras, source = ns["keras"], ns["source"]

    def nested(freeze):
        body = keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten(name="flatten"),
                                 keras.layers.Dense(128, activation="relu", name="hidden"),
                                 keras.layers.Dropout(0.2, name="dropout")], name="body")
        for layer in body.layers:
            layer.set_weights(source.get_layer(layer.name).get_weights())
        freeze(body)
        return keras.Sequential([keras.Input(shape=(28, 28)), body, keras.layers.Dense(5, activation="softmax")])

    for freeze in (lambda body: setattr(body, "trainable", False),
                   lambda body: setattr(body.get_layer("hidden"), "trainable", False)):
        verdict = exercises.evaluate("5.1", nested(freeze), ns)
        assert verdict.verdict == "correct", verdict.message
    unfrozen = exercises.evaluate("5.1", nested(lambda body: None), ns)
    assert unfrozen.verdict == "not quite" and "frozen" in unfrozen.message, unfrozen.message
    unbuilt = keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(5, activation="softmax")])
    verdict = exercises.evaluate("5.1", unbuilt, ns)
    assert verdict.verdict == "not quite" and "keras.Input" in verdict.message, verdict.message


def test_5_3_reads_yes_and_no_as_text_not_as_true(tmp_path_factory, monkeypatch):
    """bool("no") is True: a beyond-noise column written as "yes"/"no" must be told to be a boolean, not be read as
    all True (which passes every row that is beyond the noise and gives a misleading message on the others)."""
    ns = dict(_state("5.3", tmp_path_factory, monkeypatch))
    exec(solutions.solution_code("5.3", 5), ns)
    solved = ns["answer_5_3"]
    as_text = solved.assign(**{"beyond noise": np.where(solved["beyond noise"].astype(bool), "yes", "no")})
    verdict = exercises.evaluate("5.3", as_text, ns)
    assert verdict.verdict == "not quite" and "boolean" in verdict.message, verdict.message
    assert exercises.evaluate("5.3", solved, ns).verdict == "correct"


def test_5_2_a_wrong_sign_is_said_of_the_learners_gradient(tmp_path_factory, monkeypatch):
    """2λ(a − w) points towards the anchor; the message must say so of the learner's gradient, and say which way the
    right one points (it used to describe the right gradient as if it were theirs)."""
    ns = _state("5.2", tmp_path_factory, monkeypatch)
    verdict = exercises.evaluate("5.2", _wrong_sign(ns, None), ns)
    assert verdict.verdict == "not quite", verdict.message
    assert "wrong sign" in verdict.message and "yours points towards the anchor" in verdict.message, verdict.message
    assert "must point from the anchor towards w" in verdict.message, verdict.message


def test_6_3_one_row_tied_with_the_original_passes_with_a_note(tmp_path_factory, monkeypatch):
    """A real small change can leave the accuracy exactly where it was (a contrast change did on 1 of 12 draws), so a
    single tied row passes, with a note on training=True; two tied rows fail (``_predict_rows_6_3``)."""
    ns = _state("6.3", tmp_path_factory, monkeypatch)
    exec(solutions.solution_code("6.3", 6), ns)
    solved = ns["answer_6_3"]
    original = float(solved.loc[solved["transformation"] == "original", "accuracy"].iloc[0])
    own = ~solved["transformation"].isin(["original", "flipped left-right", "turned 180°"])
    tied = (solved["accuracy"] == original) & own
    if not tied.any():                                  # make one own row tie
        solved = solved.copy()
        solved.loc[own.idxmax(), ["accuracy", "model still reads it"]] = [original, True]
    assert int(((solved["accuracy"] == original) & own).sum()) == 1
    verdict = exercises.evaluate("6.3", solved, ns)
    assert verdict.verdict == "correct" and "training=True" in verdict.message, verdict.message


def test_every_exercise_has_three_wrong_answers_here():
    assert sorted(WRONG) == sorted(exercises.all_exercises())
    assert all(len(wrong) >= 3 for _, wrong in WRONG.values())


NEEDS = {"7.4": ["7.3"]}   # exercises whose check reads an earlier exercise's answer (7.4's verdict follows 7.3's p)


@pytest.mark.parametrize("exercise_id", ORDER)
def test_stub_wrong_answers_and_solution(exercise_id, tmp_path_factory, monkeypatch, capsys):
    """Not answered, then the reference solution passes, then every wrong answer is "not quite" with a reason, and
    the grader reads the same verdict from the grade log that the lesson prints."""
    from course_utils.tools import grade

    ns = _state(exercise_id, tmp_path_factory, monkeypatch)
    for earlier in NEEDS.get(exercise_id, ()):      # solved here, not left over from an earlier test in this worker
        exec(solutions.solution_code(earlier, int(earlier.split(".")[0])), ns)
    answer_name = "answer_" + exercise_id.replace(".", "_")
    assert exercises.evaluate(exercise_id, None, ns).verdict == "not answered"
    exec(solutions.solution_code(exercise_id, int(exercise_id.split(".")[0])), ns)
    solved_answer = ns[answer_name]
    solved = exercises.evaluate(exercise_id, solved_answer, ns)
    assert solved.verdict == "correct", solved.message
    log = tmp_path_factory.mktemp("log") / "grades.jsonl"
    monkeypatch.setenv("COURSE_GRADE_LOG", str(log))
    monkeypatch.delenv("COURSE_STRICT_CHECKS", raising=False)
    monkeypatch.delenv("CI", raising=False)
    for i, mistaken in enumerate(WRONG[exercise_id][1]):
        answer = mistaken(ns, solved_answer)
        mistake = exercises.evaluate(exercise_id, answer, ns)
        assert mistake.verdict == "not quite", (i, mistake)
        assert len(mistake.message) > 20, (i, mistake)
        exercises.check(exercise_id, answer, ns)
        logged = grade.read_log(log)[exercise_id]
        assert grade.exercise_verdict(_graded_copy(exercise_id), exercise_id, logged) == "not quite"
        assert logged["verdict"] == mistake.verdict
    plt.close("all")


def _graded_copy(exercise_id):
    """A submission as the grader sees it after running: the answer cell and its check cell, no error outputs."""
    import nbformat

    name = "answer_" + exercise_id.replace(".", "_")
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(f"{name} = ...")
    cell.metadata.update({"tags": ["solution"], "exercise": exercise_id})
    check = nbformat.v4.new_code_cell(f'cu.check("{exercise_id}", {name}, globals())', execution_count=2)
    nb.cells = [cell, check]
    return nb


@pytest.mark.parametrize("kind", sorted(ODD_ANSWERS))
@pytest.mark.parametrize("exercise_id", ORDER)
def test_no_checker_raises_whatever_it_is_given(exercise_id, kind, tmp_path_factory, monkeypatch):
    ns = _state(exercise_id, tmp_path_factory, monkeypatch)
    outcome = exercises.evaluate(exercise_id, ODD_ANSWERS[kind](), ns)
    assert outcome.verdict == "not quite", outcome
    assert outcome.message
