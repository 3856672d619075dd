# Two commands do everything on a fresh machine:  `make run`  and  `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
HOST   ?= 0.0.0.0
PORT   ?= 8000

.PHONY: install run lint test eval bench browser clean

# torch first, pinned to the local CPU build: any other torch spec pulls several GB of CUDA packages.
$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

## Run the bot on the embedded defaults (SQLite, builtin encoder). LINE credentials come from the environment.
run: install
	$(BIN)/python -m app serve --host $(HOST) --port $(PORT)

## Debian's Chromium drives the staff console and simulator tests (Playwright's own browser download is not used);
## fonts-noto-cjk draws the rich-menu image's Chinese labels and lets the browser show Chinese text; the emoji and
## Thai fonts let the browser tests measure cards as a phone draws them (boxes for 📞 or Thai are the wrong height).
browser:
	@{ command -v chromium && test -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc \
	   && test -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf && test -f /usr/share/fonts/opentype/tlwg/Loma.otf; \
	 } >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium and fonts (CJK, emoji, Thai)"; \
	  if [ "$$(id -u)" -ne 0 ]; then echo "need root (or install chromium and fonts-noto-cjk yourself)"; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk fonts-noto-color-emoji fonts-tlwg-loma-otf >/dev/null; }

## Style and bugs (ruff), types (mypy) and which package may import which (import-linter); settings in pyproject.toml.
lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

## All tests on SQLite; again on PostgreSQL when TEST_DATABASE_URL is set.
test: install browser
	env -u TEST_DATABASE_URL $(BIN)/pytest
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "=== again on PostgreSQL ($$TEST_DATABASE_URL)"; \
	  $(BIN)/pytest; \
	fi

eval: install
	$(BIN)/python -m app eval

bench: install
	$(BIN)/python scripts/bench_retrieval.py
	$(BIN)/python scripts/bench_webhook.py

clean:
	rm -rf $(VENV) data
