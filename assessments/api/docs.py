"""OpenAPI documentation shared by the clinical-data viewsets (list, retrieve, create, PATCH with reason)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view

ERRORS = {
    400: OpenApiResponse(description="Invalid input: `{field: [messages]}`; nothing saved"),
    401: OpenApiResponse(description="Not authenticated"),
    403: OpenApiResponse(description="The role may not do this"),
    404: OpenApiResponse(description="Unknown record or page"),
}


def clinical_schema(serializer):
    """Decorate a list/retrieve/create/partial_update viewset with its documented responses."""
    read = {code: ERRORS[code] for code in (400, 401, 403, 404)}  # 400: a malformed filter value
    return extend_schema_view(
        list=extend_schema(responses={200: serializer(many=True), **read}),
        retrieve=extend_schema(responses={200: serializer, **read}),
        create=extend_schema(responses={201: serializer, **{c: ERRORS[c] for c in (400, 401, 403)}}),
        partial_update=extend_schema(responses={200: serializer, **ERRORS}),
    )
