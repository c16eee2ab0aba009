# Two commands do all the set-up:  `make lab` (open the course) and `make test` (run every test).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
VENV_MIN ?= .venv-min
BIN_MIN := $(VENV_MIN)/bin
export COURSE_PROFILE_TEST ?= smoke
# The lessons, validated by nbval: every code cell runs in one fresh kernel per lesson (a cell that raises fails,
# with the lesson and cell named); cells tagged `nbval-check-output` must print what the notebook stores.
# The plugin keeps each executed lesson for `make site` (COURSE_EXECUTED_DIR).
LESSONS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))
NBVAL := -p course_utils.tools.nbval_plugin --nbval-lax --nbval-current-env --nbval-cell-timeout=1800 \
         --nbval-sanitize-with tests/nbval_sanitize.cfg
# Two workers (pytest-xdist), each taking whole files: every cell of a lesson runs in one worker, in order, in one
# kernel (lessons share nothing but caches written atomically). The lessons come first, so the longest files start
# first and the short test files fill the gaps. TEST_WORKERS=0 runs everything in one process.
TEST_WORKERS ?= 2
PARALLEL := -n $(TEST_WORKERS) --dist loadfile

.PHONY: lab learner test test-min unit notebooks prefetch student grade slides clean-venv test-hub

$(BIN)/activate: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -r requirements.txt
	touch $(BIN)/activate

# The edition `make lab` opens: `make lab LANG=zh` (or COURSE_LANG=zh) opens the Chinese one (learner/zh/). Only
# the exact value zh counts: a shell's own LANG, such as en_US.UTF-8 or zh_CN.UTF-8, keeps the English edition.
EDITION := $(if $(filter zh,$(LANG) $(COURSE_LANG)),zh,en)
LAB_FOLDER := $(if $(filter zh,$(EDITION)),learner/zh,learner)

lab: learner                    ## open the learner edition in JupyterLab (learner/; with LANG=zh the Chinese one, learner/zh/)
	$(if $(filter zh,$(LANG)),LANG=C.UTF-8) $(BIN)/jupyter lab --ServerApp.root_dir=learner $(LAB_FOLDER)/00_welcome.ipynb   # serves learner/ only

learner: $(BIN)/activate        ## create or update learner/ and learner/zh/ (your copies without solutions; your edits are never overwritten)
	$(BIN)/python -m course_utils.tools.learner
	$(BIN)/python -m course_utils.tools.learner --source notebooks/zh --out learner/zh

test: $(BIN)/activate           ## unit tests + every lesson run top to bottom (smoke profile); executed lessons kept for `make site`
	COURSE_PROFILE=$(COURSE_PROFILE_TEST) COURSE_STRICT_CHECKS=1 COURSE_TEST_STUDENT_RUN=1 COURSE_EXECUTED_DIR=$(abspath _build/executed) $(BIN)/python -m pytest $(LESSONS) tests $(NBVAL) $(PARALLEL) -p no:cacheprovider --durations=15

$(BIN_MIN)/activate: requirements-min.txt pyproject.toml
	$(PYTHON) -m venv $(VENV_MIN)
	$(BIN_MIN)/python -m pip install --upgrade pip
	$(BIN_MIN)/python -m pip install -r requirements-min.txt
	touch $(BIN_MIN)/activate

test-min: $(BIN_MIN)/activate   ## the same tests in .venv-min, at every lower bound of requirements.txt (requirements-min.txt)
	COURSE_PROFILE=$(COURSE_PROFILE_TEST) COURSE_STRICT_CHECKS=1 COURSE_TEST_STUDENT_RUN=1 COURSE_EXPECT_MIN_VERSIONS=1 COURSE_ARTIFACTS_DIR=$${COURSE_ARTIFACTS_DIR:-$(abspath $(VENV_MIN))/artifacts} $(BIN_MIN)/python -m pytest $(LESSONS) tests $(NBVAL) $(PARALLEL) -p no:cacheprovider --durations=10

unit: $(BIN)/activate           ## unit tests only (no lesson runs)
	$(BIN)/python -m pytest tests -p no:cacheprovider

notebooks: $(BIN)/activate      ## the lessons only, validated by nbval (one: make notebooks LESSON=05)
	COURSE_PROFILE=$(COURSE_PROFILE_TEST) COURSE_STRICT_CHECKS=1 $(BIN)/python -m pytest $(if $(LESSON),notebooks/$(LESSON)_*.ipynb,$(LESSONS)) $(NBVAL) -p no:cacheprovider

prefetch: $(BIN)/activate       ## download and verify every dataset before a class
	$(BIN)/python -m course_utils.data.status

student: $(BIN)/activate        ## classroom student edition (solutions removed) in student/, the Chinese one in student/zh/
	$(BIN)/python -m course_utils.tools.student --out student
	$(BIN)/python -m course_utils.tools.student --out student/zh notebooks/zh/[0-9]*.ipynb

grade: $(BIN)/activate          ## grade a folder of submissions: make grade SUBMISSIONS=collected/ [PROFILE=smoke] [TIMEOUT=600]
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=<folder of submitted notebooks> [PROFILE=smoke|full] [TIMEOUT=seconds] [GRADES=grades.csv]"; exit 2; }
	$(BIN)/python -m course_utils.tools.grade "$(SUBMISSIONS)" --out "$(or $(GRADES),grades.csv)" --profile $(or $(PROFILE),smoke) $(if $(TIMEOUT),--timeout $(TIMEOUT))

slides: $(BIN)/activate         ## refresh slide metadata, then build HTML slides into _build/slides
	$(BIN)/python -m course_utils.tools.slides
	$(BIN)/jupyter nbconvert --to slides --output-dir _build/slides notebooks/[0-9]*.ipynb

clean-venv:
	rm -rf $(VENV) $(VENV_MIN)

# ---- The website (issue 13): the course with its outputs, and its tests in a real browser ----
.PHONY: site test-browser
SITE_STAMP := $(VENV)/.requirements-site
BROWSER_STAMP := $(VENV)/.requirements-browser

$(SITE_STAMP): requirements-site.txt $(BIN)/activate
	$(BIN)/python -m pip install -r requirements-site.txt
	touch $@

$(BROWSER_STAMP): requirements-browser.txt requirements-site.txt $(BIN)/activate
	$(BIN)/python -m pip install -r requirements-browser.txt
	touch $@

site: $(SITE_STAMP)             ## the course as a website in _build/site (lessons run in COURSE_PROFILE, default full; cached per lesson)
	COURSE_STRICT_CHECKS=1 $(BIN)/sphinx-build -b html -c site -d _build/site-doctrees . _build/site
	@echo "Site: _build/site/index.html  (serve it: python -m http.server -d _build/site)"

test-browser: $(BROWSER_STAMP)  ## after `make site`: the builder, every page and link of the site, then the site and JupyterLab in Chromium
	COURSE_PROFILE=$(COURSE_PROFILE_TEST) $(BIN)/python -m pytest -m site tests/test_site_build.py tests/test_site.py tests/test_browser.py -p no:cacheprovider --durations=10

# ---- A classroom on JupyterHub: a real hub on 127.0.0.1, three learners, collect and grade ----
.PHONY: test-hub
HUB_STAMP := $(VENV)/.requirements-hub
HUB_PROXY := hub/node_modules/.bin/configurable-http-proxy

$(HUB_STAMP): requirements-hub.txt $(BIN)/activate
	$(BIN)/python -m pip install -r requirements-hub.txt
	touch $@

$(HUB_PROXY): hub/package.json hub/package-lock.json
	npm ci --prefix hub --no-audit --no-fund
	touch $@

test-hub: $(HUB_STAMP) $(HUB_PROXY)  ## JupyterHub on 127.0.0.1: three learners get the lessons by nbgitpuller, run, answer; collect and grade
	$(BIN)/python -m pytest -m hub tests/test_hub.py -p no:cacheprovider --durations=5
