"""Fetch registry files into the cache: from the cache, a mirror, or the origin.

Every path that puts a file into the cache goes through "temporary file, verify,
move", so a partial or corrupt file never lands there. A cached file is checked
each time it is fetched; a corrupt one is fetched again. The messages a learner reads
come in the lesson's language (:mod:`course_utils.i18n`).
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from .. import config
from ..caching import atomic_write
from ..i18n import say
from .registry import REGISTRY, RemoteFile, unknown_name

CONNECT_TIMEOUT_S = 5  # fail fast when offline instead of hanging
READ_TIMEOUT_S = 60


class DataUnavailableError(OSError):
    """A course file could not be obtained (offline, missing from a mirror, unwritable cache)."""


class ChecksumError(ValueError):
    """A file's contents do not match the checksum in the registry."""


def registry_entry(key: str) -> RemoteFile:
    """Return the registry entry for ``key``.

    Raises:
        UnknownNameError (a KeyError): ``key`` is not in the registry; the message lists the known keys.
    """
    try:
        return REGISTRY[key]
    except KeyError:
        raise unknown_name("registry file", key, REGISTRY) from None


def cache_path(key: str) -> Path:
    """Where ``key`` lives in the cache (whether or not it is there yet)."""
    return config.data_dir() / key


def hash_matches(path: Path, known_hash: str) -> bool:
    """True when ``path`` matches ``known_hash`` (``"sha256:<hex>"`` or ``"md5:<hex>"``)."""
    import pooch

    algorithm, expected = known_hash.split(":", 1)
    return pooch.file_hash(str(path), alg=algorithm) == expected.lower()


def file_status(key: str) -> str:
    """``"verified"``, ``"corrupt"`` or ``"missing"`` for a file in the cache."""
    path = cache_path(key)
    if not path.exists():
        return "missing"
    return "verified" if hash_matches(path, registry_entry(key).known_hash) else "corrupt"


def fetch_file(key: str, progress: bool = True, from_origin: bool = True) -> Path:
    """Return the local path of a verified registry file, fetching it if needed.

    Order: the cache; then ``COURSE_DATA_MIRROR`` (folder or base URL); then the origin,
    unless ``from_origin=False`` (the smoke profile uses that to skip optional large downloads).

    Raises:
        ChecksumError: a mirror's copy or a download does not match the registry.
        DataUnavailableError: offline, not in the mirror, or the cache is not writable.

    Example:
        >>> path = fetch_file("mnist/t10k-labels-idx1-ubyte.gz")
    """
    entry = registry_entry(key)
    target = cache_path(key)
    if target.exists():
        if hash_matches(target, entry.known_hash):
            return target
        print(say(f"The cached {target} is corrupt or truncated (checksum mismatch): fetching it again.",
                  f"缓存中的 {target} 已损坏或不完整（校验和不匹配）：重新获取。"))
        _remove_bad_file(target)
    ensure_writable(target.parent)
    mirror = config.data_mirror()
    if mirror and not config.is_url(mirror):
        source = Path(mirror) / key
        if source.is_file():
            return copy_verified(source, target, entry.known_hash)
        if from_origin:
            print(say(f"The mirror {mirror} has no {key}; trying the origin instead.",
                      f"镜像 {mirror} 中没有 {key}；改从原始来源下载。"))
        urls = [entry.url] if from_origin else []
        return _download_first(urls, target, entry, progress,
                               mirror_note=say(f"not in mirror {mirror}", f"镜像 {mirror} 中没有"))
    urls = ([mirror + key] if mirror else []) + ([entry.url] if from_origin else [])
    return _download_first(urls, target, entry, progress,
                           mirror_note="" if from_origin else say("the origin was not asked (from_origin=False)",
                                                                  "未向原始来源请求（from_origin=False）"))


def ensure_writable(folder: Path) -> None:
    """Create ``folder`` and prove it is writable, or raise DataUnavailableError saying what to do."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-test-"):
            pass
    except OSError as err:
        raise DataUnavailableError(say(
            f"The course's data cache {folder} is not writable ({err.strerror or err}). "
            "Set COURSE_DATA_DIR to a folder you can write to, for example "
            "`export COURSE_DATA_DIR=$HOME/course-data`, and run again.",
            f"课程的数据缓存 {folder} 不可写（{err.strerror or err}）。"
            "请把 COURSE_DATA_DIR 设为一个你有写权限的文件夹，例如 "
            "`export COURSE_DATA_DIR=$HOME/course-data`，然后重新运行。"
        )) from err


def copy_verified(source: Path, target: Path, known_hash: str) -> Path:
    """Copy ``source`` to ``target`` through a temporary file, verifying the checksum first.

    Raises:
        ChecksumError: the source does not match ``known_hash``; nothing is written.
    """
    with atomic_write(target) as tmp:   # a failed check leaves no file behind
        shutil.copyfile(source, tmp)
        if not hash_matches(tmp, known_hash):
            raise ChecksumError(say(
                f"The mirror's copy {source} does not match its checksum ({known_hash}): it is corrupt "
                "or a different file. Replace it with a good copy, or unset COURSE_DATA_MIRROR to "
                "download from the origin.",
                f"镜像中的副本 {source} 与其校验和（{known_hash}）不匹配：文件已损坏，或者根本是另一个文件。"
                "请换上一份完好的副本，或者取消设置 COURSE_DATA_MIRROR，改从原始来源下载。"
            ))
    return target


def _download_first(urls: list[str], target: Path, entry: RemoteFile, progress: bool,
                    mirror_note: str = "") -> Path:
    """Try each URL in turn; raise one clear error naming every attempt if all fail."""
    failures = [mirror_note] if mirror_note else []
    for url in urls:
        try:
            return _download(url, target, entry.known_hash, progress)
        except DataUnavailableError as err:
            failures.append(f"{url}: {err}")
    raise DataUnavailableError(say(
        f"Could not obtain {entry.key}.\n"
        f"  Tried: {'; '.join(failures)}\n"
        f"  Origin URL: {entry.url}\n"
        f"  Cache path: {target}\n"
        "  Fix: connect to the internet and run again, or set COURSE_DATA_MIRROR to a folder or URL "
        f"that holds {entry.key} (see the README, 'Offline use and mirrors').",
        f"无法获取 {entry.key}。\n"
        f"  已尝试：{'；'.join(failures)}\n"
        f"  原始 URL：{entry.url}\n"
        f"  缓存路径：{target}\n"
        "  解决办法：连上互联网后重新运行，或者把 COURSE_DATA_MIRROR 设为存有 "
        f"{entry.key} 的文件夹或 URL（见 README.zh.md 的“离线使用与镜像”一节）。"
    ))


def _download(url: str, target: Path, known_hash: str | None, progress: bool) -> Path:
    """Download with pooch (temporary file, verify, move) and translate its errors."""
    import pooch
    import requests

    downloader = pooch.HTTPDownloader(progressbar=progress, timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S))
    try:
        path = pooch.retrieve(url, known_hash=known_hash, fname=target.name, path=target.parent,
                              downloader=downloader)
    except requests.exceptions.RequestException as err:
        raise DataUnavailableError(_short_reason(err)) from err
    except ValueError as err:  # pooch's checksum mismatch; it has already deleted the download
        raise ChecksumError(say(
            f"The file downloaded from {url} does not match its checksum ({known_hash}); it was "
            "discarded. The download may have been cut short or altered by a proxy: try again.",
            f"从 {url} 下载的文件与其校验和（{known_hash}）不匹配，已被丢弃。"
            "下载可能中途断开，或被代理改动过：请重试。"
        )) from err
    return Path(path)


def _short_reason(err: Exception) -> str:
    """One readable line from a requests error (they nest several layers deep)."""
    text = str(err)
    for marker in ("Failed to resolve", "Connection refused", "timed out", "Name or service not known",
                   "Network is unreachable", "404", "403"):
        if marker in text:
            return f"{type(err).__name__} ({marker})"
    return f"{type(err).__name__}: {text[:200]}"


def _remove_bad_file(path: Path) -> None:
    """Delete a corrupt cached file, or explain why it cannot be replaced."""
    try:
        path.unlink()
    except OSError as err:
        raise DataUnavailableError(say(
            f"{path} is corrupt and cannot be removed ({err.strerror or err}). Delete it by hand, "
            "or set COURSE_DATA_DIR to a writable folder, and run again.",
            f"{path} 已损坏且无法删除（{err.strerror or err}）。请手动删除它，"
            "或者把 COURSE_DATA_DIR 设为一个可写的文件夹，然后重新运行。"
        )) from err
