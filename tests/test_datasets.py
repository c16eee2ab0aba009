"""Loaders on the real data, read through the offline mirror exactly as CI and classrooms do."""
import gzip

import numpy as np
import pytest

from course_utils import birds, datasets, fetch, status
from conftest import need_shared_mirror


@pytest.fixture
def mirrored(course_env, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(need_shared_mirror()))


def test_mnist_arrays_match_keras_conventions(mirrored):
    mnist = datasets.load_mnist()
    assert mnist.x_train.shape == (60000, 28, 28) and mnist.x_train.dtype == np.uint8
    assert mnist.x_test.shape == (10000, 28, 28) and mnist.y_test.dtype == np.uint8
    assert mnist.y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert np.bincount(mnist.y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert mnist.class_names == [str(d) for d in range(10)]


def test_loaded_arrays_are_writable_like_keras_datasets(mirrored):
    mnist = datasets.load_mnist()
    for array in (mnist.x_train, mnist.y_train, mnist.x_test, mnist.y_test):
        assert array.flags.writeable and array.flags.c_contiguous
    mnist.x_train[0, 0, 0] = 255  # keras.datasets.mnist.load_data() allows this; so must we
    mnist.y_test[:3] += 1


def write_idx(path, values: np.ndarray, cut: int = 0):
    """A gzipped unsigned-byte IDX file of ``values``, with the last ``cut`` bytes missing."""
    header = bytes([0, 0, 0x08, values.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in values.shape)
    data = header + values.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(data[: len(data) - cut]))
    return path


def test_read_idx_returns_a_writable_copy_of_the_values(tmp_path):
    values = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    array = datasets.read_idx(write_idx(tmp_path / "x.gz", values))
    assert array.dtype == np.uint8 and np.array_equal(array, values) and array.flags.writeable
    array[0, 0, 0] = 99
    assert datasets.read_idx(tmp_path / "x.gz")[0, 0, 0] == 0


def test_read_idx_refuses_truncated_and_foreign_files(tmp_path):
    values = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    with pytest.raises(ValueError, match="truncated: 19 of the 24 values"):
        datasets.read_idx(write_idx(tmp_path / "cut.gz", values, cut=5))
    (tmp_path / "text.gz").write_bytes(gzip.compress(b"not an idx file"))
    with pytest.raises(ValueError, match="not an unsigned-byte IDX file"):
        datasets.read_idx(tmp_path / "text.gz")


def test_unknown_dataset_lists_the_known_names(course_env):
    from course_utils import registry

    with pytest.raises(KeyError) as info:
        status.prefetch(datasets=("mnist", "mnsit"), birds=False)
    message = str(info.value)
    assert message.startswith("Unknown dataset 'mnsit'. Did you mean 'mnist'?")
    assert all(name in message for name in {entry.dataset for entry in registry.REGISTRY.values()})
    assert not fetch.cache_path("mnist/t10k-labels-idx1-ubyte.gz").exists(), "nothing fetched before the error"


def test_fashion_mnist_with_class_names(mirrored):
    fashion = datasets.load_fashion_mnist()
    assert fashion.x_train.shape == (60000, 28, 28)
    assert fashion.y_train[:10].tolist() == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]
    assert np.bincount(fashion.y_train).tolist() == [6000] * 10
    assert fashion.class_names[9] == "Ankle boot"


def test_iris_needs_no_download(course_env):
    iris = datasets.load_iris()
    assert iris.X.shape == (150, 4) and sorted(set(iris.y)) == [0, 1, 2]
    assert list(iris.to_frame()["species"].cat.categories) == ["setosa", "versicolor", "virginica"]


def test_birds_from_mirror_are_verified_and_split(mirrored):
    folder = birds.fetch_birds()
    assert len(list(folder.rglob("*.jpg"))) == 598
    data = birds.load_bird_datasets(image_size=64, batch_size=16)
    sizes = {name: len(split) for name, split in data.splits.items()}
    assert sizes["test"] == 300 and sizes["train"] + sizes["val"] == 298
    split_sets = [set(map(str, split.files)) for split in data.splits.values()]
    assert not (split_sets[0] & split_sets[1] or split_sets[0] & split_sets[2] or split_sets[1] & split_sets[2])
    images, labels = next(iter(data.train_ds))
    assert images.shape == (16, 64, 64, 3) and float(images.numpy().max()) <= 255.0
    assert data.class_names[4] == "Blue Jay"


def test_corrupt_mirrored_bird_is_refused(course_env, monkeypatch, tmp_path):
    import shutil

    mirror = tmp_path / "mirror"
    shutil.copytree(need_shared_mirror() / "birds", mirror / "birds")
    victim = mirror / "birds" / "073.Blue_Jay" / "Blue_Jay_0007.jpg"
    victim.chmod(0o644)
    data = bytearray(victim.read_bytes())
    data[500] ^= 0xFF
    victim.write_bytes(bytes(data))
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    with pytest.raises(fetch.ChecksumError, match="Blue_Jay_0007"):
        birds.fetch_birds()
    assert not birds.birds_dir().exists(), "a failed preparation must not leave a half-made folder"


def test_status_table_and_prefetch(mirrored):
    before = status.dataset_status()
    assert set(before["status"]) <= {"missing", "verified", "bundled"}
    assert before.set_index("dataset").loc["iris", "status"] == "bundled"   # no file, no checksum: never "verified"
    status.prefetch()
    after = status.dataset_status().set_index("dataset")
    assert (after.loc["mnist", "status"] == "verified").all()
    assert after.loc["birds (prepared)", "status"] == "prepared"
    photo = next(birds.birds_dir().glob("*/*.jpg"))
    photo.unlink()  # the table re-checks the folder, not just its completion marker
    assert status.dataset_status().set_index("dataset").loc["birds (prepared)", "status"] == "damaged"
