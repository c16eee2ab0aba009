"""Run profiles and folder settings."""
import pytest

from course_utils import checks, config


def test_default_profile_is_full(course_env):
    assert config.get_profile() == "full"
    assert config.by_profile(full=10, smoke=1) == 10


def test_smoke_profile_picks_small_values(course_env, monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", " Smoke ")
    assert config.is_smoke()
    assert config.by_profile(full=10, smoke=1) == 1


def test_unknown_profile_is_a_clear_error(course_env, monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "fast")
    with pytest.raises(config.ProfileError, match="full, smoke"):
        config.get_profile()


def test_data_dir_override_and_default(course_env, monkeypatch, tmp_path):
    assert config.data_dir() == (tmp_path / "cache").resolve()
    monkeypatch.delenv("COURSE_DATA_DIR")
    assert config.APP_NAME in str(config.data_dir())


def test_mirror_folder_or_url(course_env, monkeypatch, tmp_path):
    assert config.data_mirror() is None
    monkeypatch.setenv("COURSE_DATA_MIRROR", "http://lab-server:8000/data")
    assert config.data_mirror() == "http://lab-server:8000/data/"
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(tmp_path))
    assert config.data_mirror() == str(tmp_path.resolve())
    assert not config.is_url(config.data_mirror())


def test_artifacts_are_kept_apart_per_profile(course_env, monkeypatch):
    full = config.artifacts_dir()
    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    smoke = config.artifacts_dir()
    assert full != smoke and full.name == "full" and smoke.name == "smoke"


@pytest.mark.parametrize("value", ["false", "FALSE", "0", "no", "off", "", "  "])
def test_ci_set_to_an_off_word_is_not_ci_and_not_strict(course_env, monkeypatch, value):
    monkeypatch.setenv("CI", value)
    assert not config.under_ci()
    assert not config.strict_checks()
    assert not checks.check_true("a failing check under CI=" + repr(value), False)  # a message, no exception


@pytest.mark.parametrize("value", ["true", "1", "yes", "True"])
def test_ci_set_to_an_on_word_is_strict(course_env, monkeypatch, value):
    monkeypatch.setenv("CI", value)
    assert config.under_ci() and config.strict_checks()


def test_course_strict_checks_decides_over_ci(course_env, monkeypatch):
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("COURSE_STRICT_CHECKS", "0")
    assert not config.strict_checks()
    monkeypatch.setenv("CI", "false")
    monkeypatch.setenv("COURSE_STRICT_CHECKS", "1")
    assert config.strict_checks()
    monkeypatch.setenv("COURSE_STRICT_CHECKS", "")
    assert not config.strict_checks()


def test_importing_the_package_has_no_side_effects():
    import subprocess
    import sys

    code = "import sys, course_utils; print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
