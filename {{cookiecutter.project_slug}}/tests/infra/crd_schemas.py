"""Validate custom resources the way the API server does with strict field validation:
against the CRD's structural schema, where an unknown field is an error unless the
schema preserves unknown fields there."""

import copy
from pathlib import Path
from typing import Any

import jsonschema
import yaml

PRESERVE_UNKNOWN = "x-kubernetes-preserve-unknown-fields"


def strict(schema: dict[str, Any]) -> dict[str, Any]:
    """Close every object that lists its properties, as a structural schema implies."""
    schema = copy.deepcopy(schema)

    def close(node: Any) -> None:
        if isinstance(node, dict):
            if (
                "properties" in node
                and "additionalProperties" not in node
                and not node.get(PRESERVE_UNKNOWN)
            ):
                node["additionalProperties"] = False
            for value in node.values():
                close(value)
        elif isinstance(node, list):
            for value in node:
                close(value)

    close(schema)
    return schema


def load_schemas(directory: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> strict schema, for every served version of every CRD."""
    schemas = {}
    for path in sorted(directory.rglob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if not document or document.get("kind") != "CustomResourceDefinition":
                continue
            group, kind = document["spec"]["group"], document["spec"]["names"]["kind"]
            for version in document["spec"]["versions"]:
                if version.get("served"):
                    schema = version["schema"]["openAPIV3Schema"]
                    schemas[(f"{group}/{version['name']}", kind)] = strict(schema)
    return schemas


def violations(manifest: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    # metadata is checked by the API server itself, not by the CRD's schema.
    body = {key: value for key, value in manifest.items() if key != "metadata"}
    validator = jsonschema.Draft7Validator(schema)
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(body)
    ]
