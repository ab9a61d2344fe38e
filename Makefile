# Two commands: `make run` starts everything, `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
STAMP := $(VENV)/.installed
# The uv that installs the lock: the release the lock itself pins (dev extra).
UV_VERSION := $(shell sed -n 's/^uv==\([^ ]*\).*/\1/p' requirements.lock)

# The PostgreSQL server the tests use (this kind of machine runs one locally). Set it empty
# to skip the PostgreSQL tests on a machine without one.
COMPLAINTS_TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
export COMPLAINTS_TEST_POSTGRES_URL

# The dates the domain tests are run at by `make test-dates` (under faketime): a year
# ahead, China's National Day week, a European DST change (01:00 UTC on the last Sunday
# of March) and a leap day.
TEST_DATES ?= "$(shell date -u -d '+1 year' '+%Y-%m-%d %H:%M:%S')" "2027-10-03 02:00:00" \
	"2027-03-28 00:59:00" "2028-02-29 23:59:00"

.PHONY: install debian bytecode lock run demo test test-dates lint fmt bench clean

# Debian packages the tests start for real: Chromium (pages checked where a person clicks)
# and Dovecot (the IMAP mailbox mail comes in from). Installed once, when missing.
DEBIAN_PACKAGES := chromium fonts-wqy-microhei dovecot-imapd
debian:
	@command -v chromium >/dev/null && test -x /usr/sbin/dovecot && fc-list :lang=zh | grep -q . || \
		(apt-get update -qq && apt-get install -y -qq --no-install-recommends $(DEBIAN_PACKAGES))

# Installs exactly what requirements.lock says (hashes checked), then the project itself.
$(STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@test -x $(UV) || $(PY) -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(UV) pip sync --quiet --python $(PY) --require-hashes --compile-bytecode requirements.lock
	$(UV) pip install --quiet --python $(PY) --no-deps -e .
	@touch $(STAMP)

install: $(STAMP)

# Refresh the lock after changing a dependency in pyproject.toml (then `make install`).
lock:
	@test -x $(UV) || $(MAKE) install
	$(UV) pip compile --quiet --universal --python-version 3.11 --generate-hashes \
		--extra dev --upgrade pyproject.toml -o requirements.lock

# Every process of the stack and of the tests imports Prefect: from bytecode that is
# seconds less per process (the venv's is compiled at install, the project's here), also
# where PYTHONDONTWRITEBYTECODE keeps Python from writing it.
bytecode: install
	@$(PY) -m compileall -q -j 0 complaints flows tasks ui_api tests scripts bench >/dev/null

run: bytecode
	$(PY) scripts/devstack.py

demo: bytecode
	$(PY) scripts/demo.py

test: lint bytecode debian
	$(PY) -m pytest $(PYTEST_ARGS)

# The domain tests with the process clock moved (faketime, Debian's package).
test-dates: install
	@command -v faketime >/dev/null || (apt-get update -qq && apt-get install -y -qq faketime)
	@for moment in $(TEST_DATES); do \
		echo "== domain tests at $$moment UTC"; \
		TZ=UTC faketime -f "@$$moment" $(PY) -c 'import datetime; print("clock:", datetime.datetime.now())' && \
		TZ=UTC faketime -f "@$$moment" $(PY) -m pytest -q tests/complaints tests/ui \
			|| exit 1; \
	done

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) -m mypy

bench: bytecode
	$(PY) bench/intake.py
	$(PY) bench/intake_burst.py
	$(PY) bench/decisions.py
	$(PY) bench/capacity.py
	$(PY) bench/whole_life.py
	$(PY) bench/open_complaints.py
	$(PY) bench/smtp_outage.py
	$(PY) bench/review.py

fmt: install
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

clean:
	rm -rf var .pytest_cache .ruff_cache .mypy_cache
