"""OpenAPI post-processing: what every endpoint can answer, documented once.

Every operation is deny-by-default behind token or session authentication, so each can answer
401 (no or bad credentials) and 403 (a role without the capability); every operation taking query
parameters or a body can answer 400 (`{field: [messages]}`, or `{detail: message}` for a body that is
not JSON); every path with a parameter can answer 404 (no such record); every operation with a body
413 (larger than the server accepts); and every operation 503 (the database is unavailable; retry
after `Retry-After` seconds). A method a path does not list is answered 405 with `Allow` (see the
API description). Documenting that here keeps the schema honest for endpoints that do not list
those responses themselves.
"""

ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": "{field: [messages]} (non_field_errors for the whole record); {detail: message} for a body "
    "that cannot be parsed.",
    "additionalProperties": {"anyOf": [{"type": "string"}, {"type": "array"}, {"type": "object"}]},
}
STANDARD_ERRORS = {
    "401": "Not authenticated: missing, invalid, expired or revoked token.",
    "403": "Your role does not allow this operation.",
    "503": "The database is unavailable: retry after the Retry-After header's seconds.",
}
METHODS = {"get", "post", "put", "patch", "delete"}


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def add_standard_errors(result, generator, request, public):
    for path, path_item in result.get("paths", {}).items():
        for method, operation in path_item.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            errors = dict(STANDARD_ERRORS)
            if "{" in path:
                errors["404"] = "No such record."
            if "requestBody" in operation:
                errors["413"] = "The request body is larger than the server accepts."
            for code, description in errors.items():
                responses.setdefault(code, {"description": description, "content": _json(ERROR_SCHEMA)})
            if "requestBody" in operation or any(p.get("in") == "query" for p in operation.get("parameters", [])):
                responses.setdefault("400", {"description": "Invalid input: {field: [messages]}."})
            if "400" in responses:  # one shape for every 400, whatever the view declared
                responses["400"]["content"] = _json(VALIDATION_ERROR_SCHEMA)
    return result
