"""OGC API - Processes Part 1, ``.../conf/ogc-process-description``: every process
description is valid against the official ``process.yaml`` (inputs and outputs with their
schemas, occurrences, the OpenAPI 3.0 schema subset: no ``const``, no type lists), in
JSON; its example is an execute request valid for it."""

from __future__ import annotations

import jsonschema
import pytest

from tests.schemas import validate
from tests.standards.helpers import OGC, PROCESSES

pytestmark = pytest.mark.services
CLASS = f"{OGC}/ogcapi-processes-1/1.0/conf/ogc-process-description"


def test_declared(conforms_to):
    assert CLASS in conforms_to


def descriptions(api, http) -> list[dict]:
    ids = [p["id"] for p in http.get(f"{api}/processes", timeout=30).json()["processes"]]
    return [http.get(f"{api}/processes/{pid}", timeout=30).json() for pid in ids]


def test_every_description_is_valid(api, http):
    """/req/ogc-process-description/json-encoding, inputs-def, input-def, outputs-def,
    output-def (landcover-statistics once used ``const``, which process.yaml refuses)."""
    found = descriptions(api, http)
    assert {"landcover-statistics", "extract", "echo"} <= {d["id"] for d in found}
    for description in found:
        validate(description, PROCESSES + "process.yaml")
        for spec in description["inputs"].values():
            assert "schema" in spec and spec.get("minOccurs", 1) >= 0
        for spec in description["outputs"].values():
            assert "schema" in spec


def test_examples_meet_their_input_schemas(api, http):
    """Each description's example is an execute request its own schemas accept."""
    for description in descriptions(api, http):
        example = description.get("example")
        if not example:
            continue
        for name, value in example["inputs"].items():
            spec = description["inputs"][name]
            values = value if isinstance(value, list) and spec.get("maxOccurs", 1) != 1 else [value]
            for one in values:
                jsonschema.validate(one, spec["schema"])
