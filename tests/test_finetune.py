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
