"""The course on JupyterHub: the instructor commands (fast unit tests) and a real hub (``make test-hub``).

The real-hub test (marked ``hub``; it runs only when asked, ``pytest -m hub tests/test_hub.py``) starts JupyterHub
on 127.0.0.1 with the one-machine configuration (``hub/jupyterhub_config.d/course.py``), a test authenticator
(DummyAuthenticator) and a local-process spawner (SimpleLocalProcessSpawner: every learner is the same system user,
with their own home folder), and then does what a class does:

1. three learners log in through the REST API (a token each) and start their servers;
2. each follows the nbgitpuller link the instructor hands out (``hub link``), which clones the learner edition
   (``hub publish`` wrote it onto a branch of a local clone of this repository) into their home;
3. each learner's kernel runs lesson 0's first cells through the server API (smoke profile, the shared data
   folder), with an audit hook that records every network connection the kernel tries: there must be none, and
   each learner's cache must hold the shared folder's files;
4. one learner answers exercise 0.1 right, one wrong, one not at all, and saves;
5. the instructor collects the three notebooks (``hub collect``) and grades them (``make grade``'s command):
   one row per learner, with the right verdicts;
6. everything is stopped with bounded waits, and no process the hub started is left.

Needs: ``pip install -r requirements-hub.txt``, ``npm ci --prefix hub`` (configurable-http-proxy) and the offline
data folder in ``COURSE_DATA_MIRROR`` (or ``../shared/datasets``); ``make test-hub`` does all of it.
"""
from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from course_utils.tools import hub

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PROXY = ROOT / "hub" / "node_modules" / ".bin" / "configurable-http-proxy"
LEARNERS = ("ada", "ben", "chen")
LESSON = "00_welcome.ipynb"
LAST_CELL = "739520e0"   # lesson 0's cell that loads Fashion-MNIST: the learners run the cells up to it
EXERCISE = "0.1"
WAIT = {"hub": 120, "server": 240, "cell": 600, "stop": 60}   # seconds: every wait of the test is bounded


# ---------------------------------------------------------------------------------------------------------------
# unit tests of the instructor commands (fast; part of `make test`)
# ---------------------------------------------------------------------------------------------------------------

def test_link_hands_out_the_learner_branch_and_opens_the_lesson():
    link = hub.nbgitpuller_link("https://hub.example.org/", "https://github.com/me/course", lesson="05_x.ipynb",
                                lang="zh")
    parts = urlsplit(link)
    assert parts.path == "/hub/user-redirect/git-pull"
    assert parse_qs(parts.query) == {"repo": ["https://github.com/me/course"], "branch": ["learner"],
                                     "targetpath": ["dl-course"], "urlpath": ["lab/tree/dl-course/zh/05_x.ipynb"]}


@pytest.mark.parametrize("bad_hub, bad_repo", [("hub.example.org", "https://github.com/me/course"),
                                               ("https://hub.example.org", "git@github.com:me/course.git")])
def test_link_refuses_what_a_learner_server_cannot_use(bad_hub, bad_repo):
    with pytest.raises(hub.HubError):
        hub.nbgitpuller_link(bad_hub, bad_repo)


def test_publish_writes_a_branch_without_solutions_and_leaves_the_checkout_alone(tmp_path):
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "notebooks" / "zh").mkdir(parents=True)
    for folder in (repo / "notebooks", repo / "notebooks" / "zh"):
        shutil.copy(ROOT / "notebooks" / LESSON, folder / LESSON)
    commit, changed = hub.publish(repo, repo / "notebooks", "learner")
    assert changed
    files = hub.git(repo, "ls-tree", "-r", "--name-only", "learner").splitlines()
    assert files == ["00_welcome.ipynb", "README.md", "zh/00_welcome.ipynb"]
    handed_out = hub.git(repo, "show", f"learner:{LESSON}")
    assert "BEGIN SOLUTION" not in handed_out and "answer_0_1 = None" in handed_out
    assert hub.git(repo, "status", "--porcelain") == "?? notebooks/"   # no file, index or branch of ours touched
    assert hub.publish(repo, repo / "notebooks", "learner") == (commit, False)   # same edition: no new commit
    (repo / "notebooks" / "glossary.md").write_text("# Glossary\n")
    newer, changed = hub.publish(repo, repo / "notebooks", "learner")
    assert changed and hub.git(repo, "rev-parse", f"{newer}^") == commit   # a child: learners get a merge


def test_collect_names_each_copy_by_its_learner(tmp_path):
    homes = tmp_path / "home"
    for user, text in (("jupyter-ada", "a"), ("jupyter-ben", "b")):
        (homes / user / "dl-course").mkdir(parents=True)
        (homes / user / "dl-course" / "05_weight_transfer.ipynb").write_text(text)
        (homes / user / "dl-course" / "06_augmentation.ipynb").write_text("other lesson")
    (homes / "jupyter-chen").mkdir()   # never clicked the link
    (homes / "ubuntu" / "dl-course").mkdir(parents=True)   # the machine's admin account, no learner
    rows = hub.collect(5, homes, tmp_path / "collected")
    assert [(row.user, row.target and row.target.relative_to(tmp_path).as_posix()) for row in rows] == [
        ("ada", "collected/ada/05_weight_transfer.ipynb"), ("ben", "collected/ben/05_weight_transfer.ipynb"),
        ("chen", None)]
    assert (tmp_path / "collected" / "ben" / "05_weight_transfer.ipynb").read_text() == "b"
    with pytest.raises(hub.HubError):
        hub.collect(5, homes, homes / "jupyter-ada" / "grading")
    assert [row.user for row in hub.collect(5, homes, tmp_path / "all", strip_prefix="")] == [
        "jupyter-ada", "jupyter-ben", "jupyter-chen", "ubuntu"]


def test_one_machine_and_kubernetes_configurations_give_learners_the_same_settings():
    yaml = pytest.importorskip("yaml")
    values = yaml.safe_load((ROOT / "hub" / "config.yaml").read_text(encoding="utf-8"))
    one_machine = {}
    exec(compile((ROOT / "hub" / "jupyterhub_config.d" / "course.py").read_text(encoding="utf-8"), "course.py",
                 "exec"), {"get_config": lambda: _Config(one_machine), "__name__": "config"})
    single = values["singleuser"]
    assert single["memory"]["limit"] == one_machine["Spawner.mem_limit"]
    assert single["memory"]["guarantee"] == one_machine["Spawner.mem_guarantee"]
    assert single["cpu"]["limit"] == one_machine["Spawner.cpu_limit"]
    assert single["cpu"]["guarantee"] == one_machine["Spawner.cpu_guarantee"]
    environment = dict(one_machine["Spawner.environment"], COURSE_DATA_MIRROR="/srv/course-data")
    assert single["extraEnv"] == environment
    assert single["defaultUrl"] == one_machine["Spawner.default_url"]


def test_plan_fits_learners_by_memory_and_times_them_by_cpu():
    row = {"lesson": "07_x.ipynb", "peak_rss_mib": "4500", "cpu_s": "1200"}
    result = hub.plan(row, cores=16, memory_gib=64, learners=30)
    assert result.limit_gib == 5.5                        # (4500 + 200) MiB x 1.1 = 5.05 GiB -> 5.5
    assert result.fit_by_memory == 10                     # (64 - 4) // 5.5
    assert (result.waves, result.minutes_per_wave, result.minutes_total) == (3, 20.0, 60.0)   # 1 core each
    crowded = hub.plan(row, cores=4, memory_gib=64, learners=10)
    assert crowded.minutes_per_wave == 50.0               # 10 learners share 4 cores: 1200 s / 0.4 core
    assert hub.plan(row, cores=16, memory_gib=64, learners=10).waves == 1
    with pytest.raises(hub.HubError):
        hub.plan(row, cores=16, memory_gib=8, learners=1)


class _Config(dict):
    """Just enough of traitlets' config object to read what course.py sets (``c.Spawner.x = ...``)."""

    def __init__(self, store: dict, prefix: str = ""):
        super().__init__()
        object.__setattr__(self, "_store", store)
        object.__setattr__(self, "_prefix", prefix)

    def __getattr__(self, name):
        key = f"{self._prefix}{name}"
        if key == "Spawner.environment":
            return self._store.setdefault(key, {})
        return _Config(self._store, key + ".")

    def __setattr__(self, name, value):
        self._store[f"{self._prefix}{name}"] = value


# ---------------------------------------------------------------------------------------------------------------
# a real hub (make test-hub)
# ---------------------------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def shared_data_folder() -> Path:
    value = os.environ.get("COURSE_DATA_MIRROR", "")
    folder = Path(value) if value and "://" not in value else ROOT.parent / "shared" / "datasets"
    if not (folder / "mnist").is_dir():
        pytest.skip(f"no shared data folder at {folder}: set COURSE_DATA_MIRROR to the offline data folder")
    return folder.resolve()


HUB_CONFIG = """\
# Written by tests/test_hub.py: the course's one-machine settings, then what the test changes.
c = get_config()  # noqa
load_subconfig({course!r})
c.JupyterHub.bind_url = "http://127.0.0.1:{port}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_port}"
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.ConfigurableHTTPProxy.pid_file = {tmp!r} + "/proxy.pid"
c.JupyterHub.db_url = "sqlite:///" + {tmp!r} + "/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = {tmp!r} + "/cookie_secret"
c.JupyterHub.pid_file = {tmp!r} + "/jupyterhub.pid"
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True
c.JupyterHub.authenticator_class = "dummy"          # any password: a test authenticator
c.Authenticator.allowed_users = set({learners!r})
c.JupyterHub.spawner_class = "simple"               # SimpleLocalProcessSpawner: one system user, homes below
c.SimpleLocalProcessSpawner.home_dir_template = {tmp!r} + "/home/{{username}}"
c.Spawner.cmd = [{singleuser!r}]
c.Spawner.args = {args!r}
c.Spawner.ip = "127.0.0.1"
c.Spawner.environment.update({{"COURSE_PROFILE": "smoke", "COURSE_STRICT_CHECKS": "1"}})
"""

AUDIT = """\
import sys as _sys
_network = []
def _record_network(event, args):
    if event == "socket.connect":
        address = args[1]
        host = address[0] if isinstance(address, tuple) else str(address)
        if not (isinstance(address, (str, bytes)) or str(host).startswith("127.") or host in ("::1", "localhost")):
            _network.append(f"connect {address!r}")
    elif event == "socket.getaddrinfo" and args[0] not in ("localhost", "127.0.0.1", "::1", None):
        _network.append(f"look up {args[0]!r}")
_sys.addaudithook(_record_network)
"""


class Hub:
    """A JupyterHub process started by the test, and what the test needs to talk to it."""

    def __init__(self, tmp: Path, data: Path):
        self.tmp, self.data = tmp, data
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(tmp / "jupyterhub.log", "wb")
        config = tmp / "jupyterhub_config.py"
        config.write_text(HUB_CONFIG.format(
            course=str(ROOT / "hub" / "jupyterhub_config.d" / "course.py"), port=self.port, hub_port=free_port(),
            proxy_port=free_port(), proxy=str(PROXY), tmp=str(tmp), learners=LEARNERS,
            singleuser=str(BIN / "jupyterhub-singleuser"), args=["--allow-root"] if os.geteuid() == 0 else []))
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("COURSE_", "KERAS_", "JUPYTER", "XDG_"))}
        env.update(COURSE_HUB_DATA=str(data), PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}")
        self.process = subprocess.Popen([str(BIN / "jupyterhub"), "-f", str(config)], cwd=tmp, env=env,
                                        stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.seen: set[int] = {self.process.pid}

    def remember_processes(self) -> None:
        """Note every process the hub started so far (proxy, servers, kernels): none may outlive the test."""
        import psutil

        try:
            self.seen |= {p.pid for p in psutil.Process(self.process.pid).children(recursive=True)}
        except psutil.NoSuchProcess:
            pass

    def log_tail(self) -> str:
        self.log.flush()
        return (self.tmp / "jupyterhub.log").read_text(errors="replace")[-4000:]

    def wait_until_up(self) -> None:
        import requests

        deadline = time.monotonic() + WAIT["hub"]
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"the hub exited:\n{self.log_tail()}"
            try:
                if requests.get(f"{self.url}/hub/api/", timeout=5).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(1)
        raise AssertionError(f"the hub did not answer within {WAIT['hub']} s:\n{self.log_tail()}")

    def stop(self) -> list[str]:
        """Stop the hub (it stops the servers and the proxy), bounded; return the processes that had to be killed."""
        import psutil

        self.remember_processes()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(WAIT["stop"])
            except subprocess.TimeoutExpired:
                pass
        left = []
        deadline = time.monotonic() + 15
        for pid in sorted(self.seen):
            try:
                proc = psutil.Process(pid)
                proc.wait(max(0.1, deadline - time.monotonic()))
            except psutil.NoSuchProcess:
                continue
            except psutil.TimeoutExpired:
                left.append(f"{pid} {' '.join(proc.cmdline())[:120]}")
                proc.kill()
        try:
            os.killpg(self.process.pid, signal.SIGKILL)   # anything else in the hub's session
        except (ProcessLookupError, PermissionError):
            pass
        self.process.wait(10)
        self.log.close()
        return left


class Learner:
    """One learner: their hub token, and their server reached through the hub's proxy."""

    def __init__(self, hub_: Hub, name: str):
        import requests

        self.hub, self.name = hub_, name
        reply = requests.post(f"{hub_.url}/hub/api/users/{name}/tokens", timeout=30,
                              json={"auth": {"username": name, "password": "any"}, "note": "test_hub login"})
        assert reply.status_code in (200, 201), f"{name} could not log in: {reply.status_code} {reply.text}"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"token {reply.json()['token']}"
        self.server = f"{hub_.url}/user/{name}"
        self.home = hub_.tmp / "home" / name

    def hub_api(self, method: str, path: str, **kwargs):
        return self.session.request(method, f"{self.hub.url}/hub/api{path}", timeout=30, **kwargs)

    def api(self, method: str, path: str, **kwargs):
        return self.session.request(method, f"{self.server}/api{path}", timeout=60, **kwargs)

    def start_server(self) -> None:
        reply = self.hub_api("POST", f"/users/{self.name}/server")
        assert reply.status_code in (201, 202), f"{self.name}: {reply.status_code} {reply.text}"

    def server_ready(self) -> bool:
        model = self.hub_api("GET", f"/users/{self.name}").json()
        return bool(model.get("servers", {}).get("", {}).get("ready"))

    def follow_link(self, link: str) -> None:
        """Click the link as a learner in a browser does: log in on the hub's page, open the link (the hub sends the
        learner to their server's nbgitpuller page, through the hub's OAuth login of the server), then do what that
        page's script does: ask nbgitpuller's API to pull, and read its event stream to the end."""
        import requests

        browser = requests.Session()
        form = browser.get(f"{self.hub.url}/hub/login", timeout=30).text
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', form)
        reply = browser.post(f"{self.hub.url}/hub/login", timeout=60, allow_redirects=False,
                             data={"username": self.name, "password": "any", **({"_xsrf": xsrf[1]} if xsrf else {})})
        assert reply.status_code == 302, f"{self.name} could not log in on the hub's page: {reply.status_code}"
        page = browser.get(link, timeout=60)
        assert page.status_code == 200 and page.url.startswith(f"{self.server}/git-pull?"), (page.url, page.text[:300])
        query = parse_qs(urlsplit(link).query)
        params = {key: query[key][0] for key in ("repo", "branch", "targetpath")}
        events = []
        with browser.get(f"{self.server}/git-pull/api", params=params, stream=True, timeout=300) as stream:
            for line in stream.iter_lines(decode_unicode=True):
                if line and line.startswith("data:"):
                    events.append(json.loads(line[5:]))
                    if events[-1].get("phase") in ("finished", "error"):
                        break
        assert events and events[-1]["phase"] == "finished", f"{self.name}: nbgitpuller said {events[-1:]}"

    def notebook(self, path: str) -> dict:
        reply = self.api("GET", f"/contents/{path}", params={"content": 1})
        assert reply.status_code == 200, reply.text
        return reply.json()

    def save(self, path: str, model: dict) -> None:
        reply = self.api("PUT", f"/contents/{path}", json={"type": "notebook", "format": "json",
                                                            "content": model["content"]})
        assert reply.status_code in (200, 201), reply.text


class Kernel:
    """A kernel of a learner's server, driven through the server's REST and websocket API as JupyterLab does."""

    def __init__(self, learner: Learner, notebook_path: str):
        import websocket

        reply = learner.api("POST", "/sessions", json={"path": notebook_path, "type": "notebook", "name": "",
                                                       "kernel": {"name": "python3"}})
        assert reply.status_code == 201, reply.text
        self.id = reply.json()["kernel"]["id"]
        ws_url = learner.server.replace("http://", "ws://") + f"/api/kernels/{self.id}/channels"
        self.ws = websocket.create_connection(ws_url, timeout=WAIT["cell"],
                                              header=[f"Authorization: {learner.session.headers['Authorization']}"])
        self.session = uuid.uuid4().hex

    def run(self, code: str) -> str:
        """Execute ``code``; return its printed text and results; fail with the error a cell raised."""
        msg_id = uuid.uuid4().hex
        self.ws.send(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "session": self.session,
                       "username": "test", "version": "5.3", "date": ""},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": True}}))
        text, reply, idle = [], None, False
        deadline = time.monotonic() + WAIT["cell"]
        while (reply is None or not idle) and time.monotonic() < deadline:
            message = json.loads(self.ws.recv())
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "stream":
                text.append(content["text"])
            elif kind in ("execute_result", "display_data"):
                text.append(content.get("data", {}).get("text/plain", ""))
            elif kind == "error":
                text.append(f"{content['ename']}: {content['evalue']}")
            elif kind == "status" and content["execution_state"] == "idle":
                idle = True
            elif kind == "execute_reply":
                reply = content
        assert reply is not None and idle, f"no reply within {WAIT['cell']} s to:\n{code[:300]}"
        output = "".join(text)
        assert reply["status"] == "ok", f"the cell raised:\n{code[:300]}\n---\n{output[-2000:]}"
        return output

    def close(self) -> None:
        self.ws.close()


def server_memory_mib(the_hub: Hub) -> list[float]:
    """Resident memory of each learner's Jupyter server process (its kernel is a separate process), in MiB."""
    import psutil

    servers = [p for p in psutil.Process(the_hub.process.pid).children(recursive=True)
               if "jupyterhub-singleuser" in " ".join(p.cmdline())]
    return sorted(round(p.memory_info().rss / 2**20, 1) for p in servers)


def code_cells_up_to(notebook: dict, last_id: str) -> list[str]:
    cells = []
    for cell in notebook["content"]["cells"]:
        if cell["cell_type"] == "code":
            cells.append(cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"]))
        if cell.get("id") == last_id:
            return cells
    raise AssertionError(f"no cell {last_id} in the handed-out lesson")


def exercise_cell(notebook: dict, exercise: str) -> dict:
    return next(c for c in notebook["content"]["cells"]
                if c["cell_type"] == "code" and c.get("metadata", {}).get("exercise") == exercise)


def solution_code(exercise: str) -> str:
    """The instructor's answer to ``exercise`` (lesson 0), without the solution markers: what a learner types."""
    instructor = json.loads((ROOT / "notebooks" / LESSON).read_text(encoding="utf-8"))
    cell = next(c for c in instructor["cells"] if c["metadata"].get("exercise") == exercise
                and c["cell_type"] == "code")
    return "".join(line for line in cell["source"] if "### " not in line)


def learner_runs_first_cells(learner: Learner, path: str, results: dict) -> None:
    """In the learner's kernel: the network audit, the lesson's first cells, then what the audit recorded."""
    try:
        kernel = Kernel(learner, path)
        try:
            kernel.run(AUDIT)
            for code in code_cells_up_to(learner.notebook(path), LAST_CELL):
                kernel.run(code)
            results[learner.name] = {"network": json.loads(kernel.run("import json; print(json.dumps(_network))")),
                                     "kernel": kernel}
        except BaseException:
            kernel.close()
            raise
    except BaseException as err:  # reported by the main thread
        results[learner.name] = {"error": err}


@pytest.mark.hub
def test_a_class_on_a_real_hub(tmp_path_factory, request):
    if "hub" not in (request.config.option.markexpr or "") or "not hub" in request.config.option.markexpr:
        pytest.skip("the real-hub test runs only when asked: pytest -m hub tests/test_hub.py (make test-hub)")
    pytest.importorskip("jupyterhub", reason="pip install -r requirements-hub.txt (make test-hub does)")
    pytest.importorskip("nbgitpuller", reason="pip install -r requirements-hub.txt (make test-hub does)")
    if not PROXY.exists():
        pytest.skip("configurable-http-proxy is not installed: npm ci --prefix hub (make test-hub does)")
    data = shared_data_folder()
    tmp = tmp_path_factory.mktemp("hub")

    # The instructor: the learner edition on a branch of a local clone of the course, and the link to hand out.
    clone = tmp / "course"
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(ROOT), str(clone)], check=True)
    hub.publish(clone, clone / "notebooks", "learner")
    link_of = lambda hub_url: subprocess.run(  # noqa: E731  (the instructor's command, as typed)
        [sys.executable, "-m", "course_utils.tools.hub", "link", hub_url, "--repo", str(clone)],
        capture_output=True, text=True, check=True, cwd=ROOT).stdout.strip()

    the_hub = Hub(tmp, data)
    kernels = []
    try:
        the_hub.wait_until_up()
        link = link_of(the_hub.url)
        learners = [Learner(the_hub, name) for name in LEARNERS]
        for learner in learners:
            learner.start_server()
        deadline = time.monotonic() + WAIT["server"]
        while not all(learner.server_ready() for learner in learners):
            assert time.monotonic() < deadline, f"servers not ready in {WAIT['server']} s:\n{the_hub.log_tail()}"
            time.sleep(2)
        the_hub.remember_processes()

        path = f"{hub.DEFAULT_FOLDER}/{LESSON}"
        for learner in learners:
            learner.follow_link(link)
            handed_out = (learner.home / path).read_text(encoding="utf-8")
            assert "BEGIN SOLUTION" not in handed_out, "the learner edition must not contain the solutions"
            env = learner.api("GET", "/status").status_code   # the server answers through the proxy
            assert env == 200

        # Each learner's kernel runs the lesson's first cells at the same time, as in a class.
        results: dict = {}
        threads = [threading.Thread(target=learner_runs_first_cells, args=(learner, path, results))
                   for learner in learners]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(WAIT["cell"] * 2)
        the_hub.remember_processes()
        kernels = [results[name]["kernel"] for name in LEARNERS if "kernel" in results.get(name, {})]
        for name in LEARNERS:
            assert "error" not in results.get(name, {"error": "no result"}), f"{name}: {results.get(name)}"
            assert results[name]["network"] == [], f"{name}'s kernel used the network: {results[name]['network']}"
            cache = the_hub.tmp / "home" / name / ".cache" / hub.CACHE_NAME
            for shared in sorted((data / "mnist").glob("*.gz")):
                mine = cache / "mnist" / shared.name
                assert mine.read_bytes() == shared.read_bytes(), f"{name}'s {mine} is not the shared folder's copy"
        servers = server_memory_mib(the_hub)
        print(f"learners' Jupyter servers, resident memory without their kernels (MiB): {servers}")
        assert len(servers) == len(LEARNERS) and max(servers) < hub.SERVER_MIB, servers   # what `hub plan` adds
        env_of = kernels[0].run("import os; print(os.environ['COURSE_DATA_MIRROR'], os.environ.get('MEM_LIMIT'))")
        assert env_of.split()[0] == str(data) and env_of.split()[1].isdigit()   # the config's settings arrived

        # The learners answer exercise 0.1: ada right (and her kernel's check says so), ben wrong, chen not at all.
        answers = {"ada": solution_code(EXERCISE), "ben": 'answer_0_1 = "Sneaker"   # a guess\n'}
        for learner in learners:
            if learner.name not in answers:
                continue
            model = learner.notebook(path)
            exercise_cell(model, EXERCISE)["source"] = answers[learner.name]
            learner.save(path, model)
        said = kernels[0].run(answers["ada"] + f'\ncu.check("{EXERCISE}", answer_0_1, globals())')
        assert "✅" in said, said
        for kernel in kernels:
            kernel.close()
        kernels = []

        # The instructor collects lesson 0 from every home folder and grades the collection.
        collected = tmp / "collected"
        subprocess.run([sys.executable, "-m", "course_utils.tools.hub", "collect", "0", "--homes",
                        str(tmp / "home"), "--strip-prefix", "", "--out", str(collected)], check=True, cwd=ROOT)
        grading_env = dict(os.environ, COURSE_DATA_MIRROR=str(data), COURSE_DATA_DIR=str(tmp / "instructor-cache"))
        subprocess.run([sys.executable, "-m", "course_utils.tools.grade", str(collected), "--out",
                        str(tmp / "grades.csv"), "--profile", "smoke"], check=True, cwd=ROOT, env=grading_env)
        with open(tmp / "grades.csv", encoding="utf-8") as handle:
            rows = {row["submission"].split("/")[0]: row for row in csv.DictReader(handle)}
        assert sorted(rows) == sorted(LEARNERS)
        expected = {"ada": "correct", "ben": "not quite", "chen": "not answered"}
        for name, row in rows.items():
            assert row["submission"] == f"{name}/{LESSON}" and row["status"] == "graded", row
            assert row[EXERCISE] == expected[name], row
            assert row["0.2"] == row["0.3"] == "not answered", row

        for learner in learners:   # the learners log out: their servers stop
            assert learner.hub_api("DELETE", f"/users/{learner.name}/server").status_code in (202, 204)
    finally:
        for kernel in kernels:
            kernel.close()
        killed = the_hub.stop()
    assert not killed, f"still running {WAIT['stop']} s after the hub was stopped (killed now): {killed}"
    assert the_hub.process.returncode is not None


def test_sizing_table_keeps_a_finished_run_whose_check_failed_and_drops_a_stopped_one():
    """A lesson that ran to its end measured its whole cost, even if a self-check failed; one that stopped did not."""
    from course_utils.tools import hub

    base = {"profile": "full", "peak_rss_mib": "2182.5", "cpu_s": "263.0", "wall_s": "255.2", "load_before": "1.9",
            "load_after": "1.8", "cache_mib": "0.0", "home_mib": "0.0"}
    table = hub.sizing_table([dict(base, lesson="08_pitfalls_faq.ipynb", status=hub.CHECK_FAILED),
                              dict(base, lesson="07_resnet50_birds.ipynb", status="exit 1")])
    assert "| 08_pitfalls_faq (ran to the end; a check failed) | 2182 | 4.4 | 4.3 |" in table
    assert "| 07_resnet50_birds.ipynb | failed: exit 1 | | | | | |" in table
