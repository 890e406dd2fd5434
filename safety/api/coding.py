"""Looking up MedDRA lowest level terms to code adverse events with (the coding queue's search)."""

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from safety.coding_search import SEARCH_LIMIT, search_terms
from trialsite.roles import Cap


class TermSerializer(serializers.Serializer):
    llt_code = serializers.IntegerField(source="code")
    llt = serializers.CharField(source="name")
    is_current = serializers.BooleanField()
    pt_code = serializers.IntegerField(source="pt.code")
    pt = serializers.CharField(source="pt.name")
    soc = serializers.CharField(source="pt.primary_soc.name")
    release = serializers.CharField(source="release.version")


class TermQuerySerializer(serializers.Serializer):
    search = serializers.CharField(
        max_length=100, help_text=gettext_lazy("Part of a term name (case and width aside).")
    )


class TermSearchView(APIView):
    capabilities = {"GET": Cap.CODE_TERMS}

    @extend_schema(
        operation_id="coding_terms",
        summary="Search MedDRA lowest level terms of the active release",
        description=f"Current LLTs whose name contains `search`, exact matches first, at most {SEARCH_LIMIT}.",
        parameters=[OpenApiParameter("search", str, required=True)],
        responses={
            200: TermSerializer(many=True),
            400: OpenApiResponse(description="Invalid query parameters: {field: [messages]}."),
            401: OpenApiResponse(description="Not authenticated"),
            403: OpenApiResponse(description="The role may not do this"),
        },
        tags=["coding"],
    )
    def get(self, request):
        query = TermQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(TermSerializer(search_terms(query.validated_data["search"]), many=True).data)
