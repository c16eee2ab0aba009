"""Lesson 07's fine-tuning plumbing: mixed-precision choice, mirrored devices, the BatchNorm probe, the two-phase plot."""
import numpy as np
import pytest

from course_utils.lessons import finetune


@pytest.mark.parametrize("capabilities, policy", [
    ([], "float32"),                       # CPU only
    ([(6, 1)], "float32"),                 # Pascal: no float16 tensor cores
    ([(7, 0)], "mixed_float16"),
    ([(8, 6), (7, 5)], "mixed_float16"),
    ([(8, 6), (6, 0)], "float32"),         # one slow GPU spoils it for all replicas
])
def test_mixed_precision_only_on_capable_gpus(capabilities, policy):
    assert finetune.mixed_precision_policy(capabilities) == policy


@pytest.mark.parametrize("gpus, cpus, expected", [
    ([], ["/device:CPU:0", "/device:CPU:1"], 2),
    ([], ["/device:CPU:0"], 1),
    (["/device:GPU:0"], ["/device:CPU:0", "/device:CPU:1"], 1),   # one GPU: one replica, CPUs unused
    (["/device:GPU:0", "/device:GPU:1"], ["/device:CPU:0"], 2),
])
def test_replicas_are_the_gpus_or_else_the_cpus(gpus, cpus, expected):
    devices = finetune.replica_devices(gpus, cpus)
    assert len(devices) == expected and devices == (gpus or cpus)


def test_no_device_is_an_error():
    with pytest.raises(ValueError, match="No device"):
        finetune.replica_devices([], [])


def test_mirrored_strategy_has_one_replica_per_device():
    import tensorflow as tf

    cpus = [d.name for d in tf.config.list_logical_devices("CPU")]
    devices = finetune.replica_devices([], cpus[:1])
    assert tf.distribute.MirroredStrategy(devices).num_replicas_in_sync == len(devices) == 1


def test_batchnorm_probe_matches_what_fit_does(monkeypatch):
    """The probe reports the installed Keras; forcing BN into inference mode flips its answer."""
    import keras

    observed = finetune.batchnorm_obeys_training_false()
    real_call = keras.layers.BatchNormalization.call
    monkeypatch.setattr(keras.layers.BatchNormalization, "call",
                        lambda self, inputs, training=None, mask=None: real_call(self, inputs, training=False, mask=mask))
    assert finetune.batchnorm_obeys_training_false() is True
    monkeypatch.setattr(keras.layers.BatchNormalization, "call",
                        lambda self, inputs, training=None, mask=None: real_call(self, inputs, training=True, mask=mask))
    assert finetune.batchnorm_obeys_training_false() is False
    assert isinstance(observed, bool)


def test_two_phase_plot_marks_the_unfreeze_point():
    import matplotlib
    matplotlib.use("Agg")
    head = {"accuracy": [0.2, 0.4, 0.5], "val_accuracy": [0.1, 0.3, 0.4]}
    tuned = {"accuracy": [0.6, 0.7], "val_accuracy": [0.45, 0.5]}
    ax = finetune.plot_two_phase_history(head, tuned)
    train_line, val_line, unfreeze = ax.get_lines()
    assert list(train_line.get_xdata()) == [1, 2, 3, 4, 5] and list(val_line.get_ydata()) == [0.1, 0.3, 0.4, 0.45, 0.5]
    assert list(unfreeze.get_xdata()) == [3.5, 3.5]
    matplotlib.pyplot.close(ax.figure)


def test_frozen_batchnorm_probe_can_see_drift():
    """A frozen layer keeps its statistics; the same probe with the layer left trainable sees them move."""
    assert finetune.frozen_batchnorm_keeps_statistics() is True
    assert finetune.batchnorm_statistics_kept(frozen=False, training_false=False) is False


def test_accuracy_intervals_come_from_course_stats_not_from_finetune():
    """One statistics module: finetune no longer carries its own Wilson interval."""
    assert not hasattr(finetune, "accuracy_interval")


@pytest.mark.parametrize("n_validation, n_test", [(60, 100), (40, 20)])
def test_kept_share_band_holds_for_a_threshold_set_on_validation(n_validation, n_test):
    """Simulate the lesson: threshold = 5% quantile (method 'lower') of validation scores, measured on test scores."""
    low, high = finetune.kept_share_band(n_validation, n_test, quantile=0.05, level=0.99)
    rng = np.random.default_rng(1)
    kept = []
    for _ in range(4000):
        threshold = np.quantile(rng.random(n_validation), 0.05, method="lower")
        kept.append(np.mean(rng.random(n_test) >= threshold))
    kept = np.array(kept)
    assert 0.985 <= np.mean((kept >= low) & (kept <= high)) <= 1.0
    assert abs(kept.mean() - 0.95) < 0.01          # the threshold keeps about 95% on average
    assert np.mean(kept >= 0.95) < 0.9             # ... but often less: ">= 95%" is no test on new photos


def test_learning_rate_grid_draws_no_line_between_rates_and_gains_in_points():
    """Lesson 8's pitfall 7 figure: markers only (a line between 0.001 and 0.1 would show rates nobody ran), and the
    right panel shows each method's paired gain over scratch, in points, at the rates asked for, and names the rate it
    leaves out (w_8: 0.1 was left out without a word)."""
    import matplotlib
    import pandas as pd
    matplotlib.use("Agg")
    rows = [(1e-4, "fine-tune", 0.69, 0.01, -0.048, -0.061, -0.035), (1e-4, "scratch", 0.74, 0.004, None, None, None),
            (1e-3, "fine-tune", 0.81, 0.004, -0.004, -0.009, 0.002), (1e-3, "scratch", 0.82, 0.006, None, None, None),
            (1e-1, "fine-tune", 0.34, 0.05, -0.034, -0.209, 0.141), (1e-1, "scratch", 0.37, 0.11, None, None, None)]
    summary = pd.DataFrame(rows, columns=["learning rate", "init", "mean", "sd", "gain", "low", "high"]
                           ).set_index(["learning rate", "init"])
    ax_acc, ax_gain = finetune.plot_learning_rate_grid(summary, {"fine-tune": "C0", "scratch": "C1"}, [1e-4, 1e-3])
    lines = [line for line in ax_acc.get_lines() if line.get_marker() == "o"]         # the two methods' markers
    assert len(lines) == 2 and all(line.get_linestyle() == "None" for line in lines)
    gain_markers = [line for line in ax_gain.get_lines() if line.get_linestyle() == "None" and line.get_marker() == "o"]
    assert len(gain_markers) == 1                                                     # fine-tune only, not scratch
    assert np.allclose(gain_markers[0].get_ydata(), [-4.8, -0.4])                    # points, at 1e-4 and 1e-3 only
    assert "not shown: 0.1 (its interval spans 35 points)" in ax_gain.get_title()     # the rate left out is named
    matplotlib.pyplot.close(ax_acc.figure)
