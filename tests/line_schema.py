"""Validate outgoing LINE requests against LINE's official OpenAPI spec (../shared/line/messaging-api.yml).

The spec models message types with `discriminator` (Message → TextMessage, FlexMessage → FlexBubble → FlexBox …),
which JSON Schema validators do not follow. Here the discriminator becomes a real check: the instance is validated
against the schema its `type` maps to, so flex contents are validated all the way down, and an unknown `type`
is an error.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path

import yaml
from jsonschema import ValidationError, validators
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SPEC_PATH = Path(__file__).resolve().parents[1].parent / "shared" / "line" / "messaging-api.yml"
REF_PREFIX = "#/components/schemas/"


def _with_followable_discriminators(spec: dict) -> dict:
    """Children point at a copy of their base without the discriminator, so dispatching cannot loop."""
    spec = copy.deepcopy(spec)
    schemas = spec["components"]["schemas"]
    for name, schema in list(schemas.items()):
        mapping = (schema.get("discriminator") or {}).get("mapping")
        if not mapping:
            continue
        base = {k: v for k, v in schema.items() if k != "discriminator"}
        schemas[f"{name}__base"] = base
        for ref in mapping.values():
            child = schemas[ref.removeprefix(REF_PREFIX)]
            for part in child.get("allOf", []):
                if part.get("$ref") == REF_PREFIX + name:
                    part["$ref"] = REF_PREFIX + f"{name}__base"
    return spec


def _discriminator(validator, discriminator, instance, schema):
    if not isinstance(instance, dict):
        return
    prop = discriminator["propertyName"]
    mapping = discriminator.get("mapping") or {}
    value = instance.get(prop)
    if value not in mapping:
        yield ValidationError(f"{prop}={value!r} is not one of {sorted(mapping)}")
        return
    yield from validator.descend(instance, {"$ref": mapping[value]})


LineValidator = validators.extend(OAS30Validator, {"discriminator": _discriminator})


@lru_cache
def _spec() -> dict:
    return _with_followable_discriminators(yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8")))


def errors(instance: dict, schema_name: str) -> list[str]:
    spec = _spec()
    registry = Registry().with_resource("urn:line-messaging-api", Resource(spec, specification=DRAFT4))
    validator = LineValidator({"$ref": f"urn:line-messaging-api{REF_PREFIX}{schema_name}"}, registry=registry)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(instance)]


def assert_valid(instance: dict, schema_name: str = "ReplyMessageRequest") -> None:
    problems = errors(instance, schema_name)
    assert not problems, f"{schema_name} does not validate:\n" + "\n".join(problems[:20])
