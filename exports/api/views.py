"""Project-level API endpoints: SDTM/ODM exports, the data dictionary and the audit trail.

Every export streams (StreamingHttpResponse) and is logged in ExportLog, committed before the view
returns the stream, so before the first byte.
"""

from django.db import transaction
from django.http import StreamingHttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from exports import audit, forms, odm, package, sdtm, transport
from exports.streaming import log_export
from subjects.models import Participant
from subjects.sitetime import site_today, site_zone
from trialsite import chain
from trialsite.api import Pagination
from trialsite.roles import Cap, has_cap

ERROR = inline_serializer("Error", {"detail": serializers.CharField()})
FIELD_ERRORS = OpenApiResponse(description="Invalid query parameters: {field: [messages]}.")  # shape: api_schema
AUTH_ERRORS = {
    401: OpenApiResponse(ERROR, description="No or invalid token (expired, revoked, user deactivated)."),
    403: OpenApiResponse(ERROR, description="Your role may not use this endpoint."),
}


class FirstRendererNegotiation(BaseContentNegotiation):
    """Downloads ignore Accept: the body is CSV/XML, errors are JSON."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def download(body, *, content_type: str, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


class DatasetDownloadView(APIView):
    """A dataset download: its log row commits on its own before the view returns (no transaction
    around the view: non_atomic_requests), then the data streams (exports.streaming)."""

    content_negotiation_class = FirstRendererNegotiation

    @classmethod
    def as_view(cls, **initkwargs):
        return transaction.non_atomic_requests(super().as_view(**initkwargs))


UNTRANSPORTABLE = OpenApiResponse(
    inline_serializer(
        "Untransportable",
        {
            "detail": serializers.CharField(),
            "dataset": serializers.CharField(),
            "variable": serializers.CharField(),
            "record": serializers.DictField(help_text="USUBJID and --SEQ of the record (or its row number)."),
            "problem": serializers.CharField(),
            "to_do": serializers.CharField(),
        },
    ),
    description="A value SAS V5 transport files cannot hold (not printable ASCII, or over 200 characters): "
    "nothing is sent; the answer names the dataset, variable and record to correct.",
)
DOMAIN = OpenApiParameter("domain", OpenApiTypes.STR, OpenApiParameter.PATH, enum=sorted(sdtm.DATASETS))


class SdtmDatasetView(DatasetDownloadView):
    """One SDTM dataset; DMC reviewers (EXPORT_SAFETY) get the safety datasets' pseudonymised variant."""

    @property
    def capabilities(self):
        if self.kwargs.get("domain") in sdtm.SAFETY_DOMAINS:
            return {"GET": (Cap.EXPORT, Cap.EXPORT_SAFETY)}
        return {"GET": Cap.EXPORT}

    def dataset(self, domain: str) -> sdtm.Dataset:
        if domain not in sdtm.DATASETS:
            message = _("Unknown SDTM domain '%(domain)s'; one of %(domains)s.")
            raise exceptions.NotFound(message % {"domain": domain, "domains": ", ".join(sdtm.DATASETS)})
        return sdtm.DATASETS[domain]


SAFETY_NOTE = (
    f"{', '.join(f'`{d}`' for d in sorted(sdtm.SAFETY_DOMAINS))} are also open to DMC reviewers (EXPORT_SAFETY): "
    "enrolled participants only, and their DM has no BRTHDTC; the others need EXPORT (data manager, API client, "
    "admin). Each download is logged."
)


class SdtmExportView(SdtmDatasetView):
    """One SDTM dataset as CSV."""

    @extend_schema(
        operation_id="export_sdtm",
        summary="SDTM dataset (CSV)",
        description="Streams one SDTM dataset (SDTMIG 3.4) of the whole study as CSV (header row, one record "
        "per line). " + SAFETY_NOTE,
        parameters=[DOMAIN],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV dataset"),
            **AUTH_ERRORS,
            404: OpenApiResponse(ERROR, description="Unknown domain."),
        },
        tags=["exports"],
    )
    def get(self, request, domain: str):
        dataset = self.dataset(domain)
        safety = not has_cap(request.user, Cap.EXPORT)
        log_export(user=request.user, export=f"sdtm/{domain}.csv", query="safety" if safety else "")
        return download(dataset.csv(safety=safety), content_type="text/csv; charset=utf-8", filename=f"{domain}.csv")


class SdtmXptView(SdtmDatasetView):
    """One SDTM dataset as a SAS XPORT version 5 file."""

    @extend_schema(
        operation_id="export_sdtm_xpt",
        summary="SDTM dataset (SAS XPORT v5)",
        description="The dataset as the agencies take it: a SAS V5 transport file (names of 8 characters, labels "
        "of 40, character lengths from the data, as define.xml declares them). Read twice: first for the lengths "
        "and to refuse, before any byte, a value a V5 file cannot hold (409). " + SAFETY_NOTE,
        parameters=[DOMAIN],
        responses={
            (200, "application/x-sas-xport"): OpenApiResponse(OpenApiTypes.BINARY, description="XPT file"),
            **AUTH_ERRORS,
            404: OpenApiResponse(ERROR, description="Unknown domain."),
            409: UNTRANSPORTABLE,
        },
        tags=["exports"],
    )
    def get(self, request, domain: str):
        dataset = self.dataset(domain)
        safety = not has_cap(request.user, Cap.EXPORT)
        try:
            found = transport.profile(dataset, safety=safety)
        except transport.Untransportable as problem:
            return Response(problem.as_json(), status=409)
        log_export(user=request.user, export=f"sdtm/{domain}.xpt", query="safety" if safety else "")
        body = transport.xpt_stream(dataset, found, safety=safety)
        return download(body, content_type="application/x-sas-xport", filename=f"{domain}.xpt")


class SdtmPackageView(DatasetDownloadView):
    capabilities = {"GET": Cap.EXPORT}

    @extend_schema(
        operation_id="export_sdtm_package",
        summary="SDTM submission package (ZIP)",
        description="Every SDTM dataset as SAS XPORT v5, define.xml (Define-XML 2.1) and a README, in one ZIP "
        "streamed as it is written. Refused (409, nothing sent) when a value cannot go into a V5 file.",
        responses={
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="ZIP"),
            **AUTH_ERRORS,
            409: UNTRANSPORTABLE,
        },
        tags=["exports"],
    )
    def get(self, request):
        try:
            body = package.package_stream()
        except transport.Untransportable as problem:
            return Response(problem.as_json(), status=409)
        log_export(user=request.user, export="sdtm.zip")
        return download(body, content_type="application/zip", filename="sdtm.zip")


class DefineXmlView(DatasetDownloadView):
    capabilities = {"GET": Cap.EXPORT}

    @extend_schema(
        operation_id="export_define_xml",
        summary="Define-XML 2.1 of the SDTM datasets",
        description="Every dataset, variable, codelist, value-level metadata (VS and RS results per test, SUPP-- "
        "values per QNAM), origin and derivation method, with character lengths from the data. Logged.",
        responses={
            (200, "application/xml"): OpenApiResponse(OpenApiTypes.STR, description="define.xml"),
            **AUTH_ERRORS,
        },
        tags=["exports"],
    )
    def get(self, request):
        log_export(user=request.user, export="define.xml")
        return download([package.define_document(check=False)], content_type="application/xml; charset=utf-8",
                        filename="define.xml")  # fmt: skip


class OdmExportView(DatasetDownloadView):
    capabilities = {"GET": Cap.EXPORT}

    @extend_schema(
        operation_id="export_odm",
        summary="CDISC ODM 1.3.2 snapshot (XML)",
        description=(
            "Streams the whole study as a CDISC ODM 1.3.2 Snapshot: metadata (study events, forms, item "
            "groups, items) and clinical data, each item with an AuditRecord of its last change "
            "(user, location, UTC time, reason). Logged."
        ),
        responses={(200, "application/xml"): OpenApiResponse(OpenApiTypes.STR, description="ODM XML"), **AUTH_ERRORS},
        tags=["exports"],
    )
    def get(self, request):
        log_export(user=request.user, export="odm.xml")
        return download(odm.stream_odm(), content_type="application/xml; charset=utf-8", filename="odm.xml")


DICTIONARY_FIELDS = {
    "form": serializers.CharField(),
    "form_name": serializers.CharField(),
    "domain": serializers.CharField(),
    "field": serializers.CharField(),
    "label": serializers.CharField(),
    "type": serializers.ChoiceField(choices=sorted(set(forms.TYPE_NAMES.values()))),
    "max_length": serializers.IntegerField(allow_null=True),
    "decimal_places": serializers.IntegerField(allow_null=True),
    "unit": serializers.CharField(allow_blank=True),
    "range": serializers.CharField(allow_null=True, help_text="min..max (either end may be empty)"),
    "choices": serializers.ListField(child=serializers.CharField(), allow_null=True),
    "required": serializers.BooleanField(),
    "derived": serializers.BooleanField(),
    "sdtm_variable": serializers.CharField(allow_null=True),
}


class DataDictionaryView(APIView):
    capabilities = {"GET": (Cap.EXPORT, Cap.EXPORT_SAFETY)}

    @extend_schema(
        operation_id="data_dictionary",
        summary="Define-like data dictionary",
        description="Every CRF field: form, type, unit, range, choices and the SDTM variable it maps to.",
        responses={200: inline_serializer("DataDictionaryEntry", DICTIONARY_FIELDS, many=True), **AUTH_ERRORS},
        tags=["exports"],
    )
    def get(self, request):
        log_export(user=request.user, export="data-dictionary")
        return Response(forms.dictionary())


class AuditQuerySerializer(serializers.Serializer):
    participant = serializers.CharField(required=False, max_length=12, help_text="Screening number, e.g. SCR-001.")
    user = serializers.CharField(required=False, max_length=150, help_text="Username of who made the change.")
    model = serializers.ChoiceField(
        required=False, choices=[], help_text="Model label, e.g. subjects.participant or safety.adverseevent."
    )
    date_from = serializers.DateField(required=False, help_text="From this date (site time zone), inclusive.")
    date_to = serializers.DateField(required=False, help_text="Up to this date (site time zone), inclusive.")
    page = serializers.IntegerField(required=False, min_value=1)
    page_size = serializers.IntegerField(
        required=False, min_value=1, help_text=f"Default 50; larger values are capped at {Pagination.max_page_size}."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = sorted(audit.audited_models())

    def validate(self, attrs):
        if attrs.get("date_from") and attrs.get("date_to") and attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError({"date_to": [_("date_to must not be before date_from.")]})
        return attrs


def audit_filter_from(
    data: dict, *, tz: str, newest_first: bool = True, up_to_position: int | None = None
) -> audit.AuditFilter:
    participant_id, empty = None, False
    if data.get("participant"):
        participant_id = (
            Participant.objects.filter(screening_number=data["participant"]).values_list("id", flat=True).first()
        )
        empty = participant_id is None
    return audit.AuditFilter(
        participant_id=participant_id,
        username=data.get("user") or None,
        model=data.get("model") or None,
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
        tz=tz,
        newest_first=newest_first,
        empty=empty,
        up_to_position=up_to_position,
    )


AUDIT_ROW_FIELDS = {
    "history_id": serializers.IntegerField(),
    "model": serializers.CharField(),
    "object_id": serializers.IntegerField(),
    "participant": serializers.CharField(allow_null=True),
    "history_type": serializers.ChoiceField(
        choices=["+", "~", "-"], help_text="+ created, ~ changed, - deleted (the CSV and the page write the words)."
    ),
    "user": serializers.CharField(allow_null=True),
    "history_date": serializers.DateTimeField(help_text="UTC"),
    "reason": serializers.CharField(allow_blank=True),
    "changes": inline_serializer(
        "AuditChange",
        {
            "field": serializers.CharField(),
            "old": serializers.JSONField(allow_null=True),
            "new": serializers.JSONField(allow_null=True),
        },
        many=True,
    ),
}


class AuditTrailView(APIView):
    capabilities = {"GET": Cap.VIEW_AUDIT}

    @extend_schema(
        operation_id="audit_trail",
        summary="Audit trail (paginated, newest first)",
        description=(
            "Every create (+), change (~) and delete (-) of clinical and configuration records, with who, when "
            "(UTC), why, and old -> new per field. An unknown participant matches nothing (empty list). "
            "`page_size` is capped at 500. `chain_head` is the audit trail's hash chain head (position and "
            "SHA-256) the rows are read up to: a copy kept elsewhere shows later whether the trail was rewritten "
            "(`manage.py verify_audit`)."
        ),
        parameters=[
            AuditQuerySerializer,
        ],
        responses={
            200: inline_serializer(
                "PaginatedAuditTrail",
                {
                    "count": serializers.IntegerField(),
                    "next": serializers.URLField(allow_null=True),
                    "previous": serializers.URLField(allow_null=True),
                    "results": inline_serializer("AuditTrailRow", AUDIT_ROW_FIELDS, many=True),
                    "chain_head": inline_serializer(
                        "AuditChainHead", {"position": serializers.IntegerField(), "hash": serializers.CharField()}
                    ),
                },
            ),
            400: FIELD_ERRORS,
            **AUTH_ERRORS,
            404: OpenApiResponse(ERROR, description="Page out of range."),
        },
        tags=["audit"],
    )
    def get(self, request):
        params = AuditQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        log_export(user=request.user, export="audit-trail", query=request.GET.urlencode())
        head = chain.head()
        audit_filter = audit_filter_from(params.validated_data, tz=site_zone().key, up_to_position=head.position)
        queryset = audit.trail_queryset(audit_filter)
        paginator = Pagination()
        page = paginator.paginate_queryset(queryset if queryset is not None else [], request, view=self)
        rows = audit.resolve_rows(list(page))
        response = paginator.get_paginated_response([row.as_json() for row in rows])
        response.data["chain_head"] = {"position": head.position, "hash": head.chain_hash}
        return response


class AuditTrailCsvView(APIView):
    capabilities = {"GET": Cap.VIEW_AUDIT}
    content_negotiation_class = FirstRendererNegotiation

    @extend_schema(
        operation_id="audit_trail_csv",
        summary="The whole study's audit trail (CSV)",
        description=(
            "One line per changed field (history_id, model, object_id, participant, history_type, user, "
            "history_date_utc, reason, field, old, new), grouped by model and object in time order; history_type "
            "is a word: created, changed or deleted. Text cells starting like a formula get a leading '. The last "
            "line is the hash chain head. Streams; logged."
        ),
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV"), **AUTH_ERRORS},
        tags=["audit"],
    )
    def get(self, request):
        log_export(user=request.user, export="audit-trail.csv")
        stamp = site_today().strftime("%Y%m%d")  # the site's date, as everywhere on pages
        return download(audit.stream_csv(), content_type="text/csv; charset=utf-8", filename=f"audit-trail-{stamp}.csv")


class AuditTrailCsvAliasView(AuditTrailCsvView):
    @extend_schema(
        operation_id="export_audit_trail_csv",
        summary="The whole study's audit trail (CSV, same as /api/v1/audit-trail.csv)",
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV"), **AUTH_ERRORS},
        tags=["audit"],
    )
    def get(self, request):
        return super().get(request)


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    """Documents `Authorization: Token <key>` (personal tokens from the profile page or create_api_token)."""

    target_class = "trialsite.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>` — a personal API token; it acts with exactly its user's role.",
        }
