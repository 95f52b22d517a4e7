"""The JSON Schema of the intervention rule format, for editors (yaml-language-server) and docs."""

from __future__ import annotations

from typing import Any

from matcher.rulebase.schema import Intervention

SCHEMA_FILE = "schema/intervention.schema.json"  # relative to the rules folder
HEADER = "# yaml-language-server: $schema=../schema/intervention.schema.json"


def rule_json_schema() -> dict[str, Any]:
    schema = Intervention.model_json_schema(by_alias=True)
    schema["title"] = "Insatsmatch intervention rule"
    schema["description"] = "One insats: rules/interventions/<id>.yaml. See rules/README.md."
    return schema
