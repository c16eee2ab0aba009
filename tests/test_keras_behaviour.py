"""What TensorFlow/Keras does that the lessons rely on, pinned in one place.

Each test states a library behaviour a lesson teaches or builds on, for the versions the course tests (Keras 3.10
with TensorFlow 2.19, Keras 3.15 with TensorFlow 2.21: ``make test-min`` and ``make test``). When a new release
changes one of them, this file fails first and names the lesson that has to change.
"""
import numpy as np
import pytest

from course_utils import augmentation as aug


def augmentation_layers():
    from keras import layers

    return {
        "flip": layers.RandomFlip("horizontal", seed=1),
        "rotation": layers.RandomRotation(0.1, fill_mode="constant", seed=1),
        "zoom": layers.RandomZoom(0.2, fill_mode="constant", seed=1),
        "translation": layers.RandomTranslation(0.1, 0.1, fill_mode="constant", seed=1),
        "contrast": layers.RandomContrast((0.5, 0.5), value_range=(0, 1), seed=1),
    }


@pytest.fixture(scope="module")
def batch():
    return np.random.default_rng(0).uniform(0, 1, size=(16, 28, 28, 1)).astype("float32")


# --- lesson 6: augmentation layers ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["flip", "rotation", "zoom", "translation", "contrast"])
def test_keras_behaviour_augmentation_layers_are_identity_at_inference_and_random_in_training(name, batch):
    layer = augmentation_layers()[name]
    assert np.array_equal(np.asarray(layer(batch, training=False)), batch)
    trained = np.asarray(layer(batch, training=True))
    assert trained.shape == batch.shape
    assert not np.allclose(trained, batch)


def test_keras_behaviour_a_model_with_augmentation_predicts_deterministically(batch):
    import keras
    from keras import layers

    model = keras.Sequential([keras.Input((28, 28, 1)), layers.RandomFlip("horizontal"),
                              layers.RandomTranslation(0.1, 0.1), layers.Flatten(), layers.Dense(3)])
    assert np.array_equal(model.predict(batch, verbose=0), model.predict(batch, verbose=0))
    assert not np.allclose(model(batch, training=True), model(batch, training=False))


@pytest.mark.parametrize("factor, low, high", [((0.5, 0.5), 0.5, 1.5), (0.5, 1.0, 1.5), ((0.2, 0.5), 0.8, 1.5)])
def test_keras_behaviour_random_contrast_factor_range(factor, low, high):
    """Lesson 6: a single number f gives contrast factors in [1, 1 + f] (not [1 - f, 1 + f] as documented);
    the pair (a, b) gives [1 - a, 1 + b]. Measured on Keras 3.10.0 and 3.15.1."""
    from keras import layers

    measured = aug.contrast_factors(layers.RandomContrast(factor, value_range=(0, 1), seed=0), n=400)
    assert measured.min() >= low - 1e-3 and measured.max() <= high + 1e-3
    assert measured.min() < low + 0.05 and measured.max() > high - 0.05, "the draws should cover the range"



# --- lesson 5: a change of trainable takes effect for sure only at the next compile ----------------------------
def _two_fits(freeze, recompile, second_batch, second_n=64, first_n=64):
    """Train a Dense(3) -> Dense(2) model once (``first_n`` samples, batch 32: 64 gives two full batches, 70 a
    smaller last batch of 6), then freeze (or unfreeze) the first layer, optionally compile again, and train once
    more. Returns "trains", "frozen", or "raises" (the second fit failed)."""
    import keras

    rng = np.random.default_rng(0)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="h"),
                              keras.layers.Dense(2, activation="softmax")])
    model.get_layer("h").trainable = freeze          # trainable at first if the test freezes it later
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(rng.random((first_n, 4)).astype("float32"), np.arange(first_n) % 2, batch_size=32, epochs=1,
              verbose=0)
    model.get_layer("h").trainable = not freeze
    if recompile:
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    before = model.get_layer("h").get_weights()[0].copy()
    try:
        model.fit(rng.random((second_n, 4)).astype("float32"), np.arange(second_n) % 2, batch_size=second_batch,
                  epochs=1, verbose=0)
    except Exception:   # Keras 3.15: ValueError "Unknown variable"; Keras 3.10: NotImplementedError
        return "raises"
    return "frozen" if np.array_equal(before, model.get_layer("h").get_weights()[0]) else "trains"


@pytest.mark.parametrize("first_n", [64, 70])
@pytest.mark.parametrize("second_batch", [32, 16])
def test_changing_trainable_takes_effect_at_the_next_compile(second_batch, first_n):
    """Lesson 5's rule: after a new compile, freezing and unfreezing take effect, whatever the batch sizes before
    and after (70 samples: the first fit ends on a smaller batch)."""
    assert _two_fits(freeze=True, recompile=True, second_batch=second_batch, first_n=first_n) == "frozen"
    assert _two_fits(freeze=False, recompile=True, second_batch=second_batch, first_n=first_n) == "trains"


def test_changing_trainable_without_compile_depends_on_what_fit_traced_before():
    """Lesson 5 (TensorFlow backend; measured on Keras 3.15.1, and Keras 3.10.0 traces its train step the same way,
    ``tf.function(..., reduce_retracing=True)``): without a new compile, the outcome of a change of ``trainable``
    depends on the earlier fits, not on the current call alone, so the lesson teaches "compile again after every
    change" and predicts nothing else.

    After a first fit of full batches only, fit reuses the traced train step while the batch shape is unchanged (a
    frozen layer goes on training, an unfrozen one stays frozen), and a new batch size or a smaller last batch
    makes it trace again with the current trainable weights (the frozen layer stops; the unfrozen one makes fit
    raise, since the optimizer was built for the old list). After a first fit that ended on a smaller batch, Keras
    holds a trace for any batch size, so the same new batch size changes nothing: the frozen layer goes on training,
    the unfrozen one stays frozen without an error."""
    assert _two_fits(freeze=True, recompile=False, second_batch=32) == "trains"
    assert _two_fits(freeze=True, recompile=False, second_batch=16) == "frozen"
    assert _two_fits(freeze=True, recompile=False, second_batch=32, second_n=50) == "frozen"   # a smaller last batch
    assert _two_fits(freeze=False, recompile=False, second_batch=32) == "frozen"
    assert _two_fits(freeze=False, recompile=False, second_batch=16) == "raises"
    # the same second fits after a first fit that ended on a smaller batch (70 = 32 + 32 + 6)
    assert _two_fits(freeze=True, recompile=False, second_batch=16, first_n=70) == "trains"
    assert _two_fits(freeze=False, recompile=False, second_batch=16, first_n=70) == "frozen"


# --- lesson 7: the head's standardising layer ------------------------------------------------------------------
def test_keras_behaviour_normalization_divides_a_constant_feature_by_epsilon():
    """Why lesson 7's `standardize_layer` is a Rescaling layer, not Keras' Normalization: Normalization divides by
    max(sd, epsilon = 1e-7). A feature that was 0 on every training photo and is 0.01 on a test photo comes out at
    1e5, and a feature with sd 1e-10 (a random MobileNetV3Small's pooled features) comes out with sd 1e-3, not 1.
    If a release changes either, this fails and the lesson's explanation must change."""
    import keras

    train = np.array([[0.0, 1.0], [0.0, 3.0]], dtype="float32")   # feature 0: constant on the training rows
    layer = keras.layers.Normalization()
    layer.adapt(train)
    out = np.asarray(layer(np.array([[0.01, 2.0]], dtype="float32")))
    assert out[0, 0] == pytest.approx(0.01 / keras.config.epsilon(), rel=1e-3)
    assert out[0, 1] == pytest.approx(0.0, abs=1e-6)
    tiny = np.random.default_rng(0).normal(3e-10, 1e-10, (200, 1)).astype("float32")
    layer = keras.layers.Normalization()
    layer.adapt(tiny)
    assert np.asarray(layer(tiny)).std() == pytest.approx(tiny.std() / keras.config.epsilon(), rel=1e-2)   # ~1e-3


def test_lesson_7_standardize_layer_gives_sd_1_at_any_scale_and_survives_a_keras_file(tmp_path):
    """Lesson 7's head starts with `standardize_layer`, a Rescaling layer with one scale and offset per feature: sd 1
    for features of sd 1e-10 (far below Normalization's 1e-7) as for features of sd 2, a constant feature only
    centred, and the same outputs after the model is saved to a .keras file and loaded (the lesson saves f)."""
    from lesson_state import definitions

    ns = definitions(7, "standardize_layer")
    keras = ns["keras"]
    rng = np.random.default_rng(0)
    x = np.c_[rng.normal(3e-10, 1e-10, 200), rng.normal(5, 2, 200), np.full(200, 0.7)].astype("float32")
    layer = ns["standardize_layer"](x)
    z = np.asarray(layer(x), dtype="float64")
    assert np.allclose(z[:, :2].std(axis=0), 1, atol=1e-4) and np.allclose(z.mean(axis=0), 0, atol=1e-4)
    assert np.abs(z[:, 2]).max() < 1e-6
    model = keras.Sequential([keras.Input(shape=(3,)), layer, keras.layers.Dense(2)])
    model.save(tmp_path / "head.keras")
    assert np.array_equal(np.asarray(model(x)), np.asarray(keras.models.load_model(tmp_path / "head.keras")(x)))
