"""The feature cache key (lesson 7) names the whole feature model: its graph as well as its weights."""
import keras
import numpy as np
import pytest
from PIL import Image

from course_utils import features, images

SIZE = 16


PREPROCESSING = {"caffe": keras.applications.resnet50.preprocess_input,        # BGR, minus the ImageNet mean
                 "tf": keras.applications.mobilenet_v2.preprocess_input}     # scaled to [-1, 1]


def feature_model(pooling="avg", preprocessing="caffe", read="conv2", seed=0):
    """A tiny stand-in for lesson 7's feature model: preprocessing, a base, pooling; the same weights for a seed."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((SIZE, SIZE, 3))
    x = PREPROCESSING[preprocessing](inputs)
    conv1 = keras.layers.Conv2D(4, 3, activation="relu")(x)
    conv2 = keras.layers.Conv2D(4, 3, activation="relu")(conv1)
    pool = {"avg": keras.layers.GlobalAveragePooling2D, "max": keras.layers.GlobalMaxPooling2D}[pooling]()
    return keras.Model(inputs, pool({"conv1": conv1, "conv2": conv2}[read]))


@pytest.mark.parametrize("change", [{"pooling": "max"}, {"preprocessing": "tf"}, {"read": "conv1"}],
                         ids=["pooling", "preprocessing", "layer read"])
def test_another_feature_model_gets_another_key_even_with_the_same_weights_id(change):
    base, changed = feature_model(), feature_model(**change)
    assert features.feature_model_id(changed, "same-weights") != features.feature_model_id(base, "same-weights")


def test_the_same_feature_model_built_again_gets_the_same_key():
    first, again = feature_model(), feature_model()
    assert features.feature_model_id(first) == features.feature_model_id(again)
    assert features.feature_model_id(feature_model(seed=1)) != features.feature_model_id(first)  # other weights


def test_a_changed_pooling_misses_the_cache(tmp_path):
    folder = tmp_path / "birds"
    rng = np.random.default_rng(0)
    for name in ("crow", "robin"):
        (folder / name).mkdir(parents=True)
        for i in range(2):
            Image.fromarray(rng.integers(0, 256, (20, 20, 3), dtype=np.uint8)).save(folder / name / f"{i}.png")
    scan = images.scan_image_folder(folder)

    def request(model):
        return features.cached_features(model, "tiny", scan.files, scan.labels, SIZE, weights_id="w",
                                        cache_dir=tmp_path / "cache")

    avg, avg_again, maxed = request(feature_model()), request(feature_model()), request(feature_model("max"))
    assert (avg.hit, avg_again.hit, maxed.hit) == (False, True, False)
    assert avg.key == avg_again.key != maxed.key
    assert not np.allclose(avg.x, maxed.x)
