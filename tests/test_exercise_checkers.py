"""Every exercise's checker, both directions: the stub is "not answered", a wrong answer "not quite", the solution passes.

Each lesson's state is rebuilt small (``lesson_state``): the lesson's own definitions, read from its notebook, plus
synthetic data. The solution is the code between the markers of the instructor notebook, executed in that state;
the wrong answers are the mistakes a learner is likely to make (listed in ``WRONG``).
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib

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
    from course_utils.data.registry import REGISTRY

    payload = b"not really the MNIST labels"
    (tmp_path / "cache" / "mnist").mkdir(parents=True)
    (tmp_path / "cache" / LABEL_FILE).write_bytes(payload)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.setitem(REGISTRY, LABEL_FILE, dataclasses.replace(
        REGISTRY[LABEL_FILE], known_hash="sha256:" + hashlib.sha256(payload).hexdigest()))
    return {"cu": cu, "fashion": image_arrays(300, 0, ink_class=3), "mnist": image_arrays(300, 1, ink_class=1)}


def lesson_1(tmp_path, monkeypatch):
    from sklearn.datasets import make_moons
    from sklearn.model_selection import train_test_split

    ns = definitions(1, "sigmoid", "relu", "softmax", "init_params", "forward", "cross_entropy", "one_hot",
                     "backward", "loss_fn", "momentum", "adam", "run", "train", "accuracy")
    X, y = make_moons(n_samples=600, noise=0.2, random_state=0)
    ns["X_train"], ns["X_test"], ns["y_train"], ns["y_test"] = train_test_split(X, y, test_size=0.3, stratify=y,
                                                                                random_state=0)
    ns.update(TRAIN_STEPS=300, class_names=["upper moon", "lower moon"])
    return ns


def lesson_2(tmp_path, monkeypatch):
    from sklearn.model_selection import RepeatedStratifiedKFold, train_test_split
    from sklearn.preprocessing import StandardScaler

    ns = definitions(2, "build_iris_net", "compile_net", "make_ds", "cv_logistic", ns={"BATCH_SIZE": 16,
                                                                                        "HIDDEN_UNITS": 16})
    iris = ns["datasets"].load_iris()
    X_train, X_test, y_train, y_test = train_test_split(iris.X, iris.y, test_size=0.2, stratify=iris.y, random_state=0)
    scaler = StandardScaler().fit(X_train)
    X_train_s = scaler.transform(X_train).astype("float32")
    model = ns["compile_net"](ns["build_iris_net"](4, 3))
    model.set_weights(_trained_iris_weights(X_train_s.tobytes(), y_train.tobytes()))
    ns.update(iris=iris, scaler=scaler, X_train_s=X_train_s, y_train=y_train, EPOCHS=30, model=model,
              body=ns["keras"].Model(model.inputs[0], model.get_layer("hidden").output),
              feature_names=iris.feature_names, class_names=iris.class_names,
              cv=RepeatedStratifiedKFold(n_splits=3, n_repeats=1, random_state=0))
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
    x_test = rng.random((300, 28, 28)).astype("float32")
    mlp, cnn = models.build_mnist_mlp(), models.build_mnist_cnn()
    y_test = cnn.predict(x_test[..., None], verbose=0).argmax(axis=1)          # the CNN is right on half the images,
    y_test[::2] = np.arange(150) % 10                                           # every digit is in the test set
    noisy = lambda y: np.where(rng.random(len(y)) < 0.25, rng.integers(0, 10, len(y)), y)  # noqa: E731
    mlp_proba = rng.dirichlet(np.ones(10), len(y_test))
    mlp_proba[np.arange(len(y_test)), noisy(y_test)] += 1
    mlp_proba /= mlp_proba.sum(axis=1, keepdims=True)
    mlp.save(tmp_path / "mlp.keras")
    cnn.save(tmp_path / "cnn.keras")
    return {"np": np, "plt": plt, "keras": keras, "evaluation": evaluation, "plots": plots, "x_test": x_test, "y_test": y_test,
            "cnn_pred": noisy(y_test), "mlp_proba": mlp_proba, "mlp_pred": mlp_proba.argmax(axis=1), "mlp": mlp,
            "cnn": cnn, "MLP_PATH": tmp_path / "mlp.keras", "CNN_PATH": tmp_path / "cnn.keras",
            "class_names": [str(d) for d in range(10)]}


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
    finetuned_probs = rng.dirichlet(np.ones(10), len(y_test))
    ns.update(base_model=keras.Model(inputs, x), extraction=12.0, cached_epoch=0.05, uncached_epoch=2.0,
              class_names=[f"species {c}" for c in range(10)], y_test=y_test, finetuned_probs=finetuned_probs,
              y_pred=finetuned_probs.argmax(axis=1), photo=rng.random((8, 8, 3)).astype("float32"),
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


def _wrong_8_2(ns, solved):
    def unfreeze_top_level_only(model):
        for layer in model.layers:
            layer.trainable = not isinstance(layer, ns["keras"].layers.BatchNormalization)
    return unfreeze_top_level_only


def _shared_head(ns, solved):
    hidden = ns["source"].get_layer("hidden")
    hidden.trainable = False
    return ns["keras"].Model(ns["source"].inputs[0], ns["keras"].layers.Dense(5, activation="softmax")(hidden.output))


def _unfrozen_head(ns, solved):
    ns["body"].trainable = True
    model = ns["keras"].Sequential([ns["body"], ns["keras"].layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def _precision_table(ns, solved):
    table = solved.copy()
    precision = {ns["class_names"][c]: float(np.mean(ns["y_test"][ns["y_pred"] == c] == c)) if np.any(ns["y_pred"] == c)
                 else 0.0 for c in range(10)}
    table["recall"] = table["species"].map(precision)
    return table


WRONG = {   # exercise -> (lesson state builder, a likely mistake computed from the state and the solved answer)
    "0.1": (lesson_0, lambda ns, solved: ns["fashion"].class_names[0]),
    "0.2": (lesson_0, lambda ns, solved: hashlib.md5((ns["cu"].data_dir() / LABEL_FILE).read_bytes()).hexdigest()),
    "0.3": (lesson_0, lambda ns, solved: solved.assign(**{"mean pixel": solved["mean pixel"] / 255})),
    "1.1": (lesson_1, lambda ns, solved: ns["backward"]),                      # tanh's derivative kept
    "1.2": (lesson_1, lambda ns, solved: 0.04),                                # plain gradient descent's limit
    "1.3": (lesson_1, lambda ns, solved: solved.assign(**{"test accuracy": 0.5})),
    "2.1": (lesson_2, lambda ns, solved: ns["model"](np.asarray(ns["iris"].X[[0, 60, 120]], "float32")).numpy()),
    "2.2": (lesson_2, lambda ns, solved: solved.assign(**{"mean accuracy": solved["mean accuracy"] - 0.01})),
    "2.3": (lesson_2, _unfrozen_head),
    "3.1": (lesson_3, lambda ns, solved: lambda n, k, s=1, p=0: (n - k) // s + 1),   # padding ignored
    "3.2": (lesson_3, lambda ns, solved: np.ones((3, 3))),
    "3.3": (lesson_3, lambda ns, solved: solved.assign(similarity=solved["similarity"] * 0.9)),
    "3.4": (lesson_3, lambda ns, solved: solved[None, :, :, None]),
    "4.1": (lesson_4, lambda ns, solved: solved[::-1]),
    "4.2": (lesson_4, lambda ns, solved: solved.assign(**{"MLP errors": solved["CNN errors"]})),
    "4.3": (lesson_4, lambda ns, solved: int(np.flatnonzero(ns["mlp_pred"] == ns["y_test"])[0])),
    "4.4": (lesson_4, lambda ns, solved: lambda path: float(np.mean(            # the in-memory CNN, whatever the file
        ns["cnn"].predict(ns["x_test"][..., None], verbose=0).argmax(axis=1) == ns["y_test"]))),
    "5.1": (lesson_5, _shared_head),
    "5.2": (lesson_5, lambda ns, solved: lambda w, anchor, lam: lam * (w - anchor)),
    "5.3": (lesson_5, lambda ns, solved: solved.assign(**{"beyond noise": solved["gain"] > 0})),
    "6.1": (lesson_6, lambda ns, solved: lambda images, m, rng: np.stack(
        [np.roll(im, tuple(rng.integers(-m, m + 1, 2)), axis=(0, 1)) for im in images])),
    "6.2": (lesson_6, lambda ns, solved: ns["keras"].Sequential([ns["layers"].RandomFlip("horizontal"),
                                                                 ns["layers"].RandomTranslation(0.1, 0.1,
                                                                                               fill_mode="constant")])),
    "6.3": (lesson_6, lambda ns, solved: solved.assign(**{"keeps label": True})),
    "7.1": (lesson_7, lambda ns, solved: sum(int(np.prod(w.shape)) for layer in ns["base_model"].layers
                                             if layer.name.startswith(("conv4_", "conv5_")) for w in layer.weights)),
    "7.2": (lesson_7, lambda ns, solved: solved + 1),
    "7.3": (lesson_7, _precision_table),
    "7.4": (lesson_7, lambda ns, solved: solved[::-1]),
    "8.1": (lesson_8, _wrong_8_1),
    "8.2": (lesson_8, _wrong_8_2),
    "8.3": (lesson_8, lambda ns, solved: ns["source"]),                        # no scaling inside
    "8.4": (lesson_8, lambda ns, solved: solved.assign(**{"leaky accuracy": solved["grouped accuracy"]})),
}


MORE_WRONG = {   # exercise -> further likely mistakes, each checked like the one in WRONG
    "8.1": [_kept_head_8_1],
}


def test_every_exercise_has_a_wrong_answer_here():
    assert sorted(WRONG) == sorted(exercises.all_exercises())


@pytest.mark.parametrize("exercise_id", sorted(WRONG, key=lambda e: tuple(map(int, e.split(".")))))
def test_stub_wrong_answer_and_solution(exercise_id, tmp_path, monkeypatch, capsys):
    build, wrong = WRONG[exercise_id]
    ns = build(tmp_path, monkeypatch)
    answer_name = "answer_" + exercise_id.replace(".", "_")
    assert exercises.evaluate(exercise_id, None, ns).verdict == "not answered"
    exec(solutions.solution_code(exercise_id, int(exercise_id.split(".")[0])), ns)
    solved = exercises.evaluate(exercise_id, ns[answer_name], ns)
    assert solved.verdict == "correct", solved.message
    for mistaken in [wrong, *MORE_WRONG.get(exercise_id, [])]:
        mistake = exercises.evaluate(exercise_id, mistaken(ns, ns[answer_name]), ns)
        assert mistake.verdict == "not quite", (mistaken.__name__, mistake)
    plt.close("all")
