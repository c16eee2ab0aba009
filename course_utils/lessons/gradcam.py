"""Grad-CAM: where in the image did the network look for the class it predicted?

Grad-CAM (Selvaraju et al., 2017) weights each channel k of the last convolutional
feature map A by the average gradient of the class *score* y^c (the logit, before the
softmax) with respect to it, sums the channels and keeps the positive part:

    cam = ReLU(Σ_k mean_ij(∂y^c/∂A_k,ij) · A_k)

The score must be the logit: the softmax probability saturates (its gradient goes to 0
as the probability nears 1 or 0) and mixes in every other class. A map is undefined when
the gradient vanishes or no location raises the score; :func:`grad_cam` then returns NaN
for that image and says why, instead of an all-zero map that looks like an answer.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..i18n import N_   # marks the two reasons for the message catalog; the lesson prints them through tr()

VANISHED = N_("the class score's gradient vanished at the feature map (dead ReLUs or a saturated layer "
            "between them): Grad-CAM has nothing to show")
NOTHING_POSITIVE = N_("no location raises the class score (every weighted sum is negative): nothing to show")


@dataclass
class GradCam:
    """Grad-CAM maps of a batch: ``heatmaps`` (n, h, w) in 0-1 (NaN where undefined), the ``logits``
    (n, classes), the explained class per image, and per image ``None`` or why there is no map."""

    heatmaps: np.ndarray
    logits: np.ndarray
    classes: np.ndarray
    problems: list[str | None]

    @property
    def predicted(self) -> np.ndarray:
        """The predicted class of each image (argmax of the logits = argmax of the probabilities)."""
        return self.logits.argmax(axis=1)


def grad_cam(cam_model, images, class_index=None) -> GradCam:
    """Grad-CAM heatmaps for a batch of images, from the pre-softmax class score.

    Args:
        cam_model: a Keras model with two outputs, ``(feature_map, logits)``: the last
            convolutional feature map and the class scores *before* the softmax, computed from it.
        images: a batch, shape (n, height, width, channels), as the model expects it.
        class_index: the class to explain (one for all, or one per image); default: the predicted class.

    Returns:
        A :class:`GradCam`. Each defined map is scaled so that its maximum is 1.

    Raises:
        ValueError: the logits do not depend on the feature map (two separate graphs).

    Example:
        >>> cam_model = keras.Model(inputs, [feature_map, logits])
        >>> cams = grad_cam(cam_model, images[:4]); cams.heatmaps.shape, cams.problems
    """
    import tensorflow as tf

    images = tf.convert_to_tensor(np.asarray(images, dtype=np.float32))
    with tf.GradientTape() as tape:
        tape.watch(images)  # records every op, even through a frozen (non-trainable) backbone
        feature_map, logits = cam_model(images, training=False)
        logits = tf.cast(logits, tf.float32)
        chosen = tf.argmax(logits, axis=-1) if class_index is None else \
            tf.convert_to_tensor(np.broadcast_to(class_index, (images.shape[0],)), dtype=tf.int64)
        score = tf.gather(logits, chosen, axis=1, batch_dims=1)
    _refuse_probabilities(np.asarray(logits))
    grads = tape.gradient(score, feature_map)
    if grads is None:
        raise ValueError("The logits do not depend on the feature map: build cam_model as "
                         "keras.Model(inputs, [feature_map, logits]) from one graph.")
    grads, feature_map = (np.asarray(tf.cast(t, tf.float32)) for t in (grads, feature_map))
    cam = np.maximum((grads.mean(axis=(1, 2), keepdims=True) * feature_map).sum(axis=-1), 0.0)
    heatmaps, problems = _normalise(cam, np.abs(grads).max(axis=(1, 2, 3)))
    return GradCam(heatmaps, np.asarray(logits), np.asarray(chosen), problems)


def _refuse_probabilities(outputs: np.ndarray) -> None:
    """Raise when the second output looks like softmax probabilities (in 0-1, rows summing to 1)."""
    if outputs.shape[-1] > 1 and outputs.min() >= 0 and np.allclose(outputs.sum(axis=-1), 1, atol=1e-4):
        raise ValueError("cam_model's second output looks like softmax probabilities: Grad-CAM needs the "
                         "class scores before the softmax (the logits). Build cam_model on the last Dense "
                         "layer without its softmax.")


def _normalise(cam: np.ndarray, largest_gradient: np.ndarray) -> tuple[np.ndarray, list[str | None]]:
    """Scale each map to a maximum of 1; NaN and the reason where the map is undefined."""
    heatmaps, problems = np.full(cam.shape, np.nan, dtype=np.float32), []
    for i, (c, g) in enumerate(zip(cam, largest_gradient)):
        if g == 0:
            problems.append(VANISHED)
        elif c.max() <= 0:
            problems.append(NOTHING_POSITIVE)
        else:
            heatmaps[i] = c / c.max()
            problems.append(None)
    return heatmaps, problems


def blank_maps(heatmaps: np.ndarray, min_share: float = 0.01) -> list[int]:
    """Indices of maps that are undefined (NaN) or blank: less than ``min_share`` of cells above 0.1."""
    return [i for i, h in enumerate(heatmaps) if np.isnan(h).any() or np.mean(h > 0.1) < min_share]


def upsample(heatmap: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize one heatmap (h, w) to ``size`` = (height, width), bilinear, values kept in 0-1."""
    from PIL import Image

    image = Image.fromarray(np.uint8(np.clip(heatmap, 0, 1) * 255)).resize(size[::-1], Image.BILINEAR)
    return np.asarray(image, dtype=np.float32) / 255.0


def plot_gradcam_rows(images, rows: dict[str, GradCam | np.ndarray], titles: dict[str, Sequence[str]],
                      title: str = "Grad-CAM", alpha: float = 0.45):
    """One column per image: the photo, then one overlay row per model, and a colour bar; returns the Axes.

    A map that is undefined (a :class:`GradCam` problem, or NaN) is not drawn: its panel says why.
    """
    import matplotlib.pyplot as plt

    images, names = np.asarray(images), list(rows)
    n = len(images)
    fig = plt.figure(figsize=(2.5 * n + 0.9, 2.3 * (1 + len(names))), layout="none")  # colour bar in its own column
    grid = fig.add_gridspec(1 + len(names), n + 1, width_ratios=[1.0] * n + [0.06])
    axes = np.array([[fig.add_subplot(grid[i, j]) for j in range(n)] for i in range(1 + len(names))])
    overlay = None
    for j in range(n):
        photo = np.clip(images[j], 0, 255).astype("uint8")
        axes[0, j].imshow(photo)
        axes[0, j].set_title(titles["image"][j], fontsize=8)
        for i, name in enumerate(names, start=1):
            cams = rows[name]
            heatmap = cams.heatmaps[j] if isinstance(cams, GradCam) else np.asarray(cams)[j]
            axes[i, j].imshow(photo)
            axes[i, j].set_title(titles[name][j], fontsize=8)
            if np.isnan(heatmap).any():
                axes[i, j].text(0.5, 0.5, "no map:\nsee the printed reason", ha="center", va="center",
                                transform=axes[i, j].transAxes, fontsize=8, backgroundcolor="white")
                continue
            overlay = axes[i, j].imshow(upsample(heatmap, photo.shape[:2]), cmap="jet", alpha=alpha, vmin=0, vmax=1)
    for ax in axes.flat:
        ax.set_xticks([]), ax.set_yticks([])
    for i, name in enumerate(["photo", *names]):
        axes[i, 0].set_ylabel(name)
    if overlay is not None:
        bar = fig.colorbar(overlay, cax=fig.add_subplot(grid[1:, n]))
        bar.set_label("share of the map's maximum (red: most)")
    fig.suptitle(title, fontweight="bold")
    return axes
