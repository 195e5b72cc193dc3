"""OGC API - Processes: the process list, each process's description and its execution, as
``landgrid.web.processes`` serves them. An execution's request body carries the process's
own input schemas, and its answers the media types of its outputs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from landgrid.web.openapi.shared import (
    BAD_REQUEST,
    F_JSON_HTML,
    JSON,
    LINKS,
    STRING,
    Context,
    Fragment,
    error,
    header,
    json_and_html,
    listing,
    operation,
    query,
    response,
    schema_ref,
    to_oas30,
)
from landgrid.web.processes import PROCESS_LIMIT

TAGS = ["processes"]
DESCRIPTION = {
    "id": STRING,
    "title": STRING,
    "description": STRING,
    "version": STRING,
    "keywords": {"type": "array", "items": STRING},
    "jobControlOptions": {
        "type": "array",
        "items": {"type": "string", "enum": ["sync-execute", "async-execute", "dismiss"]},
    },
    "outputTransmission": {
        "type": "array",
        "items": {"type": "string", "enum": ["value", "reference"]},
    },
    "links": LINKS,
}
SCHEMAS: dict[str, Any] = {
    "processSummary": {
        "type": "object",
        "required": ["id", "version"],
        "properties": DESCRIPTION,
    },
    "process": {
        "type": "object",
        "required": ["id", "version"],
        "properties": {
            **DESCRIPTION,
            "inputs": {"type": "object", "additionalProperties": {"type": "object"}},
            "outputs": {"type": "object", "additionalProperties": {"type": "object"}},
        },
    },
    "processList": listing("processes", "processSummary"),
    "statusInfo": {
        "type": "object",
        "required": ["jobID", "status", "type"],
        "properties": {
            "type": {"type": "string", "enum": ["process"]},
            "processID": STRING,
            "jobID": STRING,
            "status": {
                "type": "string",
                "enum": ["accepted", "running", "successful", "failed", "dismissed"],
            },
            "message": STRING,
            "created": {"type": "string", "format": "date-time"},
            "started": {"type": "string", "format": "date-time"},
            "finished": {"type": "string", "format": "date-time"},
            "updated": {"type": "string", "format": "date-time"},
            "progress": {"type": "integer", "minimum": 0, "maximum": 100},
            "links": LINKS,
        },
    },
    "subscriber": {
        "type": "object",
        "required": ["successUri"],
        "properties": {
            "successUri": {"type": "string", "format": "uri"},
            "inProgressUri": {"type": "string", "format": "uri"},
            "failedUri": {"type": "string", "format": "uri"},
        },
    },
}
PREFER = header(
    "Prefer",
    "RFC 7240: `respond-async`, and/or `wait=N` (seconds a synchronous execution may wait "
    "before it carries on asynchronously); honoured preferences are echoed in "
    "`Preference-Applied`.",
)
IDEMPOTENCY_KEY = header(
    "Idempotency-Key",
    "A retried POST with the same key (same user) answers the job created first instead of "
    "a second job.",
    {"type": "string", "minLength": 1, "maxLength": 255},
)
LIMIT = query(
    "limit",
    "Processes per page (`next` links page on).",
    {
        "type": "integer",
        "minimum": PROCESS_LIMIT[0],
        "default": PROCESS_LIMIT[1],
        "maximum": PROCESS_LIMIT[2],
    },
)


def _after(ids: list[str]) -> dict[str, Any]:
    schema = {"type": "string", "enum": ids}
    return query("after", "The page after this process id (from a `next` link).", schema)


def _value_media(outputs: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Media types an output may be answered in raw, each with its schema."""
    media: dict[str, dict[str, Any]] = {}
    for output in outputs.values():
        schema = output.get("schema", {})
        kind = schema.get("contentMediaType") or (
            "text/plain" if schema.get("type") == "string" else JSON
        )
        media.setdefault(kind, to_oas30(schema))
    return media


def execute_schema(description: Mapping[str, Any]) -> dict[str, Any]:
    """The execute request of this process: its inputs by their own schemas."""
    inputs = {}
    required = []
    for name, spec in description.get("inputs", {}).items():
        schema = to_oas30(spec.get("schema", {}))
        if spec.get("maxOccurs", 1) not in (0, 1):
            schema = {"oneOf": [schema, {"type": "array", "items": schema}]}
        inputs[name] = {"description": spec.get("title", name), **schema}
        if spec.get("minOccurs", 1) > 0:
            required.append(name)
    outputs = list(description.get("outputs", {}))
    modes = description.get("outputTransmission", ["value"])
    output = {
        "type": "object",
        "properties": {"transmissionMode": {"type": "string", "enum": modes}},
        # the mode is "value" unless given: an output offered by reference only needs it
        **({} if "value" in modes else {"required": ["transmissionMode"]}),
    }
    return {
        "type": "object",
        "required": ["inputs"],
        "properties": {
            "inputs": {
                "type": "object",
                "properties": inputs,
                **({"required": required} if required else {}),
            },
            "outputs": {
                "type": "object",
                "properties": dict.fromkeys(outputs, output),
                "additionalProperties": False,
            },
            "response": {"type": "string", "enum": ["raw", "document"], "default": "raw"},
            "subscriber": schema_ref("subscriber"),
        },
    }


def _execution(pid: str, description: Mapping[str, Any]) -> dict[str, Any]:
    outputs = description.get("outputs", {})
    results = {
        JSON: {
            "type": "object",
            "description": "`response=document`: each output by value or by reference.",
        },
        **_value_media(outputs),
    }
    applied = {"Preference-Applied": {"schema": STRING, "description": "the honoured Prefer"}}
    monitor = {"Link": {"schema": STRING, "description": 'the job, `rel="monitor"`'}}
    return operation(
        f"{pid}.execute",
        f"Execute {description.get('title', pid)}",
        {
            "200": response(
                "Executed synchronously: the results (one output as itself, several as "
                "`multipart/related`, or the results document).",
                {**results, "multipart/related": STRING},
                {**applied, **monitor},
            ),
            "201": response(
                "A job was created (asynchronous, or a synchronous job that outlived its "
                "wait); `Location` is its status.",
                {JSON: schema_ref("statusInfo")},
                {"Location": {"schema": STRING, "description": "the job"}, **applied},
            ),
            "204": response(
                "`response=raw` with every output by reference: the `Link` headers are the "
                "results.",
                headers={"Link": {"schema": STRING, "description": "one per output, and the job"}},
            ),
            "400": error("The execute request is invalid; the exception names the input."),
            "429": error(
                "Too many queued and running jobs (yours, or the server's): try again after "
                "`Retry-After` seconds."
            )
            | {"headers": {"Retry-After": {"schema": {"type": "integer"}}}},
            "500": error("The job failed: its exception."),
        },
        [PREFER, IDEMPOTENCY_KEY],
        TAGS,
        requestBody={
            "required": True,
            "content": {JSON: {"schema": execute_schema(description)}},
        },
    )


def describe(context: Context) -> Fragment:
    if not context.processes:
        return {}
    paths: dict[str, Any] = {
        "/processes": {
            "get": operation(
                "getProcesses",
                "The processes this server offers",
                {
                    "200": json_and_html("A page of process summaries.", schema_ref("processList")),
                    "400": BAD_REQUEST,
                },
                [F_JSON_HTML, LIMIT, _after(list(context.processes))],
                TAGS,
            )
        }
    }
    for pid, description in context.processes.items():
        paths[f"/processes/{pid}"] = {
            "get": operation(
                f"{pid}.getProcess",
                f"{description.get('title', pid)}: the process description",
                {
                    "200": json_and_html("The process description.", schema_ref("process")),
                    "400": BAD_REQUEST,
                },
                [F_JSON_HTML],
                TAGS,
            )
        }
        paths[f"/processes/{pid}/execution"] = {"post": _execution(pid, description)}
    return {"paths": paths, "components": {"schemas": SCHEMAS}, "tags": [{"name": "processes"}]}
