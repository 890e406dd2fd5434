"""GET /api/v1/participants/{screening_number}/casebook.pdf: the participant's casebook (exports.casebook)."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.views import APIView

from exports.api.views import AUTH_ERRORS, FirstRendererNegotiation
from exports.casebook import casebook_filename, casebook_pdf
from subjects.models import Participant
from trialsite.roles import Cap


def pdf_response(body: bytes, filename: str, *, content_type: str = "application/pdf") -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


class CasebookPdfView(APIView):
    content_negotiation_class = FirstRendererNegotiation
    capabilities = {"GET": Cap.VIEW_CLINICAL}

    @extend_schema(
        operation_id="participant_casebook_pdf",
        summary="Casebook (PDF)",
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The casebook as PDF."),
            404: OpenApiResponse(description="Unknown participant"),
            **AUTH_ERRORS,
        },
    )
    def get(self, request, screening_number):
        participant = get_object_or_404(Participant, screening_number=screening_number)
        return pdf_response(casebook_pdf(participant), casebook_filename(participant))
