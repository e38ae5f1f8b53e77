"""Real answers checked against the OpenAPI schema, strictly: the status code and media type are
documented, so is every header the schema promises, and the body validates against the
documented schema with formats checked (dates, date-times, URIs, emails) and no property the
schema does not list."""

from __future__ import annotations

import copy
import json
from typing import Any

from openapi_schema_validator import OAS30StrictValidator, OAS31Validator


def closed(node: Any) -> Any:
    """``node`` with every object schema that lists its properties closed to others."""
    if isinstance(node, list):
        return [closed(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: closed(value) for key, value in node.items()}
    if isinstance(node.get("properties"), dict):
        node.setdefault("additionalProperties", False)
    return node


class SchemaCheck:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.components = closed(copy.deepcopy(document.get("components", {})))
        # 3.0 through its strict validator (types as the spec says, not as Python has them).
        self.validator = (
            OAS31Validator if document["openapi"].startswith("3.1") else OAS30StrictValidator
        )

    def errors(self, template: str, method: str, response: Any) -> list[str]:
        """What is wrong with ``response`` as an answer of ``method`` ``template``."""
        where = f"{method.upper()} {template} {response.status_code}"
        responses = self.document["paths"][template][method]["responses"]
        documented = responses.get(str(response.status_code))
        if documented is None:
            return [f"{where}: status not documented"]
        problems = [
            f"{where}: header {name} missing"
            for name in documented.get("headers", {})
            if not response.has_header(name)
        ]
        content = documented.get("content", {})
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if not content:
            return problems + ([f"{where}: a body where none is documented"] if body else [])
        media_type = response.get("Content-Type", "").split(";")[0]
        if media_type not in content:
            return [*problems, f"{where}: media type {media_type} not documented"]
        schema = content[media_type]["schema"]
        instance = json.loads(body) if media_type.endswith("json") else body.decode("utf-8")
        validator = self.validator(
            {**closed(schema), "components": self.components},
            format_checker=self.validator.FORMAT_CHECKER,
        )
        return problems + [
            f"{where}: {'/'.join(map(str, error.absolute_path))}: {error.message[:200]}"
            for error in validator.iter_errors(instance)
        ]
