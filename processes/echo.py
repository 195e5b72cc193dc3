"""The OGC test process ``echo``: returns its string input, after an optional pause.

The Processes test suite executes it (string input; ``pause`` lets it test a job that is not
ready yet).
"""

from __future__ import annotations

import time
from typing import Any

from processes.base import LandgridProcessor

PROCESS_METADATA = {
    "id": "echo",
    "title": "Echo",
    "description": "Returns the string it is given, after an optional pause (OGC test process).",
    "version": "1.0.0",
    "keywords": ["test", "echo"],
    "jobControlOptions": ["sync-execute", "async-execute", "dismiss"],
    "outputTransmission": ["value", "reference"],
    "inputs": {
        "echoInput": {
            "title": "Echo value",
            "description": "Value to be echoed back.",
            "minOccurs": 1,
            "maxOccurs": 1,
            "schema": {"type": "string", "maxLength": 10000},
        },
        "pause": {
            "title": "Pause",
            "description": "Seconds to wait before answering (0 to 600).",
            "minOccurs": 0,
            "maxOccurs": 1,
            "schema": {"type": "number", "minimum": 0, "maximum": 600},
        },
    },
    "outputs": {
        "echoOutput": {
            "title": "Echoed value",
            "schema": {"type": "string", "contentMediaType": "text/plain"},
        }
    },
    "example": {"inputs": {"echoInput": "Hello", "pause": 1}},
}


class EchoProcessor(LandgridProcessor):
    def __init__(self, processor_def: dict) -> None:
        super().__init__(processor_def, PROCESS_METADATA)

    def run(self, inputs: dict[str, Any]) -> dict[str, Any]:
        pause = float(inputs.get("pause") or 0)
        steps = int(pause) if pause >= 1 else 1 if pause > 0 else 0
        for step in range(steps):
            self.report(int(100 * step / steps), f"pausing ({step}/{steps} s)")
            time.sleep(pause / steps)
        return {"echoOutput": inputs["echoInput"]}
