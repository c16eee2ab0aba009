# Two commands do all the set-up:  `make lab` (open the course) and `make test` (run every test).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export COURSE_PROFILE_TEST ?= smoke

.PHONY: lab learner test unit notebooks prefetch student grade slides clean-venv

$(BIN)/activate: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -r requirements.txt
	touch $(BIN)/activate

lab: learner                    ## open the learner edition (learner/) in JupyterLab
	$(BIN)/jupyter lab learner/00_welcome.ipynb   # serves learner/ only (the folder of the file)

learner: $(BIN)/activate        ## create or update learner/ (your copies without solutions; your edits are never overwritten)
	$(BIN)/python -m course_utils.tools.learner

test: $(BIN)/activate           ## unit tests + every notebook under nbval (smoke profile)
	COURSE_PROFILE=$(COURSE_PROFILE_TEST) COURSE_STRICT_CHECKS=1 COURSE_TEST_STUDENT_RUN=1 $(BIN)/python -m pytest tests notebooks --nbval-lax -p no:cacheprovider --durations=15

unit: $(BIN)/activate           ## unit tests only (fast)
	$(BIN)/python -m pytest tests

notebooks: $(BIN)/activate      ## notebooks only
	COURSE_PROFILE=$(COURSE_PROFILE_TEST) COURSE_STRICT_CHECKS=1 $(BIN)/python -m pytest notebooks --nbval-lax

prefetch: $(BIN)/activate       ## download and verify every dataset before a class
	$(BIN)/python -m course_utils.data.status

student: $(BIN)/activate        ## classroom student edition (solutions removed) in student/
	$(BIN)/python -m course_utils.tools.student --out student

grade: $(BIN)/activate          ## grade a folder of submissions: make grade SUBMISSIONS=collected/ [PROFILE=smoke] [TIMEOUT=600]
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=<folder of submitted notebooks> [PROFILE=smoke|full] [TIMEOUT=seconds] [GRADES=grades.csv]"; exit 2; }
	$(BIN)/python -m course_utils.tools.grade "$(SUBMISSIONS)" --out "$(or $(GRADES),grades.csv)" --profile $(or $(PROFILE),smoke) $(if $(TIMEOUT),--timeout $(TIMEOUT))

slides: $(BIN)/activate         ## refresh slide metadata, then build HTML slides into _build/slides
	$(BIN)/python -m course_utils.tools.slides
	$(BIN)/jupyter nbconvert --to slides --output-dir _build/slides notebooks/[0-9]*.ipynb

clean-venv:
	rm -rf $(VENV)
