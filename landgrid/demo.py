"""Demo products, loaded on first start through the same ingestion code users run."""

from __future__ import annotations

from collections.abc import Callable

from landgrid.settings import Settings


def load_demo(settings: Settings, say: Callable[[str], None]) -> None:
    say("demo products: (pending)")
