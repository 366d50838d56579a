"""Comparing a provider's live OpenAPI answer schema with a contract model, and JSON with either.

Schemas are compared with every `$ref` resolved, so the names FastAPI gives its
components (`TicketRead`, `TicketRead-Output`) do not matter, only the shapes.
"""

from __future__ import annotations

import copy
import re
from datetime import datetime
from typing import Any

import jsonschema
from pydantic import BaseModel

from campusdesk_common.contracts.registry import Operation

Schema = dict[str, Any]
JSON_MEDIA_TYPE = "application/json"


def resolve(node: Any, definitions: dict[str, Schema], prefix: str, seen: tuple[str, ...] = ()) -> Any:
    """`node` with every `$ref` under `prefix` replaced by its definition (recursively)."""
    if isinstance(node, list):
        return [resolve(item, definitions, prefix, seen) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith(prefix):
        name = ref[len(prefix) :]
        if name in seen:  # a recursive model: keep the reference rather than loop
            return node
        target = resolve(definitions[name], definitions, prefix, (*seen, name))
        siblings = {key: value for key, value in node.items() if key != "$ref"}
        return {**target, **resolve(siblings, definitions, prefix, seen)}
    return {key: resolve(value, definitions, prefix, seen) for key, value in node.items()}


def model_schema(model: type[BaseModel]) -> Schema:
    """The JSON schema of what `model` sends, every reference resolved."""
    schema = model.model_json_schema(mode="serialization")
    definitions = schema.pop("$defs", {})
    resolved: Schema = resolve(schema, definitions, "#/$defs/")
    return resolved


def without_defaults(schema: Any) -> Any:
    """`schema` without `default` keywords: FastAPI leaves them out of answers, which always carry every field."""
    if isinstance(schema, list):
        return [without_defaults(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    return {
        key: {name: without_defaults(sub) for name, sub in value.items()}
        if key in {"properties", "$defs", "patternProperties"} and isinstance(value, dict)
        else without_defaults(value)
        for key, value in schema.items()
        if key != "default"
    }


def live_operations(document: Schema) -> set[Operation]:
    """Every `(METHOD, path template)` the OpenAPI document describes."""
    return {
        (method.upper(), path)
        for path, item in document.get("paths", {}).items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }


def live_response_schema(document: Schema, operation: Operation, status: int) -> Schema | None:
    """The resolved JSON schema of one operation's answer with `status`, or None when it has none."""
    method, path = operation
    answer = document.get("paths", {}).get(path, {}).get(method.lower(), {}).get("responses", {}).get(str(status))
    schema = (answer or {}).get("content", {}).get(JSON_MEDIA_TYPE, {}).get("schema")
    if schema is None:
        return None
    components = document.get("components", {}).get("schemas", {})
    resolved: Schema = resolve(schema, components, "#/components/schemas/")
    return resolved


def drift(live: Any, expected: Any) -> list[str]:
    """Every place where the live answer schema differs from the contract's, as readable lines."""
    return _differences(without_defaults(live), without_defaults(expected), "$")


def _differences(live: Any, expected: Any, where: str) -> list[str]:
    if isinstance(live, dict) and isinstance(expected, dict):
        lines = []
        for key in sorted(set(live) | set(expected)):
            if key not in live:
                lines.append(f"{where}.{key}: the provider does not have {_short(expected[key])}")
            elif key not in expected:
                lines.append(f"{where}.{key}: the provider has {_short(live[key])}, the contract does not")
            else:
                lines += _differences(live[key], expected[key], f"{where}.{key}")
        return lines
    if isinstance(live, list) and isinstance(expected, list) and len(live) == len(expected):
        pairs = enumerate(zip(live, expected, strict=True))
        return [line for i, (a, b) in pairs for line in _differences(a, b, f"{where}[{i}]")]
    if live != expected:
        return [f"{where}: the provider has {_short(live)}, the contract has {_short(expected)}"]
    return []


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def closed(schema: Any) -> Any:
    """`schema` refusing unknown keys in every object: extra="forbid" semantics for JSON."""
    schema = copy.deepcopy(schema)
    _close(schema)
    return schema


def _close(node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _close(item)
    elif isinstance(node, dict):
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            _close(value)


# jsonschema checks date-time only with an optional package; the contracts want an explicit offset.
FORMATS = jsonschema.FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time_with_offset(value: object) -> bool:
    return not isinstance(value, str) or datetime.fromisoformat(value).tzinfo is not None


def violations(instance: Any, schema: Schema) -> list[str]:
    """Why `instance` does not validate against `schema` (date-times need an explicit offset)."""
    validator = jsonschema.Draft202012Validator(schema, format_checker=FORMATS)
    return sorted(f"{error.json_path}: {error.message}" for error in validator.iter_errors(instance))


def matching_operation(operations: set[Operation], method: str, path: str) -> Operation | None:
    """The operation whose template matches a concrete request; literal segments win over parameters."""
    candidates = [
        (verb, template)
        for verb, template in operations
        if verb == method.upper() and re.fullmatch(re.sub(r"\{[^/]+\}", "[^/]+", template), path)
    ]
    candidates.sort(key=lambda operation: operation[1].count("{"))
    return candidates[0] if candidates else None
