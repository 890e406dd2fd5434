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


IF_MATCH_DESCRIPTION = (
    'The ETag of the record as you read it (e.g. `"3"`, from the `ETag` header of a GET, POST or PATCH '
    "response). Stale: 412 with the current ETag; missing: 428."
)
ETAG_HEADER = {
    "ETag": {
        "description": "The record's version, quoted: send it back in If-Match to change the record.",
        "schema": {"type": "string"},
    }
}
CONCURRENCY_ERRORS = {
    "409": "The record was changed by someone else while this request ran: read it again.",
    "412": "The record was changed after you read it (If-Match is not its current ETag): nothing was saved. "
    "The response's ETag header is the current one; read the record again and re-apply your change.",
    "428": "If-Match is missing: send the ETag you read.",
}


def _versioned(result, response) -> bool:
    """Whether a response's JSON body is one record with a `version` (an audited record)."""
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        schema = result.get("components", {}).get("schemas", {}).get(ref.rsplit("/", 1)[1], {})
    return "version" in schema.get("properties", {})


def _error(description: str, headers: dict | None = None) -> dict:
    response = {"description": description, "content": {"application/json": {"schema": ERROR_SCHEMA}}}
    if headers:
        response["headers"] = headers
    return response


def add_concurrency_headers(result, generator, request, public):
    """ETag on every answer that is one audited record; If-Match on the requests that change one.

    PATCH and DELETE need If-Match (428 without it); PUT needs it once the record exists; a POST
    action on a record (sign-off, enroll, assess, release …) takes it optionally. A stale one: 412.
    """
    for path, path_item in result.get("paths", {}).items():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            versioned = False
            for code, response in responses.items():
                if code.startswith("2") and _versioned(result, response):
                    response.setdefault("headers", {}).update(ETAG_HEADER)
                    versioned = True
            changes_record = method in {"put", "patch", "delete"} or (method == "post" and versioned and "{" in path)
            if not changes_record:
                continue
            operation.setdefault("parameters", []).append(
                {
                    "in": "header",
                    "name": "If-Match",
                    "required": method in {"patch", "delete"},
                    "schema": {"type": "string"},
                    "description": IF_MATCH_DESCRIPTION
                    + (" Needed once the record exists." if method == "put" else "")
                    + (" Optional here." if method == "post" else ""),
                }
            )
            responses.setdefault("409", _error(CONCURRENCY_ERRORS["409"]))
            responses.setdefault("412", _error(CONCURRENCY_ERRORS["412"], ETAG_HEADER))
            if method != "post":
                responses.setdefault("428", _error(CONCURRENCY_ERRORS["428"]))
    return result
