"""Seeding: two runs of a small training with the same seed give identical numbers."""
import numpy as np

import course_utils as cu
from course_utils.models import build_mnist_mlp


def small_training_run(seed: int) -> tuple[list[float], np.ndarray]:
    """A smoke-sized training: fresh seed, MLP, 2 epochs on 512 synthetic 28x28 images."""
    cu.setup(seed=seed, show=False)
    x = np.random.rand(512, 28, 28).astype("float32")  # drawn after seeding: part of what must repeat
    y = np.random.randint(0, 10, size=512)
    model = build_mnist_mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=2, batch_size=64, shuffle=True, verbose=0)
    return history.history["loss"], model.get_weights()[0]


def test_same_seed_same_numbers(course_env, monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    loss_a, weights_a = small_training_run(seed=7)
    loss_b, weights_b = small_training_run(seed=7)
    assert loss_a == loss_b
    np.testing.assert_array_equal(weights_a, weights_b)
    loss_c, _ = small_training_run(seed=8)
    assert loss_c != loss_a, "a different seed must change the run (otherwise this test proves nothing)"


def test_setup_reports_environment(course_env, capsys):
    info = cu.setup(seed=3)
    out = capsys.readouterr().out
    for key in ("TensorFlow", "Keras", "Run profile", "Data cache", "GPU"):
        assert key in info and key in out
    assert info["Run profile"] == "full" and info["Keras"].startswith("3.")
