"""Validate against the official OGC API, STAC and GeoJSON schemas vendored here, offline.

Each file lies at the path of its original URL (``<host>/<path>``, see README.md), so every
``$ref``, relative or absolute, resolves to a local copy and nothing is ever fetched. A
``schema`` is such a path, or the original URL, optionally with a ``#/json/pointer``.
The OGC YAML files are OpenAPI 3.0 Schema Objects, not JSON Schema, so they are checked
with ``openapi_schema_validator.OAS30Validator``: draft-04 keywords (boolean
``exclusiveMinimum``), ``nullable: true`` admitting ``null``, the OpenAPI formats (``byte``,
``int32`` ...) and OpenAPI-only keywords (``example``, ``discriminator`` ...) not failing.
JSON files follow their ``$schema``, draft 2020-12 when they have none.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urldefrag, urljoin, urlsplit

import jsonschema
import yaml
from jsonschema.exceptions import ValidationError, best_match
from jsonschema.protocols import Validator
from jsonschema_path import SchemaPath
from jsonschema_specifications import REGISTRY as METASCHEMAS
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator.shortcuts import get_validator_cls
from referencing import Registry, Resource, Specification
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT4, DRAFT202012

if TYPE_CHECKING:
    from referencing._core import Resolver  # not re-exported, but what Registry.resolver gives

ROOT = Path(__file__).resolve().parent
# OpenAPI 3.0 has no ``id``: a property named so must not move the base URI.
OAS30: Specification[Any] = Specification(
    name="openapi-3.0",
    id_of=lambda _: None,
    subresources_of=DRAFT4.subresources_of,
    anchors_in=lambda *_: [],
    maybe_in_subresource=DRAFT4.maybe_in_subresource,
)


class SchemaValidationError(AssertionError):
    """An instance does not match its schema; the message names each failing JSON path."""


def url(schema: str) -> str:
    """The original URL of a vendored path (``host/path#pointer``), or ``schema`` if one."""
    return schema if "://" in schema else f"https://{schema}"


def local_path(uri: str) -> Path:
    """The vendored copy of a URL, for any scheme; a branch's ``refs/heads/`` is dropped."""
    parts = urlsplit(urldefrag(uri).url)
    segments = parts.path.strip("/").split("/")
    if parts.netloc == "raw.githubusercontent.com" and segments[2:4] == ["refs", "heads"]:
        del segments[2:4]
    path = ROOT.joinpath(parts.netloc, *segments).resolve()
    if not parts.netloc or not path.is_relative_to(ROOT) or not path.is_file():
        raise NoSuchResource(ref=uri)
    return path


def load(path: Path) -> Any:
    """A vendored file as it is: JSON, or YAML for ``.yaml``/``.yml``."""
    text = path.read_text(encoding="utf-8")
    return yaml.safe_load(text) if path.suffix in {".yaml", ".yml"} else json.loads(text)


@functools.cache
def _retrieve(uri: str) -> Resource[Any]:
    """The resource behind a URL: a metaschema shipped with jsonschema, or a vendored file."""
    if uri.rstrip("#") in METASCHEMAS:
        return METASCHEMAS[uri.rstrip("#")]
    path = local_path(uri)
    contents = load(path)
    if path.suffix in {".yaml", ".yml"}:
        return Resource(contents=contents, specification=OAS30)
    return Resource.from_contents(contents, default_specification=DRAFT202012)


REGISTRY: Registry[Any] = Registry(retrieve=_retrieve)


def resolver(schema: str) -> Resolver[Any]:
    """A resolver based at a vendored file (its ``$id`` if it has one), to follow its refs."""
    uri = urldefrag(url(schema)).url
    resource = _retrieve(uri)
    registry = REGISTRY.with_resource(uri, resource).crawl()
    # a relative $id (the Compose schema's "compose_spec.json") is resolved against the URL
    return registry.resolver(base_uri=urljoin(uri, resource.id() or ""))


def validator_class(schema: str) -> type[Validator]:
    """OpenAPI 3.0 semantics for YAML; for JSON its ``$schema``, else draft 2020-12."""
    path = local_path(url(schema))
    if path.suffix in {".yaml", ".yml"}:
        return OAS30Validator
    contents = load(path)
    return jsonschema.validators.validator_for(contents, default=jsonschema.Draft202012Validator)


def validator(schema: str) -> Validator:
    """A validator for a vendored schema (``host/path[#/pointer]`` or its URL), formats on."""
    target = url(schema)
    cls = validator_class(target)
    return cls({"$ref": target}, registry=REGISTRY, format_checker=cls.FORMAT_CHECKER)


def _describe(error: ValidationError) -> str:
    """The most specific failure; for ``oneOf``/``anyOf``, also why the closest branch failed."""
    best = best_match([error])
    message = (
        best.message
        if len(best.message) <= 240
        else f"{best.message[:120]} … {best.message[-120:]}"
    )
    text = f"{best.json_path}: {message}"
    branches: dict[Any, list[ValidationError]] = {}
    for sub in best.context or ():
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    if branches:  # fewest failures, then the deepest one: the alternative meant
        closest = min(branches.values(), key=lambda e: (len(e), -max(len(s.path) for s in e)))
        text += f" (closest alternative: {_describe(closest[0])})"
    return text


def validate(instance: object, schema: str) -> None:
    """Raise :class:`SchemaValidationError` listing every failing JSON path, if any."""
    errors = sorted(validator(schema).iter_errors(instance), key=lambda e: e.json_path)
    if errors:
        lines = "\n".join(f"  {_describe(error)}" for error in errors)
        raise SchemaValidationError(f"not valid against {schema}:\n{lines}")


def validate_openapi(document: Mapping[str, Any], base_uri: str = "") -> None:
    """Validate an OpenAPI document (and what its ``$ref``s reach) without the network:
    remote ``$ref``s are read from the vendored copies, relative ones against ``base_uri``."""

    def offline(uri: str) -> Any:
        return load(local_path(uri))

    handlers = {scheme: offline for scheme in ("", "http", "https", "file")}
    spec = SchemaPath.from_dict(
        document, base_uri=url(base_uri) if base_uri else "", handlers=handlers
    )
    errors = [error.message for error in get_validator_cls(document)(spec).iter_errors()]
    if errors:
        raise SchemaValidationError("not a valid OpenAPI document:\n  " + "\n  ".join(errors))
