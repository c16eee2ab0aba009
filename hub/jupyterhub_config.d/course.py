"""The course's settings for a JupyterHub on one machine: drop this file into The Littlest JupyterHub's
``/opt/tljh/config/jupyterhub_config.d/`` (then ``sudo tljh-config reload``), or load it from a plain
``jupyterhub_config.py`` with ``load_subconfig("<this file>")`` after choosing an authenticator and a spawner.

What it sets, for every learner's server (the numbers come from the measured sizing table in docs/instructor.md,
"Classroom on JupyterHub"; hub/config.yaml sets the same ones on Kubernetes):

* the shared, read-only data folder the instructor prepared once (``COURSE_DATA_MIRROR``); each learner's copies
  and results go to their own cache, ``~/.cache/dl-transfer-course``, so nobody downloads anything;
* memory and CPU limits per learner. JupyterHub passes them to the spawner: The Littlest JupyterHub's
  SystemdSpawner enforces them (systemd's MemoryMax and CPUQuota); a LocalProcessSpawner does not (it only sets
  MEM_LIMIT and CPU_LIMIT in the learner's environment);
* as many TensorFlow and BLAS threads as the learner has cores (TensorFlow would otherwise start one thread per
  core of the machine and spend its CPU limit on waiting);
* JupyterLab as the default interface, also for nbgitpuller links.

The course's packages are installed once, into the environment every learner's server runs in (on The Littlest
JupyterHub: ``sudo -E pip install ...``, see docs/instructor.md); nothing here installs anything.
"""
import os

c = get_config()  # noqa: F821  (JupyterHub's config loader provides get_config)

# One read-only folder for everybody, prepared by the instructor with
#   sudo COURSE_DATA_DIR=/srv/course-data python -m course_utils.data.status
# (datasets, the 10 bird species and the ImageNet weights). COURSE_HUB_DATA overrides the path (the test uses it).
COURSE_DATA = os.environ.get("COURSE_HUB_DATA", "/srv/course-data")

# Per learner, from the measured sizing (docs/instructor.md; `python -m course_utils.tools.hub plan --lesson 7`):
# the largest kernel peak (lesson 7, full profile) plus the learner's Jupyter server, 10 % margin, rounded up to
# half a GiB. The guarantee equals the limit, so a Kubernetes node only takes the learners it can hold when all
# run lesson 7; lower it to pack more learners when lesson 7 is staggered (lessons 0-2 peak at about 1 GiB).
# One core per learner keeps a class predictable: a lesson then takes about its CPU time in wall-clock time.
MEM_LIMIT = "6G"
MEM_GUARANTEE = "6G"
CPU_LIMIT = 1.0
CPU_GUARANTEE = 0.5
THREADS = "1"   # = CPU_LIMIT, as a whole number

c.Spawner.environment.update({
    "COURSE_DATA_MIRROR": COURSE_DATA,
    "TF_NUM_INTRAOP_THREADS": THREADS,
    "TF_NUM_INTEROP_THREADS": THREADS,
    "OMP_NUM_THREADS": THREADS,
    "NBGITPULLER_APP": "lab",
})
c.Spawner.mem_limit = MEM_LIMIT
c.Spawner.mem_guarantee = MEM_GUARANTEE
c.Spawner.cpu_limit = CPU_LIMIT
c.Spawner.cpu_guarantee = CPU_GUARANTEE
c.Spawner.default_url = "/lab"
# A server with a lesson-7 kernel takes a while to start on a busy machine; do not give up on it too early.
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
