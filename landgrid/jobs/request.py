"""Validate an execute request against the process description, before anything is recorded.

Every problem names the offending input or output; a request that passes is normalised
(single values of ``maxOccurs: 1`` inputs unwrapped from ``{"value": ...}``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from landgrid.errors import InvalidParameterValue, MissingParameterValue
from landgrid.jobs.callbacks import CallbackPolicy

MAX_BODY_INPUTS = 200
PUBLIC_ONLY = CallbackPolicy()


@dataclass
class ExecuteRequest:
    inputs: dict[str, Any]
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    response: str = "raw"
    subscriber: dict[str, str] | None = None


def _unwrap(value: Any) -> Any:
    """``{"value": x}`` (qualified input value) means ``x``."""
    if (
        isinstance(value, dict)
        and set(value) <= {"value", "mediaType", "encoding", "schema"}
        and "value" in value
    ):
        return value["value"]
    return value


def _check_value(name: str, schema: dict[str, Any], value: Any) -> None:
    try:
        errors = sorted(Draft202012Validator(schema).iter_errors(value), key=lambda e: e.path)
    except SchemaError as exc:  # a broken description is our bug, still say which input
        raise InvalidParameterValue(f"input '{name}': cannot validate ({exc.message})") from exc
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path)
        detail = f" at {where}" if where else ""
        raise InvalidParameterValue(f"input '{name}'{detail}: {errors[0].message}")


def validate_inputs(description: dict[str, Any], inputs: Any) -> dict[str, Any]:
    if inputs is None:
        inputs = {}
    if not isinstance(inputs, dict):
        raise InvalidParameterValue("'inputs' must be an object of input id -> value")
    declared: dict[str, Any] = description.get("inputs", {})
    unknown = sorted(set(inputs) - set(declared))
    if unknown:
        raise InvalidParameterValue(
            f"unknown input(s) {', '.join(map(repr, unknown))}; "
            f"this process takes {', '.join(map(repr, declared)) or 'no inputs'}"
        )
    clean: dict[str, Any] = {}
    for name, spec in declared.items():
        min_occurs = int(spec.get("minOccurs", 1))
        max_occurs = spec.get("maxOccurs", 1)
        if name not in inputs:
            if min_occurs > 0:
                raise MissingParameterValue(f"input '{name}' is required")
            continue
        value = inputs[name]
        many = isinstance(value, list) and (max_occurs == "unbounded" or int(max_occurs) > 1)
        values = [_unwrap(v) for v in value] if many else [_unwrap(value)]
        if len(values) < min_occurs:
            raise InvalidParameterValue(f"input '{name}' needs at least {min_occurs} values")
        if max_occurs != "unbounded" and len(values) > int(max_occurs):
            raise InvalidParameterValue(f"input '{name}' takes at most {max_occurs} values")
        for item in values:
            _check_value(name, spec.get("schema", {}), item)
        clean[name] = values if many else values[0]
    return clean


def validate_outputs(description: dict[str, Any], outputs: Any) -> dict[str, dict[str, Any]]:
    declared = description.get("outputs", {})
    if outputs is None:
        return {}
    if not isinstance(outputs, dict):
        raise InvalidParameterValue("'outputs' must be an object of output id -> options")
    allowed = set(description.get("outputTransmission", ["value"]))
    clean = {}
    for name, options in outputs.items():
        if name not in declared:
            raise InvalidParameterValue(
                f"unknown output '{name}'; this process has {', '.join(map(repr, declared))}"
            )
        if not isinstance(options, dict):
            raise InvalidParameterValue(f"output '{name}': options must be an object")
        mode = options.get("transmissionMode", "value")
        if not isinstance(mode, str) or mode not in allowed:
            raise InvalidParameterValue(
                f"output '{name}': transmissionMode '{mode}' not offered ({sorted(allowed)})"
            )
        clean[name] = {"transmissionMode": mode}
    return clean


def validate_subscriber(
    subscriber: Any, callbacks: CallbackPolicy = PUBLIC_ONLY
) -> dict[str, str] | None:
    """The callback URIs, each an http(s) URI to an address the policy lets us call."""
    if subscriber is None:
        return None
    if not isinstance(subscriber, dict) or "successUri" not in subscriber:
        raise InvalidParameterValue("'subscriber' needs at least a 'successUri'")
    clean = {}
    for key in ("successUri", "inProgressUri", "failedUri"):
        if key not in subscriber:
            continue
        uri = subscriber[key]
        if not isinstance(uri, str) or not uri.startswith(("http://", "https://")):
            raise InvalidParameterValue(f"subscriber '{key}' must be an http(s) URI")
        callbacks.target(uri, f"subscriber '{key}'")
        clean[key] = uri
    return clean


def parse_execute(
    description: dict[str, Any], body: Any, callbacks: CallbackPolicy = PUBLIC_ONLY
) -> ExecuteRequest:
    if not isinstance(body, dict):
        raise InvalidParameterValue("the execute request must be a JSON object")
    response = body.get("response", "raw")
    if response not in ("raw", "document"):
        raise InvalidParameterValue("'response' must be 'raw' or 'document'")
    for member in ("outputs", "subscriber"):  # optional, but not null
        if member in body and body[member] is None:
            raise InvalidParameterValue(f"'{member}' must be an object, not null")
    return ExecuteRequest(
        inputs=validate_inputs(description, body.get("inputs")),
        outputs=validate_outputs(description, body.get("outputs")),
        response=response,
        subscriber=validate_subscriber(body.get("subscriber"), callbacks),
    )
