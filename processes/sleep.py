"""``sleep``: waits, reporting progress each step; for cancellation, reconciliation and load."""

from __future__ import annotations

import time
from typing import Any

from processes.base import LandgridProcessor

PROCESS_METADATA = {
    "id": "sleep",
    "title": "Sleep",
    "description": "Sleeps for the given number of seconds in steps, reporting progress.",
    "version": "1.0.0",
    "keywords": ["test"],
    "jobControlOptions": ["async-execute", "sync-execute", "dismiss"],
    "outputTransmission": ["value"],
    "inputs": {
        "seconds": {
            "title": "Seconds",
            "minOccurs": 1,
            "maxOccurs": 1,
            "schema": {"type": "number", "minimum": 0, "maximum": 3600},
        },
        "steps": {
            "title": "Progress steps",
            "minOccurs": 0,
            "maxOccurs": 1,
            "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 10},
        },
        "fail": {
            "title": "Fail at the end",
            "description": "Raise an error instead of finishing (to test failure reporting).",
            "minOccurs": 0,
            "maxOccurs": 1,
            "schema": {"type": "boolean", "default": False},
        },
    },
    "outputs": {
        "slept": {"title": "Seconds slept", "schema": {"type": "number"}},
        "steps": {"title": "Steps done", "schema": {"type": "integer"}},
    },
    "example": {"inputs": {"seconds": 5, "steps": 5}},
}


class SleepFailed(RuntimeError):
    pass


class SleepProcessor(LandgridProcessor):
    def __init__(self, processor_def: dict) -> None:
        super().__init__(processor_def, PROCESS_METADATA)

    def run(self, inputs: dict[str, Any]) -> dict[str, Any]:
        seconds = float(inputs["seconds"])
        steps = int(inputs.get("steps") or 10)
        started = time.monotonic()
        for step in range(steps):
            self.report(int(100 * step / steps), f"step {step + 1} of {steps}")
            self.context.sleep(seconds / steps)
        if inputs.get("fail"):
            raise SleepFailed(f"asked to fail after {seconds:g} s")
        return {"slept": round(time.monotonic() - started, 3), "steps": steps}
