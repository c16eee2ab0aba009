"""Grad-CAM: where in the image did the network look for the class it predicted?

Grad-CAM (Selvaraju et al., 2017) weights each channel of the last convolutional
feature map A by the average gradient of the class score with respect to it, sums
the channels and keeps the positive part:  cam = ReLU(Σ_k mean(∂score/∂A_k) · A_k).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np


def grad_cam(cam_model, images, class_index=None) -> tuple[np.ndarray, np.ndarray]:
    """Grad-CAM heatmaps for a batch of images.

    Args:
        cam_model: a Keras model with two outputs, ``(feature_map, probabilities)``,
            where the probabilities are computed from the feature map.
        images: a batch, shape (n, height, width, 3), as the model expects it.
        class_index: the class to explain per image; default: the predicted class.

    Returns:
        ``(heatmaps, probabilities)``: heatmaps of shape (n, h, w) at the feature map's
        resolution, each scaled to 0-1 (all zeros when nothing speaks for the class).

    Example:
        >>> cam_model = keras.Model(inputs, [feature_map, outputs])
        >>> heatmaps, probs = grad_cam(cam_model, images[:4])
    """
    import tensorflow as tf

    images = tf.convert_to_tensor(np.asarray(images, dtype=np.float32))
    with tf.GradientTape() as tape:
        tape.watch(images)  # records every op, even through a frozen (non-trainable) backbone
        feature_map, probs = cam_model(images, training=False)
        chosen = tf.argmax(probs, axis=-1) if class_index is None else \
            tf.convert_to_tensor(np.broadcast_to(class_index, (images.shape[0],)), dtype=tf.int64)
        score = tf.gather(probs, chosen, axis=1, batch_dims=1)
    grads = tape.gradient(score, feature_map)
    if grads is None:
        raise ValueError("The probabilities do not depend on the feature map: build cam_model as "
                         "keras.Model(inputs, [feature_map, outputs]) from one graph.")
    channel_weights = tf.reduce_mean(grads, axis=(1, 2), keepdims=True)
    cam = tf.nn.relu(tf.reduce_sum(channel_weights * feature_map, axis=-1)).numpy()
    peak = cam.max(axis=(1, 2), keepdims=True)
    return np.where(peak > 0, cam / np.where(peak > 0, peak, 1.0), 0.0), probs.numpy()


def upsample(heatmap: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize one heatmap (h, w) to ``size`` = (height, width), bilinear, values kept in 0-1."""
    from PIL import Image

    image = Image.fromarray(np.uint8(np.clip(heatmap, 0, 1) * 255)).resize(size[::-1], Image.BILINEAR)
    return np.asarray(image, dtype=np.float32) / 255.0


def plot_gradcam_rows(images, rows: dict[str, np.ndarray], titles: dict[str, Sequence[str]],
                      title: str = "Grad-CAM", alpha: float = 0.45):
    """One column per image: the photo, then one overlay row per model; returns the Axes."""
    import matplotlib.pyplot as plt

    images = np.asarray(images)
    n, names = len(images), list(rows)
    fig, axes = plt.subplots(1 + len(names), n, figsize=(2.1 * n, 2.2 * (1 + len(names))), squeeze=False)
    for j in range(n):
        photo = np.clip(images[j], 0, 255).astype("uint8")
        axes[0, j].imshow(photo)
        axes[0, j].set_title(titles["image"][j], fontsize=8)
        for i, name in enumerate(names, start=1):
            axes[i, j].imshow(photo)
            axes[i, j].imshow(upsample(rows[name][j], photo.shape[:2]), cmap="jet", alpha=alpha, vmin=0, vmax=1)
            axes[i, j].set_title(titles[name][j], fontsize=8)
    for ax in axes.flat:
        ax.set_xticks([]), ax.set_yticks([])
    for i, name in enumerate(["photo", *names]):
        axes[i, 0].set_ylabel(name)
    fig.suptitle(title, fontweight="bold")
    return axes
