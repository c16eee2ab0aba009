"""Start and stop a private JupyterLab for the browser test: 127.0.0.1, a free port, a random token.

The server runs ``jupyter lab <lesson>`` (the README's way to open the course) in a temporary copy of the
lesson, with its own Jupyter config, runtime, settings and workspace folders, so it never touches the
user's. The smoke profile and strict checks are set for the kernel. The server is stopped (its whole
process group: the server and its kernels) when the ``with`` block ends, even after a failure.
"""
from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

START_SECONDS = 120
STOP_SECONDS = 20
NO_NEWS_PAGE_CONFIG = {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}
ALL_CELLS_RENDERED = {"windowingMode": "none"}   # every cell in the DOM, so the test sees every prompt


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def private_jupyter_dirs(home: Path) -> dict[str, str]:
    """Environment variables giving this server its own config/runtime/settings/workspaces under ``home``."""
    dirs = {"JUPYTER_CONFIG_DIR": home / "config", "JUPYTER_RUNTIME_DIR": home / "runtime",
            "JUPYTERLAB_SETTINGS_DIR": home / "settings", "JUPYTERLAB_WORKSPACES_DIR": home / "workspaces"}
    write_json(dirs["JUPYTER_CONFIG_DIR"] / "labconfig" / "page_config.json", NO_NEWS_PAGE_CONFIG)
    write_json(dirs["JUPYTERLAB_SETTINGS_DIR"] / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings",
               ALL_CELLS_RENDERED)
    return {name: str(path) for name, path in dirs.items()}


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


def lab_command(lesson: str, port: int, token: str) -> list[str]:
    """``jupyter lab <lesson>`` bound to 127.0.0.1:port with ``token``, no browser, no update checks."""
    command = [sys.executable, "-m", "jupyterlab", lesson, "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
               "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")   # CI containers run as root
    return command


def wait_until_up(process: subprocess.Popen, base: str, token: str, log: Path) -> None:
    """Poll the server's status API until it answers; fail early if the process exits."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with code {process.returncode}:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError):
            urllib.request.urlopen(f"{base}api/status?token={token}", timeout=2).close()
            return
        time.sleep(0.5)
    raise TimeoutError(f"JupyterLab did not answer within {START_SECONDS} s:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen) -> None:
    """SIGTERM the server's process group (server and kernels), SIGKILL it if it has not exited in time."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(STOP_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(STOP_SECONDS)


@contextlib.contextmanager
def running_jupyterlab(notebooks: Path, lesson: str, workdir: Path) -> Iterator[str]:
    """Serve a copy of ``notebooks/<lesson>`` (and the glossary it links to); yields the lesson's URL."""
    for name in (lesson, "glossary.md"):
        shutil.copy2(notebooks / name, workdir / name)
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ, COURSE_PROFILE="smoke", COURSE_STRICT_CHECKS="1",
               COURSE_ARTIFACTS_DIR=str(workdir / "artifacts"), **private_jupyter_dirs(workdir / ".jupyter"))
    log = workdir / "jupyterlab.log"
    with log.open("w") as out:
        process = subprocess.Popen(lab_command(lesson, port, token), cwd=workdir, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}/"
        wait_until_up(process, base, token, log)
        yield f"{base}lab/tree/{lesson}?token={token}"
    finally:
        stop(process)
