# The two commands of the README. Both install what they need first (scripts/setup.sh).
.PHONY: setup demo test lint

setup:
	@bash scripts/setup.sh

# Capture the year 2024 of the embedded sandbox platforms (offline) into ./archive.
demo: setup
	.venv/bin/smarchive capture --year 2024

lint: setup
	.venv/bin/ruff check src tests benchmarks

# The default test suite (slow soak/fault-injection runs are behind `-m slow`).
test: lint
	.venv/bin/python -m pytest -q
