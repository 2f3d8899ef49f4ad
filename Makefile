# Two commands on a fresh machine (Python 3.11+ and make): `make demo` and `make test`.
# uv is used from PATH, or installed into .tools/ at the version the template pins.
UV_VERSION := $(shell python3 -c "import json; print(json.load(open('cookiecutter.json'))['_uv_version'])")
UV ?= $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)

.PHONY: demo test lint lock

demo: $(UV) ## Bake the default project into build/demo, train, serve and call it
	$(UV) run --locked python scripts/demo.py

test: lint ## Lint the template's code, then bake and test every supported variant
	$(UV) run --locked pytest

# Only the template's own Python: the project folder is Jinja, linted by the tests after baking.
lint: $(UV)
	$(UV) run --locked ruff check hooks scripts tests
	$(UV) run --locked ruff format --check hooks scripts tests

# The generated project ships a uv.lock. After changing its pyproject.toml, re-resolve it
# in a default bake and put it back with the project name templated.
LOCK_BAKE := build/lock/iris-classifier
lock: $(UV) ## Refresh {{cookiecutter.project_slug}}/uv.lock
	rm -rf build/lock
	$(UV) run --locked cookiecutter --no-input --output-dir build/lock .
	cd $(LOCK_BAKE) && env -u VIRTUAL_ENV $(abspath $(UV)) lock
	sed 's/^name = "iris-classifier"$$/name = "{{ cookiecutter.project_slug }}"/' $(LOCK_BAKE)/uv.lock \
		> '{{cookiecutter.project_slug}}/uv.lock'

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/python -m pip install --quiet uv==$(UV_VERSION)
