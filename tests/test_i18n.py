"""The language of what the course prints: English, or Chinese for the Chinese edition (notebooks/zh/).

The Chinese lessons run the English code byte for byte, so the course decides the language itself
(``course_utils.i18n.language``): ``COURSE_LANG`` wins, else a working folder named ``zh`` means Chinese.
Each test names, in its docstring, the change that would make it fail.
"""
from __future__ import annotations

import gettext
import json
import os
import re
from pathlib import Path

import pytest

import course_utils as cu
from course_utils import checks, env, i18n
from course_utils.data import bird_sources, fetch
from course_utils.exercises import core, solutions
from test_birds_fetch import bird_set, folder_mirror  # noqa: F401 (fixtures)

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def english(course_env, monkeypatch, tmp_path):
    """No COURSE_LANG, working folder not named zh."""
    monkeypatch.delenv("COURSE_LANG", raising=False)
    monkeypatch.delenv("COURSE_GRADE_LOG", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def zh_folder(english, monkeypatch):
    """The working folder is named zh, as for a kernel of notebooks/zh/ or learner/zh/."""
    folder = english / "edition" / "zh"
    folder.mkdir(parents=True)
    monkeypatch.chdir(folder)
    return folder


@pytest.fixture
def extra_chinese(monkeypatch):
    """Messages a test adds to the Chinese catalog (for exercises and reasons the real catalog does not hold)."""
    extra: dict[str, str] = {}
    real = i18n.catalog

    class Overlay(gettext.NullTranslations):
        def __init__(self, base):
            super().__init__()
            self.base = base

        def gettext(self, message):
            return extra.get(message) or self.base.gettext(message)

    monkeypatch.setattr(i18n, "catalog", lambda lang: Overlay(real(lang)) if lang == "zh" else real(lang))
    return extra


@pytest.fixture
def demo_exercise(monkeypatch, extra_chinese):
    """Exercise 99.1 with a hint and a checker reason that the (test's) catalog translates."""
    def checker(answer, ns):
        core.expect(answer == core.lesson_value(ns, "target"), i18n.tr("too small"))
        return core.CORRECT

    extra_chinese.update({"too small": "太小了", "Look at the target.": "看看 target。"})
    monkeypatch.setitem(core._REGISTRY, "99.1", core.Exercise("99.1", "Look at the target.", checker))
    return {"target": 7}


def test_language_is_english_by_default_and_chinese_in_a_folder_named_zh(english, monkeypatch):
    """Fails if the folder rule is dropped or loosened (e.g. a path merely containing 'zh')."""
    assert i18n.language() == "en"
    for name in ("zh_notes", "zhx"):
        (english / name).mkdir()
        monkeypatch.chdir(english / name)
        assert i18n.language() == "en"
    (english / "zh").mkdir()
    monkeypatch.chdir(english / "zh")
    assert i18n.language() == "zh"
    (english / "zh" / "sub").mkdir()
    monkeypatch.chdir(english / "zh" / "sub")   # only the folder itself counts, not a parent
    assert i18n.language() == "en"


def test_course_lang_wins_over_the_folder(zh_folder, english, monkeypatch):
    """Fails if COURSE_LANG is ignored or the folder is asked first."""
    monkeypatch.setenv("COURSE_LANG", "en")
    assert i18n.language() == "en"                 # in a zh folder
    monkeypatch.chdir(english)
    monkeypatch.setenv("COURSE_LANG", " ZH ")      # spaces and case do not matter
    assert i18n.language() == "zh"
    monkeypatch.setenv("COURSE_LANG", "")          # empty = unset: the folder decides
    assert i18n.language() == "en"


@pytest.mark.parametrize("value", ["cn", "zh-CN", "fr", "english"])
def test_an_unknown_course_lang_is_a_clear_error(english, monkeypatch, value):
    """Fails if an unknown value silently falls back to a language, or the message omits what is allowed."""
    monkeypatch.setenv("COURSE_LANG", value)
    with pytest.raises(ValueError, match=r"COURSE_LANG=.*'en'.*'zh'"):
        i18n.language()


def test_list_text_joins_with_the_catalogs_separator(english, monkeypatch):
    """Fails if list_text() joins with a separator that is not the catalog's ("{list}, {item}": ", " in English,
    "、" in Chinese), drops an item, or adds a separator to a single item or an empty list."""
    assert [i18n.list_text(items) for items in ([], ["1 L"], ["1 L", "2 P", "3 CMYK"])] == ["", "1 L",
                                                                                           "1 L, 2 P, 3 CMYK"]
    monkeypatch.setenv("COURSE_LANG", "zh")
    assert i18n.list_text(["1 张 L", "2 张 P"]) == "1 张 L、2 张 P"


def test_check_lines_are_english_outside_the_chinese_edition(english, demo_exercise, capsys):
    """Fails if Chinese leaks into the English edition (the English tests compare these lines exactly)."""
    cu.check("99.1", 3, demo_exercise)
    cu.hint("99.1")
    out = capsys.readouterr().out
    assert "❌ Exercise 99.1: not quite — too small" in out and 'Stuck? cu.hint("99.1") gives a hint.' in out
    assert "Hint for exercise 99.1: Look at the target." in out
    assert not CJK.search(out)


def test_check_hint_and_every_verdict_line_are_chinese_in_a_zh_folder(zh_folder, demo_exercise, capsys):
    """Fails if Outcome.line, the "Stuck?" line, hint() or LessonStateMissing stay English under zh."""
    assert cu.check("99.1", 7, demo_exercise)
    assert not cu.check("99.1", 3, demo_exercise)
    assert not cu.check("99.1", None, demo_exercise)
    assert not cu.check("99.1", 7, {})            # the lesson's cells above have not run
    cu.hint("99.1")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "✅ 练习 99.1：答案正确"
    assert lines[1] == "❌ 练习 99.1：还不太对——太小了"
    assert lines[2] == '   卡住了？运行 cu.hint("99.1") 看看提示。'
    assert lines[3] == "练习 99.1：尚未作答"
    assert lines[4].startswith("❌ 练习 99.1：检查无法运行——这里还没有定义本课的变量 `target`")
    assert lines[5] == "练习 99.1 的提示：看看 target。"


def test_an_exercise_without_a_chinese_hint_falls_back_to_english(zh_folder, monkeypatch, capsys):  # not in the catalog
    """Fails if a missing Chinese hint prints an empty hint (exercises registered by tests or new authors)."""
    monkeypatch.setitem(core._REGISTRY, "99.2", core.Exercise("99.2", "Only in English.", lambda a, ns: core.CORRECT))
    cu.hint("99.2")
    assert capsys.readouterr().out.strip() == "练习 99.2 的提示：Only in English."


def test_the_grade_log_keeps_english_verdicts_under_zh(zh_folder, demo_exercise, monkeypatch, tmp_path):
    """Fails if a verdict string is translated: the grader parses them."""
    log = tmp_path / "grades.jsonl"
    monkeypatch.setenv("COURSE_GRADE_LOG", str(log))
    for answer, namespace in ((7, demo_exercise), (None, demo_exercise), (3, demo_exercise), (7, {})):
        cu.check("99.1", answer, namespace)
    entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [e["verdict"] for e in entries] == ["correct", "not answered", "not quite", "error"]
    assert entries[2]["message"] == "太小了"


def test_every_exercise_has_a_chinese_hint_and_recipe():
    """Fails if the catalog lacks the Chinese of an exercise's hint or recipe (lessonNN.py's @exercise texts), or
    an English hint holds Chinese."""
    everything = core.all_exercises()
    assert len(everything) >= 31
    for eid, exercise in everything.items():
        for text in (exercise.hint, exercise.recipe):
            assert CJK.search(i18n.tr_in("zh", text)), f"exercise {eid}: no Chinese for {text[:60]!r}"
            assert not CJK.search(text), f"exercise {eid}: its English hint holds Chinese"


def test_every_hint_prints_in_the_lesson_language(english, monkeypatch, capsys):
    """Fails if hint() ignores the language for the real exercises."""
    for eid, exercise in core.all_exercises().items():
        cu.hint(eid)
        assert capsys.readouterr().out.strip().startswith(f"Hint for exercise {eid}: {exercise.hint}")
        monkeypatch.setenv("COURSE_LANG", "zh")
        cu.hint(eid)
        assert capsys.readouterr().out.strip().startswith(f"练习 {eid} 的提示：{i18n.tr_in('zh', exercise.hint)}")
        monkeypatch.delenv("COURSE_LANG")


def test_a_checkers_not_quite_reason_is_chinese_under_zh(english, monkeypatch, capsys):
    """Fails if lesson00's checker reasons are not translated (tr() and the message catalog)."""
    cu.check("0.2", "abc", {})
    assert "a SHA-256 digest has 64 hex digits; yours has 3" in capsys.readouterr().out
    monkeypatch.setenv("COURSE_LANG", "zh")
    cu.check("0.2", "abc", {})
    cu.check("0.2", 42, {})
    out = capsys.readouterr().out
    assert "❌ 练习 0.2：还不太对——SHA-256 摘要有 64 位十六进制数字，你的有 3 位" in out
    assert "answer_0_2 应该是一个十六进制字符串，而不是 int" in out


def test_prediction_feedback_reads_as_one_chinese_sentence_under_zh(english, monkeypatch):
    """zh_057 (exercises 0.1, 5.3, 7.3): "正确——你的预测：0.05，实测 0.02（相差 +0.03, 150%）（微调……）" had an English
    comma, brackets back to back and a share nobody could place. Fails if the relative error keeps a hard-coded ", ",
    if "off by" loses its share of the measured value, if two brackets meet again, or if the line says "正确——"."""
    from course_utils.exercises import Outcome

    assert (core.prediction_note({"prediction_7_3": 0.05}, "7.3", 0.02)
            == "your prediction: 0.05, measured 0.02 (off by +0.03, 150% of the measured value)")
    monkeypatch.setenv("COURSE_LANG", "zh")
    notes = {"7.3": core.prediction_note({"prediction_7_3": 0.05}, "7.3", 0.02),
             "5.3": core.prediction_note({"prediction_5_3": 2}, "5.3", 2),
             "0.1": core.prediction_note({"prediction_0_1": "Coat"}, "0.1", "Pullover"),
             "8.4": core.prediction_note({"prediction_8_4": {1: 0.9, 2: 0.95}}, "8.4", {1: 0.8, 2: 0.95})}
    assert notes == {"7.3": "你的预测：0.05，实测 0.02，相差 +0.03（是实测值的 150%）",
                     "5.3": "你的预测：2，实测 2，相差 +0",
                     "0.1": "你的预测：'Coat'，实测 'Pullover'，预测没有猜中",
                     "8.4": "你的预测：1: 0.9，实测 0.8，相差 +0.1（是实测值的 12%）；2: 0.95，实测 0.95，相差 +0"}
    line = Outcome("7.3", "correct", notes["7.3"] + i18n.tr(" (the accuracy change fine-tuning made on the test "
                                                            "photos)")).line
    assert line == ("✅ 练习 7.3：答案正确。你的预测：0.05，实测 0.02，相差 +0.03（是实测值的 150%）；"
                    "测的是微调在测试照片上带来的准确率变化")
    assert not any(", " in note or "）（" in note for note in notes.values())


def test_solution_messages_are_chinese_under_zh(zh_folder, monkeypatch, capsys):
    """Fails if solution()'s header or its no-solutions message stay English under zh (the code stays as is)."""
    cu.solution("3.1")
    out = capsys.readouterr().out
    assert out.startswith("# 练习 3.1 的参考答案：") and "def output_size(" in out
    monkeypatch.setattr(solutions, "notebook_folders", lambda: [])
    cu.solution("3.1")
    out = capsys.readouterr().out
    assert "练习 3.1：这里没有参考答案。找不到第 3 课的笔记本" in out and "cu.hint()" in out


def test_self_check_lines_are_chinese_under_zh(english, monkeypatch, capsys):
    """Fails if checks.report / check_at_least / check_between keep English words under zh."""
    checks.check_at_least("accuracy", 0.98, full=0.97)
    assert "✅ accuracy = 0.98 (target ≥ 0.97, full profile)" in capsys.readouterr().out
    monkeypatch.setenv("COURSE_LANG", "zh")
    checks.check_at_least("accuracy", 0.98, full=0.97)
    checks.check_at_most("loss", 2.0, full=1.0, hint="train longer")
    checks.check_between("ratio", 1.5, 1, 2)
    out = capsys.readouterr().out.splitlines()
    assert out == ["✅ accuracy = 0.98（要求 ≥ 0.97，运行配置 full）",
                   "❌ loss = 2（要求 ≤ 1，运行配置 full）",
                   "   提示：train longer",
                   "✅ ratio = 1.5（应在 1 到 2 之间）"]


def test_setup_report_labels_are_chinese_and_aligned_under_zh(english, monkeypatch):
    """Fails if setup()'s labels stay English under zh, or Chinese labels break the alignment of the values."""
    info = {"Python": "3.11.9", "CPU cores": "2", "Run profile": "full", "Seed": "42"}
    assert env.report_lines(info).splitlines()[2] == "Run profile  full"
    monkeypatch.setenv("COURSE_LANG", "zh")
    lines = env.report_lines(info).splitlines()
    assert lines == ["Python    3.11.9", "CPU 核数  2", "运行配置  full", "随机种子  42"]


def test_data_errors_are_chinese_under_zh(english, monkeypatch, tmp_path):
    """Fails if the data layer's mirror checksum error, could-not-obtain error or birds mirror gap stay English."""
    source, target = tmp_path / "mirror.bin", tmp_path / "cache" / "x.bin"
    source.write_bytes(b"not the registered file")
    monkeypatch.setenv("COURSE_LANG", "zh")
    with pytest.raises(fetch.ChecksumError, match="镜像中的副本 .* 与其校验和"):
        fetch.copy_verified(source, target, "sha256:" + "0" * 64)
    assert not target.exists()
    entry = fetch.RemoteFile("test/x.bin", "http://127.0.0.1:9/x.bin", "sha256:" + "0" * 64, 1, "test")
    with pytest.raises(fetch.DataUnavailableError, match="无法获取 test/x.bin。") as err:
        fetch._download_first([], target, entry, progress=False, mirror_note="镜像 m 中没有")
    assert "解决办法" in str(err.value) and "COURSE_DATA_MIRROR" in str(err.value)
    gap = bird_sources._mirror_gap_message("a/1.jpg", "http://m/birds/a/1.jpg", "404", tmp_path / "birds.partial-1")
    assert gap.startswith("无法从镜像获取 birds/a/1.jpg。") and "birds_sha256.txt" in gap


def test_random_weights_banner_is_chinese_and_keeps_the_sites_marker(english, monkeypatch):
    """Fails if lesson 7's banner stays English under zh, or loses the marker site/page_notes.py looks for."""
    from course_utils.lessons import backbones

    choice = backbones.WeightsChoice(None, False, "random initialisation (smoke profile; ImageNet weights unavailable)")
    monkeypatch.setenv("COURSE_LANG", "zh")
    banner = backbones.random_weights_banner(choice)
    assert "没有预训练权重" in banner and "准确率都没有意义" in banner
    assert "NO PRETRAINED WEIGHTS" in banner and choice.note in banner   # no translated text: the note as it is


@pytest.mark.parametrize("smoke", [True, False])
def test_the_weights_note_prints_chinese_under_zh_and_stays_english_for_the_site(english, monkeypatch, smoke):
    """zh_057: lesson 7 printed 'random initialisation (COURSE_ALLOW_RANDOM_WEIGHTS=1; ImageNet weights unavailable)',
    also inside the Chinese banner. Fails if describe() or the banner stay English under zh, or if the note (stored in
    the results file, read by site/page_notes.py by its prefix) is translated."""
    from course_utils.data import weights
    from course_utils.lessons import backbones

    def unavailable(*args, **kwargs):
        raise fetch.DataUnavailableError("no weights here")

    monkeypatch.setattr(backbones, "fetch_imagenet_weights", unavailable)
    monkeypatch.setattr(backbones.config, "is_smoke", lambda: smoke)
    monkeypatch.setenv(backbones.RANDOM_WEIGHTS_ENV, "1")
    english_choice = backbones.resolve_weights("resnet50")
    assert english_choice.describe() == english_choice.note
    assert english_choice.note.startswith("random initialisation (")
    monkeypatch.setenv("COURSE_LANG", "zh")
    choice = backbones.resolve_weights("resnet50")
    assert choice.note == english_choice.note
    assert choice.describe() == ("随机初始化（冒烟配置，不下载权重；无法获得 ImageNet 权重：no weights here）" if smoke else
                                 "随机初始化（已设置 COURSE_ALLOW_RANDOM_WEIGHTS=1；无法获得 ImageNet 权重：no weights here）")
    assert english_choice.note.endswith("ImageNet weights unavailable: no weights here)")   # review w_7: the reason kept
    banner = backbones.random_weights_banner(choice)
    assert choice.describe() in banner and "random initialisation" not in banner and "NO PRETRAINED WEIGHTS" in banner
    monkeypatch.setattr(backbones, "fetch_imagenet_weights", lambda *a, **k: weights.keras_models_dir() / "w.h5")
    found = backbones.resolve_weights("resnet50")
    assert found.note == "ImageNet weights (w.h5, checksum verified)"
    assert found.describe() == "ImageNet 权重（w.h5，校验和已验证）"


# --- course messages outside the exercises: settings, data, models --------------------------------
def test_profile_error_is_chinese_under_zh(english, monkeypatch):
    """Fails if config.get_profile()'s ProfileError stays English under zh (or turns Chinese in English)."""
    from course_utils import config

    monkeypatch.setenv("COURSE_PROFILE", "fast")
    with pytest.raises(config.ProfileError, match="'fast' is not a run profile this course knows") as err:
        config.get_profile()
    assert not CJK.search(str(err.value))
    monkeypatch.setenv("COURSE_LANG", "zh")
    with pytest.raises(config.ProfileError, match="COURSE_PROFILE='fast' 不是本课程的运行配置。请设为 full, smoke 之一"):
        config.get_profile()


def test_prefetch_stopped_is_chinese_under_zh_and_the_table_keeps_its_english_columns(english, monkeypatch, capsys):
    """Fails if "Prefetch stopped" stays English under zh, or dataset_status's columns or statuses get
    translated (lesson 0's code selects the columns by their English names)."""
    from course_utils.data import status

    def stopped(**kwargs):
        raise fetch.DataUnavailableError("no network")

    monkeypatch.setattr(status, "prefetch", stopped)
    assert status.main() == 1
    assert capsys.readouterr().err.startswith("Prefetch stopped: no network")
    monkeypatch.setenv("COURSE_LANG", "zh")
    assert status.main() == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("预取已中止：no network")
    table = status.dataset_status()
    assert list(table.columns) == ["dataset", "file", "size (MB)", "status", "path"]
    assert set(table["status"]) <= {"missing", "verified", "bundled"}
    assert "birds (prepared)" in set(table["dataset"])


def test_birds_prepared_again_and_the_progress_bar_are_chinese_under_zh(folder_mirror, bird_set, monkeypatch,
                                                                        capsys):
    """Fails if fetch_birds' "preparing them again" line or the mirror folder's progress-bar label stay
    English under zh, or prepared_birds_problem() turns Chinese (status._birds_status reads its English)."""
    from course_utils.data import birds, status

    monkeypatch.chdir(folder_mirror.parent)
    folder = birds.fetch_birds(progress=False)
    next(folder.glob("*/*.jpg")).unlink()
    birds.fetch_birds(progress=False)
    assert f"The prepared birds in {folder} lack 1 of their photos" in capsys.readouterr().out
    next(folder.glob("*/*.jpg")).unlink()
    monkeypatch.setenv("COURSE_LANG", "zh")
    assert birds.prepared_birds_problem(folder).startswith("lack 1 of their photos")
    (folder / ".complete").unlink()
    assert status._birds_status(folder) == "missing"            # parsed from the English phrase
    birds.fetch_birds(progress=True)
    captured = capsys.readouterr()
    assert f"{folder} 中已准备好的鸟类数据不存在，或者上次没有准备完，正在重新准备。" in captured.out
    assert "鸟类照片（镜像文件夹）" in captured.err and "birds (mirror" not in captured.err
    assert birds.prepared_birds_problem(folder) is None


def test_image_scan_report_and_errors_are_chinese_under_zh(english, monkeypatch):
    """Fails if FolderScan.report(), the skip reasons, NotAnImageError or ImageFolderError stay English under zh,
    or the English report changes (tests and the README quote it)."""
    from PIL import Image

    from course_utils.data import images

    root = english / "photos"
    for name in ("robin", "crow", "empty"):
        (root / name).mkdir(parents=True)
    Image.new("RGB", (16, 16), (1, 2, 3)).save(root / "robin" / "a.jpg", "JPEG")
    Image.new("L", (16, 16), 90).save(root / "crow" / "b.png")
    (root / "robin" / "notes.jpg").write_text("not a photo")
    (root / "crow" / "readme.txt").write_text("hello")
    (root / "empty" / "empty.jpg").write_bytes(b"")
    assert images.scan_image_folder(root).report().splitlines() == [
        "2 images in 2 classes.", "Converted to RGB: 1 L.",
        "Skipped crow/readme.txt: not an image file (suffix .txt)",
        "Skipped empty/empty.jpg: empty file (0 bytes)",
        "Skipped empty: class folder has no usable images",
        "Skipped robin/notes.jpg: not a readable image (Pillow does not recognise its contents)"]
    monkeypatch.setenv("COURSE_LANG", "zh")
    assert images.scan_image_folder(root).report().splitlines() == [
        "2 个类别，共 2 张图像。", "已转换为 RGB：1 张 L。",
        "已跳过 crow/readme.txt：不是图像文件（后缀为 .txt）",
        "已跳过 empty/empty.jpg：空文件（0 字节）",
        "已跳过 empty：这个类别文件夹中没有可用的图像",
        "已跳过 robin/notes.jpg：不是可读取的图像（Pillow 无法识别其内容）"]
    with pytest.raises(images.NotAnImageError, match="notes.jpg 无法使用：不是可读取的图像.*。请删除它，或换成 JPEG 或 PNG"):
        images.load_image(root / "robin" / "notes.jpg", 8)
    (root / "robin" / "cut.jpg").write_bytes((root / "robin" / "a.jpg").read_bytes()[:200])
    with pytest.raises(images.NotAnImageError, match="文件已损坏或不完整.*如果它通过了文件夹扫描"):
        images.decode_files([root / "robin" / "cut.jpg"], 8)
    with pytest.raises(images.ImageFolderError, match="不是文件夹"):
        images.scan_image_folder(root / "nowhere")
    with pytest.raises(images.ImageFolderError, match="至少需要 3 个。应有的结构"):
        images.scan_image_folder(root, min_classes=3)


def test_the_retrain_note_of_load_or_train_is_chinese_under_zh(english, monkeypatch, capsys):
    """Fails if load_or_train's "could not be read ... training the model again" note stays English under zh."""
    import sys
    import types

    from course_utils import models

    def unreadable(path):
        raise ValueError("File is not a zip file")

    monkeypatch.setitem(sys.modules, "keras", types.SimpleNamespace(models=types.SimpleNamespace(load_model=unreadable)))
    monkeypatch.setattr(models, "save_model", lambda model, path: path)
    damaged = english / "source.keras"
    damaged.write_bytes(b"cut short")
    assert models.load_or_train(damaged, lambda: "new model") == ("new model", "retrained")
    assert "source.keras could not be read (File is not a zip file...); training the model again" in \
        capsys.readouterr().out
    monkeypatch.setenv("COURSE_LANG", "zh")
    models.load_or_train(damaged, lambda: "new model")
    note = capsys.readouterr().out.strip()
    assert note == "无法读取 source.keras（File is not a zip file...）；正在重新训练模型来替换它。"


# --- the edition tools (make learner, make student): the language of the edition being written ----------------
@pytest.fixture
def two_editions(english):
    """A course root (the working folder, as for make) with notebooks/ and notebooks/zh/, one lesson each."""
    import nbformat
    from test_learner import _lesson

    for folder in (english / "notebooks", english / "notebooks" / "zh"):
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(_lesson(0), folder / "00_welcome.ipynb")
    return english


def test_learner_tool_speaks_the_editions_language_and_names_the_real_first_lesson(two_editions, monkeypatch,
                                                                                  capsys):
    """Fails if --source notebooks/zh does not report in Chinese (the tool runs from the course root, not from a
    zh folder), the English edition stops being English, or the start hint names zh/... instead of learner/zh/..."""
    from course_utils.tools import learner

    assert learner.main(["--source", "notebooks", "--out", "learner"]) == 0
    out = capsys.readouterr().out
    assert "(start with learner/00_welcome.ipynb)" in out and "  added 00_welcome.ipynb" in out
    assert not CJK.search(out)
    assert learner.main(["--source", "notebooks/zh", "--out", "learner/zh"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("学习者版：") and lines[0].endswith("（从 learner/zh/00_welcome.ipynb 开始）")
    assert lines[1:] == ["  已添加 00_welcome.ipynb"]
    assert learner.main(["--source", "notebooks/zh", "--out", "learner/zh"]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == ["  全部已是最新"]
    monkeypatch.setenv("COURSE_LANG", "zh")   # the edition decides, not COURSE_LANG: make learner writes both
    assert learner.main(["--source", "notebooks", "--out", "learner"]) == 0
    assert not CJK.search(capsys.readouterr().out)
    offered = learner.describe(learner.Outcome("05_x.ipynb", learner.OFFERED, "05_x.updated.ipynb"), "zh")
    assert offered.startswith("  保留了你的 05_x.ipynb；更新后的课程放在它旁边：05_x.updated.ipynb（")
    assert learner.main(["--source", "notebooks/zh", "--out", "notebooks/zh"]) == 2
    assert capsys.readouterr().err.startswith("错误：输出文件夹 notebooks/zh 就是课程笔记本所在的文件夹 ")


def test_student_tool_speaks_the_editions_language(two_editions, capsys):
    """Fails if `make student`'s Chinese run (notebooks/zh/*.ipynb) reports or refuses in English, or the
    English run in Chinese (tests/test_student.py compares its English refusal)."""
    from course_utils.tools import student

    assert student.main(["--out", "student", "notebooks/00_welcome.ipynb"]) == 0
    assert capsys.readouterr().out.strip() == "Wrote 1 student notebook(s) to student/"
    assert student.main(["--out", "student/zh", "notebooks/zh/00_welcome.ipynb"]) == 0
    assert capsys.readouterr().out.strip() == "已把 1 个学生版笔记本写入 student/zh/"
    assert student.main(["--out", "notebooks/zh/out", "notebooks/zh/00_welcome.ipynb"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("错误：输出文件夹 notebooks/zh/out 位于课程笔记本所在的文件夹 ") and "--out student/zh" in err
    assert student.main(["--out", "notebooks", "notebooks/00_welcome.ipynb"]) == 2
    assert "error: the output folder notebooks is the lessons' folder" in capsys.readouterr().err
    assert student.edition_language([two_editions / "notebooks", two_editions / "notebooks" / "zh"]) == "en"


# --- a whole Chinese lesson: what it prints ---------------------------------------------------------------------
ENGLISH_SENTENCE = re.compile(r"\b[A-Za-z]{2,}(?:[ ,;:]+[A-Za-z]{2,}){3,}")   # four English words in a row


@pytest.mark.skipif(os.environ.get("COURSE_TEST_STUDENT_RUN") != "1",
                    reason="set COURSE_TEST_STUDENT_RUN=1 to run the Chinese lesson 6 (smoke: ~40 s of CPU)")
def test_the_chinese_lesson_6_prints_chinese_in_every_check_hint_and_explanation():
    """Fails if a self-check line (✅/❌), a hint or a line a code cell prints in notebooks/zh/06 (run from its zh
    folder, smoke profile, as a learner runs it) is English: a check name or hint missing from the catalog, a print
    not written with i18n.tr, or a course_utils message without a translation. Cells that show source code
    (inspect.getsource), tables and Keras' own logs are not the course's prose and are left out."""
    from course_utils.tools import run_lesson

    root = Path(__file__).resolve().parents[1]
    env = {"COURSE_LANG": None, "COURSE_STRICT_CHECKS": None}
    saved = {key: os.environ.pop(key, None) for key in env}
    try:
        run = run_lesson.execute(root / "notebooks" / "zh" / "06_data_augmentation.ipynb", "smoke")
    finally:
        os.environ.update({key: value for key, value in saved.items() if value is not None})
    assert not run.error, run.error
    checks_seen, english = 0, []
    for cell in run.notebook.cells:
        if cell.cell_type != "code" or "getsource" in cell.source or cell.get("id") == "colab-setup":
            continue
        for output in cell.outputs:
            if output.get("output_type") != "stream" or output.get("name") != "stdout":
                continue
            for line in output["text"].splitlines():
                if line.startswith(("✅", "❌")):
                    checks_seen += 1
                    if not CJK.search(line):
                        english.append(line)
                elif line.strip().startswith(("Hint", "提示")) and not line.strip().startswith("提示："):
                    english.append(line)
                elif ENGLISH_SENTENCE.search(line) and not CJK.search(line):
                    english.append(line)
    assert checks_seen >= 20
    assert not english, "\n".join(english)


# --- tables: English data, shown translated where a notebook displays them ----------------------------
@pytest.fixture
def ipython_shell(tmp_path, monkeypatch):
    """An IPython shell, as in a Jupyter kernel (``IPython.get_ipython()`` returns it), removed afterwards."""
    pytest.importorskip("IPython")
    from IPython.core.interactiveshell import InteractiveShell

    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    shell = InteractiveShell.instance()
    yield shell
    InteractiveShell.clear_instance()


def _verdict_table():
    import pandas as pd

    from course_utils import stats

    return pd.DataFrame({"method": ["frozen", "scratch", "fine-tune all"], "gain": [0.02, -0.03, 0.0],
                         "verdict": [stats.verdict(0.01, 0.03), stats.verdict(-0.05, -0.01), stats.verdict(-0.01, 0.01)]},
                        index=pd.Index(["a", "b", "macro average"], name="row"))


def test_a_zh_table_shows_its_verdicts_translated_and_keeps_english_data(english, monkeypatch, ipython_shell):
    """zh_057: lesson 5's and 7's verdict columns showed helped / hurt / made no clear difference in the Chinese run.
    Fails if a displayed zh table (HTML and plain text) keeps the English verdicts or a marked row label, if the
    table itself is changed (checks compare the English), or if a column name is translated."""
    from course_utils import evaluation  # noqa: F401  (marks "macro average")

    table = _verdict_table()
    before = table.copy()
    assert i18n.register_table_display()
    monkeypatch.setenv("COURSE_LANG", "zh")
    chinese = [i18n.tr_in("zh", verdict) for verdict in ("helped", "hurt", "made no clear difference")]
    assert chinese[0] == "有帮助" and all(CJK.search(word) for word in chinese)
    shown, _ = ipython_shell.display_formatter.format(table)
    for text in (shown["text/html"], shown["text/plain"]):
        assert all(word in text for word in chinese) and "宏平均" in text
        assert "helped" not in text and "made no clear difference" not in text and "macro average" not in text
        assert "verdict" in text and "method" in text        # column names are identifiers: as they are
    pd = pytest.importorskip("pandas")
    pd.testing.assert_frame_equal(table, before)
    assert list(table["verdict"]) == ["helped", "hurt", "made no clear difference"]
    assert i18n.table_in("zh", table)["verdict"].tolist() == chinese


def test_a_value_that_is_not_a_marked_message_is_shown_as_it_is(english, monkeypatch):
    """Fails if a cell that is not a message marked with N_ is translated: a method identifier ('scratch'), or a
    word that is a catalog msgid only through tr() ('frozen' is one, from lesson 7's plot legend), which a table
    uses as an identifier."""
    assert i18n.catalog("zh").gettext("frozen") != "frozen"   # a msgid of the catalog ...
    monkeypatch.setenv("COURSE_LANG", "zh")
    shown = i18n.table_in("zh", _verdict_table())
    assert shown["method"].tolist() == ["frozen", "scratch", "fine-tune all"]   # ... not marked: unchanged
    assert shown["gain"].tolist() == [0.02, -0.03, 0.0] and shown.index.name == "row"


def test_row_labels_of_a_series_and_of_a_multiindex_are_shown_translated(english):
    """Fails if index labels (a Series' row labels, a level of a MultiIndex) that are marked messages stay English,
    or if the Series' name (an identifier, like a column name) changes."""
    import pandas as pd

    from course_utils.lessons import bird_source

    series = pd.Series({i18n.N_("1 seed: no interval"): 1.0, "not marked": 2.0}, name="share")
    shown = i18n.table_in("zh", series)
    assert shown.index.tolist() == ["只有 1 个种子：没有区间", "not marked"] and shown.name == "share"
    frame = pd.DataFrame({"seeds": [3, 3]}, index=pd.MultiIndex.from_tuples(
        [("5", bird_source.CHOSEN), ("1", bird_source.ONLY_DEPTH_RUN)], names=["n", "choice"]))
    assert i18n.table_in("zh", frame).index.tolist() == [("5", "选中"), ("1", "只运行了这一种深度")]
    assert frame.index.get_level_values("choice").tolist() == ["chosen", "only depth run"]


def test_an_english_session_displays_tables_exactly_as_pandas_does(english, ipython_shell):
    """Fails if the registered formatters change what an English notebook shows, or if registering twice does."""
    table = _verdict_table()
    expected = {"text/plain": repr(table), "text/html": table._repr_html_()}
    assert i18n.table_in("en", table) is table
    assert i18n.register_table_display() and i18n.register_table_display()
    shown, _ = ipython_shell.display_formatter.format(table)
    assert {key: shown[key] for key in expected} == expected
    series = table["verdict"]
    shown, _ = ipython_shell.display_formatter.format(series)
    assert shown["text/plain"] == repr(series) and "text/html" not in shown   # pandas gives a Series no HTML


def test_table_display_is_registered_by_setup_and_only_inside_ipython(english, monkeypatch):
    """Fails if cu.setup() stops registering the table display (every lesson calls it), or if registering does
    anything outside IPython."""
    assert not i18n.register_table_display()   # plain Python: no shell
    calls = []
    monkeypatch.setattr(env, "register_table_display", lambda: calls.append(1) or False)
    env.setup(show=False)
    assert calls == [1]


def test_lesson_5_prints_each_advanced_method_by_a_translated_name(english, monkeypatch):
    """zh_057: lesson 5's check lines printed the identifiers 'joint', 'l2', 'l2-sp' into Chinese sentences. Fails if
    an advanced method has no printed name, or if a name stays English under zh (L2-SP is a name in both)."""
    from course_utils.lessons import transfer

    assert set(transfer.ADVANCED_NAMES) == set(transfer.ADVANCED_METHODS)
    monkeypatch.setenv("COURSE_LANG", "zh")
    names = {method: i18n.tr(name) for method, name in transfer.ADVANCED_NAMES.items()}
    assert names == {"l2-sp": "L2-SP", "l2": "普通 L2", "joint": "联合目标"}
