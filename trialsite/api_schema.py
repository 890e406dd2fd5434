"""OpenAPI post-processing: what every endpoint can answer, documented once.

Every operation is deny-by-default behind token or session authentication, so each can answer
401 (no or bad credentials) and 403 (a role without the capability); every path with a parameter
can answer 404 (no such record). Documenting that here keeps the schema honest for endpoints
that do not list those responses themselves.
"""

ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
STANDARD_ERRORS = {
    "401": "Not authenticated: missing, invalid, expired or revoked token.",
    "403": "Your role does not allow this operation.",
}


def add_standard_errors(result, generator, request, public):
    for path, path_item in result.get("paths", {}).items():
        errors = dict(STANDARD_ERRORS)
        if "{" in path:
            errors["404"] = "No such record."
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for code, description in errors.items():
                responses.setdefault(
                    code, {"description": description, "content": {"application/json": {"schema": ERROR_SCHEMA}}}
                )
    return result
