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
from ..i18n import tr
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
        print(tr("The cached {target} is corrupt or truncated (checksum mismatch): fetching it again.", target=target))
        _remove_bad_file(target)
    ensure_writable(target.parent)
    mirror = config.data_mirror()
    if mirror and not config.is_url(mirror):
        source = Path(mirror) / key
        if source.is_file():
            return copy_verified(source, target, entry.known_hash)
        if from_origin:
            print(tr("The mirror {mirror} has no {key}; trying the origin instead.", mirror=mirror, key=key))
        urls = [entry.url] if from_origin else []
        return _download_first(urls, target, entry, progress,
                               mirror_note=tr("not in mirror {mirror}", mirror=mirror))
    urls = ([mirror + key] if mirror else []) + ([entry.url] if from_origin else [])
    return _download_first(urls, target, entry, progress,
                           mirror_note="" if from_origin else tr("the origin was not asked (from_origin=False)"))


def ensure_writable(folder: Path) -> None:
    """Create ``folder`` and prove it is writable, or raise DataUnavailableError saying what to do."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-test-"):
            pass
    except OSError as err:
        raise DataUnavailableError(tr("The course's data cache {folder} is not writable ({strerror}). Set "
                                      "COURSE_DATA_DIR to a folder you can write to, for example `export "
                                      "COURSE_DATA_DIR=$HOME/course-data`, and run again.", folder=folder,
                                      strerror=err.strerror or err)) from err


def copy_verified(source: Path, target: Path, known_hash: str) -> Path:
    """Copy ``source`` to ``target`` through a temporary file, verifying the checksum first.

    Raises:
        ChecksumError: the source does not match ``known_hash``; nothing is written.
    """
    with atomic_write(target) as tmp:   # a failed check leaves no file behind
        shutil.copyfile(source, tmp)
        if not hash_matches(tmp, known_hash):
            raise ChecksumError(tr("The mirror's copy {source} does not match its checksum ({known_hash}): it is "
                                   "corrupt or a different file. Replace it with a good copy, or unset "
                                   "COURSE_DATA_MIRROR to download from the origin.", source=source,
                                   known_hash=known_hash))
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
    raise DataUnavailableError(tr(
        "Could not obtain {key}.\n"
        "  Tried: {tried}\n"
        "  Origin URL: {url}\n"
        "  Cache path: {target}\n"
        "  Fix: connect to the internet and run again, or set COURSE_DATA_MIRROR to a folder or URL "
        "that holds {key} (see the README, 'Offline use and mirrors').",
        key=entry.key, tried="; ".join(failures), url=entry.url, target=target))


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
        raise ChecksumError(tr("The file downloaded from {url} does not match its checksum ({known_hash}); it was "
                               "discarded. The download may have been cut short or altered by a proxy: try again.",
                               url=url, known_hash=known_hash)) from err
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
        raise DataUnavailableError(tr("{path} is corrupt and cannot be removed ({strerror}). Delete it by hand, or "
                                      "set COURSE_DATA_DIR to a writable folder, and run again.", path=path,
                                      strerror=err.strerror or err)) from err
