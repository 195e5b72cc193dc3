# The two commands of the README, and their helpers.
.PHONY: serve test lint setup bench clean

setup:
	@bash scripts/setup.sh

serve: setup
	.venv/bin/landgrid serve

test:
	@bash scripts/setup.sh --test
	.venv/bin/pytest

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

clean:
	rm -rf var
