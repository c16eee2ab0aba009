"""The glossary: every entry bilingual, defined and linked to a lesson; every glossary link in a lesson resolves.

The 中文 field is a primary rendering, optionally followed by ``（又称 alias、alias）`` for other standard renderings,
or by a bracket without 又称 that gives the English word: ``批量规范化（又称 批量归一化）``, ``未规范化的预测（logit）``.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
GLOSSARY = NOTEBOOKS / "glossary.md"
ENTRY = re.compile(r'^- <a id="(?P<slug>[^"]+)"></a>\*\*(?P<term>[^*]+)\*\* · (?P<zh>[^—]+) — (?P<definition>.+?) '
                   r"First in: \[lesson (?P<number>\d+)\]\((?P<file>[^)]+)\)\.$")
LINK = re.compile(r"glossary\.md#([A-Za-z0-9_-]+)")
CJK = re.compile(r"[\u4e00-\u9fff]")
BRACKET = re.compile(r"（([^（）]*)）")


def slugify(term: str) -> str:
    """The anchor for a term: lower case, spaces to hyphens (``Grad-CAM`` -> ``grad-cam``)."""
    return re.sub(r"[^a-z0-9-]", "", term.lower().replace(" ", "-"))


def entries(text: str) -> dict[str, re.Match]:
    """Parse the glossary's entry lines; a line that starts like an entry but does not parse is an error."""
    found = {}
    for line in text.splitlines():
        if line.startswith("- <a id="):
            match = ENTRY.match(line)
            assert match, f"glossary line does not follow the entry format: {line[:120]}"
            assert match["slug"] not in found, f"duplicate glossary anchor {match['slug']}"
            found[match["slug"]] = match
    return found


def renderings(zh: str) -> tuple[str, list[str]]:
    """The primary 中文 rendering and its aliases: ``"批量规范化（又称 批量归一化）"`` -> ``("批量规范化", ["批量归一化"])``."""
    zh = zh.strip()
    primary = zh.split("（", 1)[0].strip()
    aliases = []
    for inside in BRACKET.findall(zh):
        if inside.startswith("又称"):
            aliases += [a.strip() for a in inside.removeprefix("又称").split("、") if a.strip()]
    return primary, aliases


@pytest.fixture(scope="module")
def glossary() -> dict[str, re.Match]:
    return entries(GLOSSARY.read_text(encoding="utf-8"))


def test_glossary_has_the_core_terms(glossary):
    core = {"transfer-learning", "fine-tuning", "feature-extraction", "freezing", "pre-training", "negative-transfer",
            "data-augmentation", "over-fitting", "batch-normalization", "backbone", "gradient-descent", "cross-entropy",
            "convolution", "feature-map", "softmax", "dropout", "l2-sp", "grad-cam"}
    assert core <= set(glossary), sorted(core - set(glossary))
    assert len(glossary) >= 60


def test_every_entry_is_bilingual_defined_and_linked(glossary):
    lessons = {p.name for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")}
    for slug, m in glossary.items():
        assert slug == slugify(m["term"]), f"anchor {slug!r} should be {slugify(m['term'])!r}"
        assert re.search(r"[A-Za-z]", m["term"]) and CJK.search(m["zh"]), f"{slug}: needs English and 中文"
        assert len(m["definition"].split()) >= 5 and m["definition"].endswith("."), f"{slug}: one-line definition"
        assert m["file"] in lessons, f"{slug}: links {m['file']}, which is not a lesson in notebooks/"
        assert m["file"].startswith(f"{int(m['number']):02d}_"), f"{slug}: 'lesson {m['number']}' but links {m['file']}"


def test_entries_are_sorted(glossary):
    terms = [m["term"].lower() for m in glossary.values()]
    assert terms == sorted(terms)


def test_every_glossary_link_in_the_lessons_resolves(glossary):
    missing = {}
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            for slug in LINK.findall(cell.source):
                if slug not in glossary:
                    missing.setdefault(path.name, set()).add(slug)
    assert not missing, f"lessons link glossary terms that have no entry: {missing}"


# --- 中文 renderings (d2l-zh 2.0 conventions; see the glossary's header) ----------------------------------------------

# Renderings that must not appear anywhere in the glossary: wrong or non-standard terms from the seed articles.
BANNED_EVERYWHERE = {
    "归一化指数函数": "softmax is 'softmax 函数'",
    "线性整流函数": "ReLU is 修正线性单元",
    "权值共享": "weight sharing is 权重共享",
    "分布式策略": "a tf.distribute strategy is a 分布策略",
    "神经元网络": "neural network is 神经网络",
    "递归神经网络": "RNN is 循环神经网络 (递归神经网络 is a recursive network)",
}
# Renderings wrong for one entry (they are right elsewhere, e.g. 对数几率回归, 混合精度, 偏差 for the error).
BANNED_IN_ENTRY = {
    "logit": ["对数几率"],  # log-odds; a logit here is any unnormalised class score
    "precision": ["精度"],
    "recall": ["精度"],
    "bias": ["偏差"],  # the parameter b is 偏置; 偏差 is the error (bias-error)
    "bias-error": ["偏置"],
    "filter": ["卷积核"],  # 卷积核 is the kernel
    "softmax": ["归一化指数"],
    "relu": ["线性整流"],
    "weight-sharing": ["权值"],
    "distribution-strategy": ["分布式"],
}
# slug -> (primary rendering the course uses, other standard renderings that must be listed as 又称 aliases).
RENDERINGS = {
    "logit": ("未规范化的预测", []),
    "filter": ("滤波器", []),
    "kernel": ("卷积核", []),
    "softmax": ("softmax 函数", []),
    "relu": ("修正线性单元", []),
    "weight-sharing": ("权重共享", []),
    "distribution-strategy": ("分布策略", []),
    "bias": ("偏置", []),
    "bias-error": ("偏差", []),
    "neural-network": ("神经网络", []),
    "batch-normalization": ("批量规范化", ["批量归一化"]),
    "dropout": ("暂退法", ["随机失活"]),
    "pooling": ("汇聚", ["池化"]),
    "epoch": ("迭代周期", ["轮次"]),
    "data-augmentation": ("数据增广", ["数据增强"]),
    "precision": ("精确率", ["查准率"]),
    "recall": ("召回率", ["查全率"]),
    "logistic-regression": ("逻辑回归", ["对数几率回归"]),
}


def test_no_entry_uses_a_banned_rendering(glossary):
    text = GLOSSARY.read_text(encoding="utf-8")
    for banned, why in BANNED_EVERYWHERE.items():
        assert banned not in text, f"glossary contains {banned}: {why}"
    for slug, banned_list in BANNED_IN_ENTRY.items():
        assert slug in glossary, f"missing entry {slug}"
        for banned in banned_list:
            assert banned not in glossary[slug]["zh"], f"{slug}: 中文 {glossary[slug]['zh']!r} uses {banned}"


def test_standard_renderings_and_aliases(glossary):
    for slug, (primary, aliases) in RENDERINGS.items():
        got_primary, got_aliases = renderings(glossary[slug]["zh"])
        assert got_primary == primary, f"{slug}: 中文 should be {primary!r}, not {got_primary!r}"
        for alias in aliases:
            assert alias in got_aliases, f"{slug}: list {alias!r} as （又称 {alias}）"
    # One choice per pair, course-wide: an alias is never another entry's primary rendering (最大池化, 批量归一化 ...).
    alias_forms = {alias for _, aliases in RENDERINGS.values() for alias in aliases}
    for slug, m in glossary.items():
        primary, _ = renderings(m["zh"])
        for alias in alias_forms:
            assert alias not in primary, f"{slug}: primary 中文 {primary!r} uses {alias!r}, the course's alias form"


# --- terms a transfer-learning course must define ---------------------------------------------------------------

REQUIRED_TERMS = {
    "source-task": "源任务", "target-task": "目标任务", "source-domain": "源域", "target-domain": "目标域",
    "domain-adaptation": "领域自适应", "training-from-scratch": "从头训练", "unfreezing": "解冻",
    "gradual-unfreezing": "逐层解冻", "trainable-parameters": "可训练参数", "hidden-layer": "隐藏层",
    "weight-decay": "权重衰减", "catastrophic-forgetting": "灾难性遗忘", "residual-connection": "残差连接",
    "mini-batch": "小批量", "batch-size": "批量大小", "few-shot-learning": "小样本学习", "kernel": "卷积核",
    "bias-error": "偏差",
}


def test_required_transfer_learning_terms_exist(glossary):
    missing = sorted(set(REQUIRED_TERMS) - set(glossary))
    assert not missing, f"glossary lacks {missing}"
    for slug, zh in REQUIRED_TERMS.items():
        assert renderings(glossary[slug]["zh"])[0] == zh, f"{slug}: 中文 should be {zh}"


def test_definitions_state_what_the_course_teaches(glossary):
    d = {slug: m["definition"] for slug, m in glossary.items()}
    assert "ImageNet-1k" in d["imagenet"] and "ILSVRC-2012" in d["imagenet"], "1.3 M photos / 1,000 classes is ImageNet-1k"
    assert "restore_best_weights=True" in d["early-stopping"], "Keras keeps the best weights only when asked"
    for slug in ("inference-mode", "freezing"):  # the BatchNormalization rule for fine-tuning
        assert re.search(r"trainable ?= ?False", d[slug]) and "training=False" in d[slug], slug
        assert "BatchNormalization" in d[slug], slug
    assert "only the output layer learns" not in d["shared-representation"], "that is a frozen body, not sharing"
    assert "several tasks" in d["shared-representation"]


# --- "First in" -------------------------------------------------------------------------------------------------
# A lesson mentions an entry when any cell (markdown or code) matches one of its patterns (case-insensitive) or links
# its anchor. The closing "## Next" cell is left out: it previews the following lesson (lesson 6's names ResNet50).
# Entries not listed here use their term itself (hyphen or space, optional plural). Where a term never occurs
# literally, the patterns find its idea (a logit is the "scores z" of lesson 1's softmax).
FIRST_IN_PATTERNS = {
    "batch": [r"\bbatch(es)?\b"],
    "batch-normalization": [r"batch[- ]normali[sz]ation", r"BatchNormalization"],
    "batch-size": [r"batch[ _]size", r"\bbatch \d+"],
    "bias": [r"\bbias(es)?\b"],
    "bias-error": [r"bias correction", r"\bbiased\b", r"systematic error"],
    "catastrophic-forgetting": [r"catastrophic forgetting", r"forgetting the source task"],
    "classification-head": [r"classification[- ]head", r"\b(the|a|new|linear|its) head\b"],
    "convolution": [r"\bconvolution"],
    "convolutional-neural-network": [r"convolutional (neural )?network", r"\bCNNs?\b"],
    "cross-validation": [r"cross[- ]validation", r"k-fold"],
    "data-augmentation": [r"augment"],
    "data-leakage": [r"\bleak"],
    "dense-layer": [r"dense layer", r"\bDense\b", r"fully connected"],
    "distribution-strategy": [r"distribution strateg", r"tf\.distribute"],
    "domain-adaptation": [r"domain adaptation", r"domain shift"],
    "few-shot-learning": [r"few-shot", r"handful of examples"],
    "feature-extraction": [r"feature extraction", r"extract\w* features"],
    "freezing": [r"\bfr(ee|o)z", r"trainable = False"],
    "generalization": [r"generali[sz]", r"honest estimate"],
    "global-average-pooling": [r"global average pooling", r"GlobalAveragePooling"],
    "gradual-unfreezing": [r"gradual unfreezing", r"two-stage"],
    "h5-format": [r"\.h5\b"],
    "hidden-layer": [r"hidden (layer|unit)"],
    "hyperparameter": [r"hyper-?parameter", r"picked by trying a grid"],
    "inference-mode": [r"inference mode", r"training=(False|True)"],
    "keras-format": [r"\.keras\b"],
    "kernel": [r"(?<!weight matrix its \*)\bkernels?\b(?! CPU)"],  # lesson 2's "*kernel*" is a Dense weight matrix;
    # "kernel CPU" (a timing) is the Jupyter kernel
    "learning-rate-schedule": [r"learning[- ]rate schedule", r"decaying learning rate",
                               r"cosine (decay|curve|schedule)"],  # lesson 3's "cosine similarity" is not one
    # lesson 1 names it only in a solution comment, "(a logistic regression)"; lesson 2 teaches it
    "logistic-regression": [r"(?<!\(a )logistic regression"],
    "logit": [r"\blogits?\b", r"scores \$z\$", r"score z\b"],
    "max-pooling": [r"max[- ]pooling", r"MaxPooling"],
    "mean-squared-error": [r"mean squared error", r"\bMSE\b"],
    "mini-batch": [r"mini-?batch"],
    "multilayer-perceptron": [r"multilayer perceptron", r"\bMLP\b"],
    "neural-network": [r"neural[- ]network", r"\bnetworks?\b"],
    "optimizer": [r"optimi[sz]er"],
    "over-fitting": [r"over-?fit"],
    "pre-training": [r"pre-?train"],
    "precision": [r"(?<!mixed )(?<!rounding )\bprecision\b"],   # not float precision
    "preprocessing": [r"preprocess"],
    "pretrained-model": [r"pre-?trained"],
    "regularization": [r"regulari[sz]"],
    "residual-connection": [r"residual", r"skip connection", r"\bResNet"],
    "resnet": [r"\bResNet"],
    "seed": [r"\bseed"],
    "source-domain": [r"source domain", r"source and target data"],
    "source-task": [r"\bsource\*? task"],
    "standardization": [r"standardi[sz]"],
    "stochastic-gradient-descent": [r"stochastic gradient descent", r"\bSGD\b"],
    "stratified-split": [r"stratif"],
    "target-domain": [r"target domain", r"source and target data"],
    "target-task": [r"\btarget\*? task", r"\*target\* we transfer"],
    "test-set": [r"test (set|split)"],
    "trainable-parameters": [r"trainable param", r"trainable weights"],
    "training-from-scratch": [r"train\w* from scratch"],
    "training-set": [r"training (set|split|data|rows)"],
    "under-fitting": [r"under-?fit"],
    "unfreezing": [r"unfr(ee|o)z"],
    "vgg16": [r"VGG"],
    "weight-sharing": [r"weight[- ]sharing"],
}


def term_pattern(term: str) -> str:
    """The default pattern: the term as a word (not inside an identifier such as ``from_tensors``), hyphens or spaces
    interchangeable, optional plural."""
    words = [re.escape(w) for w in re.split(r"[- ]", term)]
    return r"(?<!\w)" + r"[- ]?".join(words) + r"(e?s)?(?!\w)"


def lesson_text(cells) -> str:
    """A lesson's cell sources (markdown and code), without the closing "## Next" preview cell."""
    return "\n\n".join(c.source for c in cells if not c.source.lstrip().startswith("## Next"))


def lesson_texts() -> dict[int, str]:
    return {int(path.name[:2]): lesson_text(nbformat.read(path, as_version=4).cells)
            for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))}


def first_lesson(slug: str, term: str, texts: dict[int, str]) -> int | None:
    """The first lesson that mentions the entry (one of its patterns) or links its anchor."""
    patterns = FIRST_IN_PATTERNS.get(slug, [term_pattern(term)])
    anchor = rf"glossary\.md#{re.escape(slug)}(?![\w-])"
    found = re.compile("|".join(f"(?:{p})" for p in [*patterns, anchor]), re.IGNORECASE)
    return next((n for n, text in sorted(texts.items()) if found.search(text)), None)


def test_first_in_is_the_first_lesson_that_mentions_the_term(glossary):
    stale = sorted(set(FIRST_IN_PATTERNS) - set(glossary))
    assert not stale, f"FIRST_IN_PATTERNS has patterns for entries that do not exist: {stale}"
    texts = lesson_texts()
    wrong = {}
    for slug, m in glossary.items():
        first = first_lesson(slug, m["term"], texts)
        if first != int(m["number"]):
            wrong[slug] = f"says lesson {m['number']}, first mentioned in lesson {first}"
    assert not wrong, f"wrong 'First in' lessons: {wrong}"
