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



# --- lesson 5 (and 8): trainable takes effect at compile -----------------------------------------------------
def test_changing_trainable_takes_effect_at_the_next_compile():
    """As lesson 5 says (Keras 3.10-3.15, TensorFlow backend): the train step keeps its compile's trainable list."""
    import keras

    x = np.random.default_rng(0).random((32, 4)).astype("float32")
    y = np.arange(32) % 2

    def trained_then_frozen(recompile):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="h"),
                                  keras.layers.Dense(2, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        model.fit(x, y, epochs=1, verbose=0)
        model.get_layer("h").trainable = False
        if recompile:
            model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        before = model.get_layer("h").get_weights()[0].copy()
        model.fit(x, y, epochs=1, verbose=0)
        return not np.array_equal(before, model.get_layer("h").get_weights()[0])

    assert trained_then_frozen(recompile=False), "frozen without a new compile: the layer should still train"
    assert not trained_then_frozen(recompile=True)
