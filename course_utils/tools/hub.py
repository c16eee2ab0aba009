"""The course on JupyterHub: hand out the learner edition, collect the learners' copies, size the machine.

The instructor's commands (from the course folder; ``docs/instructor.md``, "Classroom on JupyterHub", has the
steps, ``hub/README.md`` the files)::

    python -m course_utils.tools.hub publish                        # learner edition -> branch `learner`
    python -m course_utils.tools.hub link https://hub.example.org   # the nbgitpuller link to hand out
    python -m course_utils.tools.hub collect 5 --out collected/05   # every learner's lesson 5, for `make grade`
    python -m course_utils.tools.hub measure notebooks/0[0-8]_*.ipynb --out hub/sizing.csv   # a learner's needs
    python -m course_utils.tools.hub table hub/sizing.csv           # ... as the instructor guide's table
    python -m course_utils.tools.hub plan --lesson 7 --cores 16 --memory 64 --learners 30   # how many fit

``publish`` commits the lessons without solutions onto a branch (git plumbing: the checkout is not touched);
``link`` prints the link that makes each learner's server clone (first click) or merge (later clicks) that branch
into their home folder, with nbgitpuller; ``collect`` copies ``<home>/<folder>/NN_*.ipynb`` of every learner into
``<out>/<user>/``, which ``make grade SUBMISSIONS=<out>`` reads (its ``submission`` column names the user);
``measure`` runs lessons as a new learner would, one at a time, and records each kernel's peak resident memory,
CPU time, wall time and the disk written to the learner's cache; ``plan`` turns that table into the sizing rule.
"""
from __future__ import annotations

import argparse
import csv
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

DEFAULT_BRANCH = "learner"      # the branch of the course repository that holds the learner edition
DEFAULT_FOLDER = "dl-course"    # the folder nbgitpuller makes in each learner's home (its ``targetpath``)
EDITIONS = {"en": "", "zh": "zh/"}   # where each language's lessons sit inside the learner branch
BRANCH_README = """# Learner edition of the course (made by `python -m course_utils.tools.hub publish`)

The lessons without their solutions: English in this folder, Chinese in `zh/`. Start with `00_welcome.ipynb`.
This branch is written by a command from the course's `notebooks/`; do not edit it by hand.
"""


class HubError(Exception):
    """A hub command cannot do what was asked; the message says what to do instead."""


# ---------------------------------------------------------------------------------------------------------------
# publish: the learner edition as a git branch nbgitpuller can hand out
# ---------------------------------------------------------------------------------------------------------------

def git(repo: Path, *args: str, env: dict | None = None, text_input: str | None = None) -> str:
    """Run ``git -C repo args`` and return its output without the final newline; :class:`HubError` on failure."""
    result = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, env=env,
                            input=text_input)
    if result.returncode:
        raise HubError(f"git {' '.join(args)} failed in {repo}: {result.stderr.strip() or result.stdout.strip()}")
    return result.stdout.rstrip("\n")


def learner_edition_files(lessons: Path) -> dict[str, bytes]:
    """Path inside the branch -> bytes: every lesson without its solutions and the glossary, English at the top,
    Chinese in ``zh/`` (from ``lessons/zh``, when it exists), and a README."""
    from .learner import generated_files

    files = {"README.md": BRANCH_README.encode("utf-8")}
    for lang, prefix in EDITIONS.items():
        source = lessons / prefix if prefix else lessons
        if source.is_dir():
            files.update({prefix + name: data for name, data in generated_files(source).items()})
    return files


def publish(repo: Path, lessons: Path, branch: str = DEFAULT_BRANCH, message: str = "") -> tuple[str, bool]:
    """Commit the learner edition of ``lessons`` onto ``branch`` of the git repository ``repo``.

    Uses a temporary index and git's plumbing (``hash-object``, ``update-index``, ``write-tree``,
    ``commit-tree``, ``update-ref``), so the checkout's files, index and current branch are never touched. The new
    commit's parent is the branch's previous commit, so learners who pulled before get a normal merge. Returns
    ``(commit, changed)``; when the edition did not change, no commit is made.
    """
    files = learner_edition_files(lessons)
    if not any(name.endswith(".ipynb") for name in files):
        raise HubError(f"no lessons (NN_name.ipynb) in {lessons}: give the course's notebooks/ folder")
    parent = subprocess.run(["git", "-C", str(repo), "rev-parse", "--verify", "-q", f"refs/heads/{branch}"],
                            capture_output=True, text=True).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="learner-branch-") as tmp:
        env = dict(os.environ, GIT_INDEX_FILE=str(Path(tmp) / "index"))
        for name, data in sorted(files.items()):
            blob_file = Path(tmp) / "blob"
            blob_file.write_bytes(data)
            blob = git(repo, "hash-object", "-w", str(blob_file), env=env)
            git(repo, "update-index", "--add", "--cacheinfo", f"100644,{blob},{name}", env=env)
        tree = git(repo, "write-tree", env=env)
    if parent and git(repo, "rev-parse", f"{parent}^{{tree}}") == tree:
        return parent, False
    source = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    message = message or f"Learner edition of the course{f' at {source}' if source else ''}"
    identity = {"GIT_AUTHOR_NAME": "course publisher", "GIT_AUTHOR_EMAIL": "course-publisher@localhost"}
    has_name = subprocess.run(["git", "-C", str(repo), "config", "user.name"], capture_output=True).returncode == 0
    env = dict(os.environ) if has_name else dict(os.environ, **identity, GIT_COMMITTER_NAME=identity[
        "GIT_AUTHOR_NAME"], GIT_COMMITTER_EMAIL=identity["GIT_AUTHOR_EMAIL"])
    commit = git(repo, "commit-tree", tree, *(["-p", parent] if parent else []), "-m", message, env=env)
    git(repo, "update-ref", f"refs/heads/{branch}", commit, *([parent] if parent else []))
    return commit, True


# ---------------------------------------------------------------------------------------------------------------
# link: the nbgitpuller link that hands the learner edition out
# ---------------------------------------------------------------------------------------------------------------

def nbgitpuller_link(hub_url: str, repo: str, branch: str = DEFAULT_BRANCH, folder: str = DEFAULT_FOLDER,
                     lesson: str = "00_welcome.ipynb", lang: str = "en", app: str = "lab") -> str:
    """The link that makes a learner's server clone (first click) or update (later clicks) the learner edition into
    ``~/<folder>`` and open ``lesson`` (in ``zh/`` for ``lang="zh"``) in JupyterLab (``app="lab"``) or Notebook.

    Example:
        >>> nbgitpuller_link("https://hub.example.org", "https://github.com/me/course")
        'https://hub.example.org/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com%2Fme%2Fcourse&branch=learner&targetpath=dl-course&urlpath=lab%2Ftree%2Fdl-course%2F00_welcome.ipynb'
    """
    parts = urlsplit(hub_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise HubError(f"{hub_url!r} is not a hub address: give it as https://hub.example.org (with https://)")
    if lang not in EDITIONS:
        raise HubError(f"unknown edition {lang!r}: use one of {', '.join(EDITIONS)}")
    if re.match(r"^[\w.-]+@[\w.-]+:", repo):
        raise HubError(f"{repo} is an SSH address, which the learners' servers cannot clone without a key: "
                       "give the repository's https:// address")
    opened = f"{folder}/{EDITIONS[lang]}{lesson}"
    path = f"lab/tree/{opened}" if app == "lab" else f"notebooks/{opened}"
    query = urlencode({"repo": repo, "branch": branch, "targetpath": folder, "urlpath": path}, quote_via=quote,
                      safe="")
    return f"{hub_url.rstrip('/')}/hub/user-redirect/git-pull?{query}"


def origin_url(checkout: Path) -> str:
    """The ``origin`` remote of the course checkout, for the link's ``repo``; :class:`HubError` when it has none."""
    try:
        return git(checkout, "config", "--get", "remote.origin.url")
    except HubError:
        raise HubError("this checkout has no `origin` remote: give the public address of the course repository "
                       "with --repo https://...") from None


# ---------------------------------------------------------------------------------------------------------------
# collect: every learner's copy of a lesson, into a folder `make grade` reads
# ---------------------------------------------------------------------------------------------------------------

@dataclass
class Collected:
    """One learner's copy of the lesson: where it came from, where it went (None: the learner has no copy)."""

    user: str
    source: Path
    target: Path | None


def user_name(home: Path, strip_prefix: str) -> str:
    """The learner's hub name from their home folder's name: The Littlest JupyterHub's ``jupyter-alice`` ->
    ``alice``."""
    name = home.name
    return name[len(strip_prefix):] if strip_prefix and name.startswith(strip_prefix) else name


def collect(lesson: int, homes: Path, out: Path, folder: str = DEFAULT_FOLDER, lang: str = "en",
            strip_prefix: str = "jupyter-", users: list[str] | None = None) -> list[Collected]:
    """Copy ``<home>/<folder>/[zh/]NN_*.ipynb`` of every home folder under ``homes`` into ``<out>/<user>/``.

    ``make grade SUBMISSIONS=<out>`` then grades one notebook per learner, its ``submission`` column starting with
    the user's name. Only home folders whose names start with ``strip_prefix`` count (The Littlest JupyterHub names
    its learners' accounts ``jupyter-<user>``; ``""`` takes every folder). Only the learners' files are read; a
    learner without the lesson gets a row with ``target=None``. ``users`` limits the collection to those names.
    """
    if lang not in EDITIONS:
        raise HubError(f"unknown edition {lang!r}: use one of {', '.join(EDITIONS)}")
    if not homes.is_dir():
        raise HubError(f"{homes} is not a folder: give the folder that holds the learners' home folders "
                       "(/home on The Littlest JupyterHub)")
    out.mkdir(parents=True, exist_ok=True)
    if any(out.resolve() == home.resolve() or home.resolve() in out.resolve().parents for home in homes.iterdir()):
        raise HubError(f"{out} lies inside a learner's home folder: collect into a folder of your own")
    found: list[Collected] = []
    learner_homes = sorted(p for p in homes.iterdir() if p.is_dir() and not p.name.startswith(".")
                           and p.name.startswith(strip_prefix))   # other accounts (e.g. the admin's) are no learners
    if not learner_homes:
        raise HubError(f"no home folder in {homes} starts with {strip_prefix!r}: where home folders are named by "
                       "user alone (Kubernetes, a test hub), give --strip-prefix ''")
    for home in learner_homes:
        user = user_name(home, strip_prefix)
        if users and user not in users:
            continue
        edition = home / folder / EDITIONS[lang].rstrip("/") if EDITIONS[lang] else home / folder
        matches = sorted(p for p in edition.glob(f"{lesson:02d}_*.ipynb") if ".updated" not in p.name) \
            if edition.is_dir() else []
        if not matches:
            found.append(Collected(user, edition / f"{lesson:02d}_*.ipynb", None))
            continue
        target = out / user / matches[0].name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(matches[0], target)   # keeps the learner's modification time
        found.append(Collected(user, matches[0], target))
    give_back_to_sudo_user(out)
    return found


def give_back_to_sudo_user(out: Path) -> None:
    """Under ``sudo`` (needed to read other users' homes), make the collected files the instructor's own."""
    uid, gid = os.environ.get("SUDO_UID"), os.environ.get("SUDO_GID")
    if os.geteuid() != 0 or not uid or not gid:
        return
    for root, dirs, files in os.walk(out):
        for name in [*dirs, *files, "."]:
            os.chown(os.path.join(root, name), int(uid), int(gid))


# ---------------------------------------------------------------------------------------------------------------
# measure: what one learner's kernel needs, lesson by lesson
# ---------------------------------------------------------------------------------------------------------------

CACHE_NAME = "dl-transfer-course"  # config.APP_NAME: the per-user cache is ~/.cache/<this> on Linux
RECORDED_ENV = ("COURSE_DATA_MIRROR", "COURSE_ALLOW_RANDOM_WEIGHTS", "COURSE_STRICT_CHECKS", "TF_NUM_INTRAOP_THREADS",
                "TF_NUM_INTEROP_THREADS")   # the settings a sizing run depends on, written into its CSV
SUMMARY = re.compile(r"wall (?P<wall>[\d.]+) s, kernel CPU (?P<cpu>[\d.]+) s .* load average "
                     r"(?P<before>[\d.]+) before / (?P<after>[\d.]+) after")


@dataclass
class Sizing:
    """What one lesson cost a new learner's kernel (one row of the sizing table)."""

    lesson: str
    profile: str
    status: str              # "ok", or why the run failed
    peak_rss_mib: float       # peak resident memory of the kernel (the largest process of the run)
    cpu_s: float             # the kernel's user + system CPU time
    wall_s: float
    load_before: float
    load_after: float
    cache_mib: float          # growth of the per-user course cache (~/.cache/dl-transfer-course, artefacts inside)
    home_mib: float           # growth of the whole home folder (adds Keras', Matplotlib's and Jupyter's files)
    polled_rss_mib: float     # cross-check: the kernel's resident memory (with its children) sampled twice a second
    threads: str             # TF_NUM_INTRAOP_THREADS of the run ("" = TensorFlow's default, one per core)


def folder_mib(folder: Path) -> float:
    """Disk space the files under ``folder`` take (allocated blocks), in MiB; 0 when missing."""
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            except OSError:
                continue
    return total / 2**20


def sample_kernel_rss(pid: int, polled: dict, every: float = 0.5) -> None:
    """Keep ``polled["peak"]`` at the largest resident memory (bytes) seen of ``pid``'s child processes (the kernel
    and anything it starts) until ``polled["stop"]`` is set."""
    import psutil

    while not polled.get("stop"):
        try:
            kids = psutil.Process(pid).children(recursive=True)
            total = sum(kid.memory_info().rss for kid in kids)
        except psutil.Error:
            total = 0
        polled["peak"] = max(polled["peak"], total)
        time.sleep(every)


def measure_lesson(lesson: Path, home: Path, profile: str, save_executed: Path | None = None,
                   timeout: int = 3600) -> Sizing:
    """Run ``lesson`` with ``run_lesson`` in a child process whose HOME is ``home`` and read what it cost.

    The child runs the lesson's kernel and waits for it, so the resource usage ``os.wait4`` returns for the child
    includes the kernel: its maximum resident set size is the larger of the two processes' peaks (the kernel's,
    hundreds of MB, against the runner's few tens). CPU and wall time come from ``run_lesson``'s own summary line.
    """
    cache = home / ".cache" / CACHE_NAME
    env = dict(os.environ, HOME=str(home), COURSE_PROFILE=profile, COURSE_ARTIFACTS_DIR=str(cache / "artifacts"))
    env.pop("COURSE_DATA_DIR", None)   # a hub learner has no such variable: the cache is in their home
    env.pop("KERAS_HOME", None)
    home.mkdir(parents=True, exist_ok=True)
    cache_before, home_before = folder_mib(cache), folder_mib(home)
    command = [sys.executable, "-m", "course_utils.tools.run_lesson", str(lesson), "--profile", profile,
               "--timeout", str(timeout)]
    if save_executed:
        command += ["--save-executed", str(save_executed)]
    with tempfile.TemporaryFile("w+") as out:
        child = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=Path.cwd())
        polled = {"peak": 0}
        sampler = threading.Thread(target=sample_kernel_rss, args=(child.pid, polled), daemon=True)
        sampler.start()
        _pid, status, usage = os.wait4(child.pid, 0)
        polled["stop"] = True
        sampler.join(5)
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read()
    found = SUMMARY.search(text)
    failed = "❌" in text or child.returncode != 0 or not found
    reason = "ok" if not failed else (CHECK_FAILED if "❌" in text else f"exit {child.returncode}")
    values = {k: float(v) for k, v in found.groupdict().items()} if found else dict.fromkeys(
        ("wall", "cpu", "before", "after"), float("nan"))
    if failed:
        print(text[-3000:], file=sys.stderr)
    return Sizing(lesson.name, profile, reason, round(usage.ru_maxrss / 1024, 1), values["cpu"], values["wall"],
                  values["before"], values["after"], round(folder_mib(cache) - cache_before, 1),
                  round(folder_mib(home) - home_before, 1), round(polled["peak"] / 2**20, 1),
                  os.environ.get("TF_NUM_INTRAOP_THREADS", ""))


def write_sizing(rows: list[Sizing], path: Path, command: str) -> None:
    """Write ``rows`` as CSV after two comment lines: the command that produced them and the machine."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        handle.write(f"# produced by: {command}\n")
        handle.write(f"# machine: {os.cpu_count()} cores; run started {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
                     " (times on a shared machine: see load_before/load_after)\n")
        writer = csv.DictWriter(handle, fieldnames=list(asdict(rows[0])) if rows else [])
        writer.writeheader()
        writer.writerows(asdict(row) for row in rows)


def measure_main(args) -> int:
    """``hub measure``: run each lesson in order as one new learner (one fresh home for all) and write the table."""
    home = args.home or Path(tempfile.mkdtemp(prefix="hub-learner-"))
    if not os.environ.get("COURSE_DATA_MIRROR"):
        print("COURSE_DATA_MIRROR is not set: a hub learner reads the shared data folder; set it to that folder "
              "(or to a mirror URL) first.", file=sys.stderr)
        return 2
    settings = " ".join(f"{name}={'<the shared data folder>' if name == 'COURSE_DATA_MIRROR' else os.environ[name]}"
                        for name in RECORDED_ENV if os.environ.get(name))
    command = settings + " python -m course_utils.tools.hub measure " + " ".join(
        [f"--profile {args.profile}", f"--out {args.out}"] + [p.as_posix() for p in args.lessons])
    rows: list[Sizing] = []
    for lesson in args.lessons:
        row = measure_lesson(lesson.resolve(), home, args.profile, args.save_executed, args.timeout)
        rows.append(row)
        print(" ".join(f"{k}={v}" for k, v in asdict(row).items()), flush=True)
        write_sizing(rows, args.out, command)   # after every lesson: a long run leaves a partial table, not none
    return 0 if all(row.status == "ok" for row in rows) else 1


# ---------------------------------------------------------------------------------------------------------------
# plan: how many learners a machine holds, from the measured table
# ---------------------------------------------------------------------------------------------------------------

GiB = 2**30
SERVER_MIB = 200.0   # a learner's Jupyter server without its kernel: 148 MiB in make test-hub (it prints them), + room


@dataclass
class Plan:
    """What one machine does when ``learners`` learners run one lesson at the same time."""

    lesson: str
    limit_gib: float          # per-learner memory limit: kernel peak + server, 10 % margin, rounded up to 0.5 GiB
    fit_by_memory: int        # learners whose limits fit in the machine's memory (less the reserve)
    fit_at_full_speed: int    # learners that each get their whole CPU limit (cores / cpu_limit)
    learners: int             # the class
    waves: int                # groups of at most fit_by_memory learners, one after the other
    minutes_per_wave: float   # CPU time of the lesson / the share of a core each learner of a wave gets
    minutes_total: float


def read_sizing(path: Path) -> list[dict]:
    """The rows of a sizing CSV written by ``measure`` (comment lines skipped)."""
    with open(path, encoding="utf-8") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


def memory_limit_gib(peak_kernel_mib: float, server_mib: float = SERVER_MIB) -> float:
    """Per-learner memory limit for a kernel peak: (peak + server) x 1.1, rounded up to half a GiB.

    Example:
        >>> memory_limit_gib(2000)
        2.5
    """
    need = (peak_kernel_mib + server_mib) * 1.1 / 1024
    return math.ceil(need * 2) / 2


def plan(row: dict, cores: float, memory_gib: float, learners: int, reserve_gib: float = 4.0,
         cpu_limit: float = 1.0, limit_gib: float | None = None) -> Plan:
    """How ``learners`` learners fare on a machine with ``cores`` and ``memory_gib`` when all run the lesson of
    ``row`` (a row of the sizing table) at once.

    Memory decides how many can run at all: each learner's server is allowed ``limit_gib`` (default: from the
    kernel's measured peak, :func:`memory_limit_gib`), and ``reserve_gib`` stays for the system and the hub.
    CPU decides how long it takes: each runs at most ``cpu_limit`` cores (one thread per core: the lesson's CPU time
    was measured single-threaded), and when more run than the cores hold, they share them. Learners who do not fit
    wait for the next wave.
    """
    limit = limit_gib or memory_limit_gib(float(row["peak_rss_mib"]))
    fit_memory = int((memory_gib - reserve_gib) // limit)
    fit_speed = int(cores // cpu_limit)
    if fit_memory < 1:
        raise HubError(f"one learner needs {limit} GiB: more than the machine's {memory_gib} GiB less the reserve")
    waves = math.ceil(learners / fit_memory)
    per_wave = min(learners, fit_memory)
    share = min(cpu_limit, cores / per_wave)   # cores each learner of a full wave gets
    minutes = float(row["cpu_s"]) / share / 60
    return Plan(row["lesson"], limit, fit_memory, fit_speed, learners, waves, round(minutes, 1),
                round(minutes * waves, 1))


CHECK_FAILED = "a check failed"   # the status of a run that reached the lesson's end with a ❌ line


def sizing_table(rows: list[dict]) -> str:
    """The sizing rows as the Markdown table of the instructor guide, in lesson order."""
    lines = ["| lesson | kernel peak (MiB) | kernel CPU (min) | wall clock (min) | load average before / after | "
             "written to the learner's cache (MiB) | whole home (MiB) |",
             "|---|---|---|---|---|---|---|"]
    for row in sorted(rows, key=lambda r: (r["lesson"], r["profile"])):
        if row["status"] not in ("ok", CHECK_FAILED):   # stopped early: its numbers are not the lesson's cost
            lines.append(f"| {row['lesson']} | failed: {row['status']} | | | | | |")
            continue
        name = row["lesson"].removesuffix(".ipynb") + ("" if row["profile"] == "full" else f" ({row['profile']})")
        if row["status"] == CHECK_FAILED:                 # ran to the end: the cost was measured
            name += " (ran to the end; a check failed)"
        lines.append(f"| {name} | {float(row['peak_rss_mib']):.0f} | "
                     f"{float(row['cpu_s']) / 60:.1f} | {float(row['wall_s']) / 60:.1f} | "
                     f"{float(row['load_before']):.1f} / {float(row['load_after']):.1f} | "
                     f"{float(row['cache_mib']):.0f} | {float(row['home_mib']):.0f} |")
    return "\n".join(lines)


def plan_main(args) -> int:
    """``hub plan``: print the sizing rule's numbers for one lesson and one machine."""
    if args.peak_mib is not None and args.cpu_seconds is not None:
        row = {"lesson": f"{args.lesson:02d}", "profile": "given", "peak_rss_mib": args.peak_mib,
               "cpu_s": args.cpu_seconds}
        source = "given on the command line"
    else:
        rows = {row["lesson"][:2]: row for row in read_sizing(args.sizing)
                if row["status"] == "ok" and row["profile"] == args.profile}
        row = rows.get(f"{args.lesson:02d}")
        if row is None:
            raise HubError(f"lesson {args.lesson:02d} has no successful {args.profile} row in {args.sizing}: "
                           "measure it, or give --peak-mib and --cpu-seconds")
        source = f"measured: {args.sizing}"
    result = plan(row, args.cores, args.memory, args.learners, args.reserve, args.cpu_limit, args.limit)
    which = "" if row["profile"] == "given" else f" ({row['profile']} profile)"
    print(f"Lesson {result.lesson}{which}: kernel peak {float(row['peak_rss_mib']):.0f} MiB, "
          f"CPU {float(row['cpu_s']) / 60:.1f} min ({source})")
    print(f"Per learner: memory limit {result.limit_gib:g} GiB, CPU limit {args.cpu_limit:g} core(s)")
    print(f"A machine with {args.cores:g} cores and {args.memory:g} GiB ({args.reserve:g} GiB kept for the system and "
          f"the hub): its memory holds {result.fit_by_memory} learners running it at once; its cores run "
          f"{result.fit_at_full_speed} at full speed.")
    print(f"{result.learners} learners: {result.waves} wave(s) of at most {result.fit_by_memory}, about "
          f"{result.minutes_per_wave:g} min each, {result.minutes_total:g} min in all.")
    return 0


# ---------------------------------------------------------------------------------------------------------------
# command line
# ---------------------------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m course_utils.tools.hub", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    pub = commands.add_parser("publish", help="commit the learner edition onto a branch (then push that branch)")
    pub.add_argument("--repo", type=Path, default=Path("."), help="the course's git checkout (default: here)")
    pub.add_argument("--lessons", type=Path, help="the lessons (default: notebooks/ of the checkout)")
    pub.add_argument("--branch", default=DEFAULT_BRANCH, help=f"the branch to write (default: {DEFAULT_BRANCH})")
    link = commands.add_parser("link", help="print the nbgitpuller link that hands out the learner edition")
    link.add_argument("hub_url", help="the hub's address, e.g. https://hub.example.org")
    link.add_argument("--repo", help="the course repository's public https:// address (default: the checkout's "
                      "origin remote)")
    link.add_argument("--branch", default=DEFAULT_BRANCH, help=f"default: {DEFAULT_BRANCH}")
    link.add_argument("--folder", default=DEFAULT_FOLDER, help=f"folder in each home (default: {DEFAULT_FOLDER})")
    link.add_argument("--lesson", default="00_welcome.ipynb", help="the notebook the link opens")
    link.add_argument("--lang", default="en", choices=sorted(EDITIONS), help="edition: en or zh")
    link.add_argument("--app", default="lab", choices=["lab", "notebook"], help="open in JupyterLab or Notebook")
    col = commands.add_parser("collect", help="copy every learner's copy of a lesson into a folder to grade")
    col.add_argument("lesson", type=int, help="the lesson's number, e.g. 5")
    col.add_argument("--homes", type=Path, default=Path("/home"), help="folder of the home folders (default /home)")
    col.add_argument("--out", type=Path, required=True, help="where to copy them (then: make grade SUBMISSIONS=...)")
    col.add_argument("--folder", default=DEFAULT_FOLDER, help=f"the link's folder (default: {DEFAULT_FOLDER})")
    col.add_argument("--lang", default="en", choices=sorted(EDITIONS), help="edition the learners used")
    col.add_argument("--strip-prefix", default="jupyter-", help="removed from home folder names to give the user "
                     "name (The Littlest JupyterHub's jupyter-; default: jupyter-)")
    col.add_argument("--users", nargs="*", help="only these learners")
    measure = commands.add_parser("measure", help="run lessons as a new learner and record what each one cost")
    measure.add_argument("lessons", nargs="+", type=Path, help="lessons to run, in order, in one learner's home "
                         "(later lessons reuse the data copies and models earlier ones saved there)")
    measure.add_argument("--profile", default="full", choices=["full", "smoke"])
    measure.add_argument("--out", type=Path, default=Path("hub/sizing.csv"), help="the CSV table to write")
    measure.add_argument("--home", type=Path, help="the learner's home folder (default: a new temporary folder)")
    measure.add_argument("--save-executed", type=Path, metavar="DIR", help="keep the executed lessons in DIR")
    measure.add_argument("--timeout", type=int, default=3600, help="seconds one cell may take (default 3600)")
    pl = commands.add_parser("plan", help="how many learners a machine holds while all run one lesson")
    pl.add_argument("--lesson", type=int, default=7, help="the lesson all run at once (default 7)")
    pl.add_argument("--cores", type=float, default=16)
    pl.add_argument("--memory", type=float, default=64, help="the machine's memory in GiB (default 64)")
    pl.add_argument("--learners", type=int, default=30, help="the class size (default 30)")
    pl.add_argument("--reserve", type=float, default=4, help="GiB kept for the system and the hub (default 4)")
    pl.add_argument("--cpu-limit", type=float, default=1, help="cores per learner (default 1)")
    pl.add_argument("--limit", type=float, help="memory limit per learner in GiB (default: from the measured peak)")
    pl.add_argument("--profile", default="full", choices=["full", "smoke"], help="the profile they run (default full)")
    pl.add_argument("--peak-mib", type=float, help="the kernel's peak memory, instead of the table's (with --cpu-seconds)")
    pl.add_argument("--cpu-seconds", type=float, help="the lesson's CPU time, instead of the table's")
    pl.add_argument("--sizing", type=Path, default=Path(__file__).resolve().parents[2] / "hub" / "sizing.csv",
                    help="the measured table (default: hub/sizing.csv)")
    table = commands.add_parser("table", help="print the measured table as Markdown (for docs/instructor.md)")
    table.add_argument("sizing", type=Path, nargs="*", help="sizing CSVs (default: hub/sizing.csv)")
    args = parser.parse_args(argv)
    try:
        if args.command == "table":
            default = Path(__file__).resolve().parents[2] / "hub" / "sizing.csv"
            print(sizing_table([row for path in args.sizing or [default] for row in read_sizing(path)]))
            return 0
        if args.command == "plan":
            return plan_main(args)
        if args.command == "measure":
            return measure_main(args)
        if args.command == "publish":
            repo = args.repo.resolve()
            lessons = args.lessons or repo / "notebooks"
            commit, changed = publish(repo, lessons, args.branch)
            print(f"{'Wrote' if changed else 'Unchanged:'} the learner edition on branch {args.branch} "
                  f"({commit[:12]}). Next: git push origin {args.branch}, then hand out the link "
                  "(python -m course_utils.tools.hub link https://<your hub>).")
            return 0
        if args.command == "link":
            print(nbgitpuller_link(args.hub_url, args.repo or origin_url(Path.cwd()), args.branch, args.folder,
                                   args.lesson, args.lang, args.app))
            return 0
        if args.command == "collect":
            rows = collect(args.lesson, args.homes, args.out, args.folder, args.lang, args.strip_prefix, args.users)
            for row in rows:
                print(f"  {row.user}: {row.target}" if row.target else f"  {row.user}: no copy ({row.source})")
            copied = sum(row.target is not None for row in rows)
            print(f"Collected lesson {args.lesson:02d} of {copied} learner(s) into {args.out}; "
                  f"grade them with: make grade SUBMISSIONS={args.out}")
            return 0 if copied else 1
    except HubError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 2


if __name__ == "__main__":
    sys.exit(main())
