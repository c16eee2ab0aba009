"""Grad-CAM (lesson 07): the pre-softmax score, undefined maps said out loud, a case with a known answer."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from course_utils import gradcam


SIZE = 8   # image side; quadrants are 4 x 4


@keras.saving.register_keras_serializable(package="test_gradcam")
class QuadrantChannels(keras.layers.Layer):
    """Feature map with four channels: channel k is ReLU(image) inside quadrant k (TL, TR, BL, BR), 0 elsewhere."""

    def call(self, x):
        mask = np.zeros((SIZE, SIZE, 4), np.float32)
        half = SIZE // 2
        for k, (r, c) in enumerate([(0, 0), (0, half), (half, 0), (half, half)]):
            mask[r:r + half, c:c + half, k] = 1.0
        return keras.ops.relu(x) * mask


def quadrant_model(scale=1.0, dead=False):
    """Class 0's score reads only channel 0 (the top-left quadrant), class 1's only channel 1 (top-right).

    ``scale`` makes the logits large (a saturated softmax); ``dead`` puts a ReLU that never fires
    between the feature map and the scores (the gradient vanishes).
    """
    inputs = keras.Input((SIZE, SIZE, 1))
    fmap = QuadrantChannels()(inputs)
    pooled = keras.layers.GlobalAveragePooling2D()(keras.layers.ReLU()(-fmap) if dead else fmap)
    kernel = scale * np.array([[4.0, 0.0], [0.0, 4.0], [0.0, 0.0], [0.0, 0.0]], np.float32)
    logits = keras.layers.Dense(2, use_bias=False, kernel_initializer=keras.initializers.Constant(kernel))(pooled)
    return keras.Model(inputs, [fmap, logits]), keras.Model(inputs, [fmap, keras.layers.Softmax()(logits)])


def bright_images(n=2, seed=0):
    return np.random.default_rng(seed).uniform(0.5, 1.0, (n, SIZE, SIZE, 1)).astype(np.float32)


def test_map_of_a_model_that_reads_one_quadrant_is_that_quadrant():
    logit_model, _ = quadrant_model()
    for class_index, (rows, cols) in [(0, (slice(0, 4), slice(0, 4))), (1, (slice(0, 4), slice(4, 8)))]:
        cams = gradcam.grad_cam(logit_model, bright_images(), class_index=class_index)
        assert cams.problems == [None, None] and cams.heatmaps.shape == (2, SIZE, SIZE)
        inside = np.zeros((SIZE, SIZE), bool)
        inside[rows, cols] = True
        for heatmap in cams.heatmaps:
            assert heatmap.max() == pytest.approx(1.0) and heatmap.min() >= 0
            assert np.all(heatmap[inside] > 0.4) and np.all(heatmap[~inside] == 0)
        assert gradcam.blank_maps(cams.heatmaps) == []


def test_saturated_softmax_still_gives_a_map_from_the_logits():
    logit_model, prob_model = quadrant_model(scale=100.0)
    images = bright_images() * 0.2
    images[:, :4, :4] = 1.0   # top-left bright: class 0 wins by a logit margin of about 300
    with tf.GradientTape() as tape:   # the control: the probability's gradient has vanished here
        tensor = tf.convert_to_tensor(images)
        tape.watch(tensor)
        fmap, probs = prob_model(tensor)
        top = tf.reduce_max(probs, axis=1)
    assert np.abs(np.asarray(tape.gradient(top, fmap))).max() < 1e-30
    cams = gradcam.grad_cam(logit_model, images)
    assert cams.problems == [None, None] and gradcam.blank_maps(cams.heatmaps) == []
    assert list(cams.predicted) == list(cams.classes) == [0, 0]


def test_probabilities_instead_of_logits_are_refused():
    _, prob_model = quadrant_model()
    with pytest.raises(ValueError, match="logits"):
        gradcam.grad_cam(prob_model, bright_images())


def test_vanishing_gradient_gives_the_reason_not_a_zero_map():
    logit_model, _ = quadrant_model(dead=True)
    cams = gradcam.grad_cam(logit_model, bright_images(), class_index=0)
    assert cams.problems == [gradcam.VANISHED] * 2
    assert np.isnan(cams.heatmaps).all() and gradcam.blank_maps(cams.heatmaps) == [0, 1]


def test_no_positive_evidence_gives_the_reason():
    logit_model, _ = quadrant_model()
    logit_model.layers[-1].kernel.assign(-logit_model.layers[-1].kernel)   # channel 0 now lowers class 0's score
    cams = gradcam.grad_cam(logit_model, bright_images(1), class_index=0)
    assert cams.problems == [gradcam.NOTHING_POSITIVE] and np.isnan(cams.heatmaps).all()


def test_blank_map_is_detected():
    heatmaps = np.zeros((2, SIZE, SIZE), np.float32)
    heatmaps[1, 2, 3] = 1.0
    assert gradcam.blank_maps(heatmaps) == [0]


def test_grad_cam_through_a_frozen_backbone():
    """Phase 1's model: no trainable weight between the image and the feature map."""
    inputs = keras.Input((12, 12, 3))
    conv = keras.layers.Conv2D(5, 3, activation="relu")
    conv.trainable = False
    fmap = conv(inputs)
    logits = keras.layers.Dense(4)(keras.layers.GlobalAveragePooling2D()(fmap))
    images = np.random.default_rng(1).uniform(0, 1, (2, 12, 12, 3)).astype("float32")
    cams = gradcam.grad_cam(keras.Model(inputs, [fmap, logits]), images)
    assert cams.heatmaps.shape == (2, 10, 10) and cams.logits.shape == (2, 4)
    defined = [h for h, p in zip(cams.heatmaps, cams.problems) if p is None]
    assert all(0 <= h.min() and h.max() == pytest.approx(1.0) for h in defined)
    assert gradcam.upsample(np.nan_to_num(cams.heatmaps[0]), (24, 24)).shape == (24, 24)


def test_figure_has_a_colour_bar_and_names_an_undefined_map():
    import matplotlib
    matplotlib.use("Agg")
    logit_model, _ = quadrant_model()
    images = bright_images() * 255
    good = gradcam.grad_cam(logit_model, bright_images(), class_index=0)
    dead = gradcam.grad_cam(quadrant_model(dead=True)[0], bright_images(), class_index=0)
    axes = gradcam.plot_gradcam_rows(images[..., [0, 0, 0]], {"good": good, "dead": dead},
                                     {"image": ["a", "b"], "good": ["a", "b"], "dead": ["a", "b"]})
    figure = axes[0, 0].figure
    assert len(figure.axes) == axes.size + 1   # the colour bar
    assert "no map" in axes[2, 0].texts[0].get_text()
    matplotlib.pyplot.close(figure)
