"""Queries, locks and source data verification under /api/v1/."""

import django_filters
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from datamanagement import services
from datamanagement.api import serializers as s
from datamanagement.listing import filter_queries, queries_csv, sdv_csv
from datamanagement.models import LockScope, Query, SourceVerification
from subjects.models import Participant, Visit
from trialsite.roles import Cap

ERRORS = {
    400: OpenApiResponse(description="Invalid input: `{field: [messages]}`"),
    401: OpenApiResponse(description="Not authenticated"),
    403: OpenApiResponse(description="The role may not do this"),
    404: OpenApiResponse(description="Unknown query, participant or visit; or nothing to unlock"),
}
SEE_QUERIES = (Cap.RAISE_QUERY, Cap.ANSWER_QUERY)


class QueryFilter(django_filters.FilterSet):
    state = django_filters.CharFilter()
    participant = django_filters.CharFilter()
    visit = django_filters.CharFilter()
    record_type = django_filters.CharFilter()
    assignee = django_filters.CharFilter()
    older_than_days = django_filters.NumberFilter(min_value=0, max_value=36500)

    class Meta:
        model = Query
        fields = []

    def filter_queryset(self, queryset):
        return filter_queries(queryset, {k: v for k, v in self.form.cleaned_data.items() if v not in (None, "")})


class QueryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Data queries on any CRF record type (`record_type`, `record_id`, optional `field`)."""

    serializer_class = s.QuerySerializer
    filterset_class = QueryFilter
    lookup_value_regex = r"[0-9]+"
    capabilities_by_action = {
        "list": SEE_QUERIES,
        "retrieve": SEE_QUERIES,
        "create": Cap.RAISE_QUERY,
        "answer": Cap.ANSWER_QUERY,
        "close": Cap.RAISE_QUERY,
        "cancel": Cap.RAISE_QUERY,
        "reopen": Cap.RAISE_QUERY,
    }

    def get_queryset(self):
        return Query.objects.select_related("participant", "visit", "raised_by", "assignee").order_by("-raised_at")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "with_thread": self.action != "list"}

    @extend_schema(request=s.QueryCreateSerializer, responses={201: s.QuerySerializer, **ERRORS})
    def create(self, request):
        form = s.QueryCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        assignee = None
        if data["assignee"]:
            assignee = get_user_model().objects.filter(username=data["assignee"]).first()
            if assignee is None:
                raise ValidationError({"assignee": [_("No such user.")]})
        query = services.query_raise(
            user=request.user,
            record_type=data["record_type"],
            record_id=data["record_id"],
            field=data["field"],
            text=data["text"],
            assignee=assignee,
        )
        if data.get("participant") and query.participant.screening_number != data["participant"]:
            raise ValidationError({"participant": [_("The record belongs to another participant.")]})
        return Response(self._out(query), status=status.HTTP_201_CREATED)

    def _out(self, query):
        return s.QuerySerializer(query, context={"with_thread": True}).data

    def _transition(self, request, pk, name):
        query = get_object_or_404(Query, pk=pk)
        form = s.TextSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        query = services.query_transition(query=query, user=request.user, action=name, text=form.validated_data["text"])
        return Response(self._out(query))

    @extend_schema(request=s.TextSerializer, responses={200: s.QuerySerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        return self._transition(request, pk, "answer")

    @extend_schema(request=s.TextSerializer, responses={200: s.QuerySerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._transition(request, pk, "close")

    @extend_schema(request=s.TextSerializer, responses={200: s.QuerySerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._transition(request, pk, "cancel")

    @extend_schema(request=s.TextSerializer, responses={200: s.QuerySerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        return self._transition(request, pk, "reopen")


class QueriesCsvView(APIView):
    capabilities = {"GET": Cap.RAISE_QUERY}
    # The list's filters, parsed and documented by the same FilterSet: an invalid one is a 400.
    queryset = Query.objects.all()
    filter_backends = [DjangoFilterBackend]
    filterset_class = QueryFilter

    @extend_schema(
        operation_id="export_queries_csv",
        summary="The data queries (CSV), filtered like /api/v1/queries/",
        filters=True,
        responses={(200, "text/csv"): OpenApiResponse(description="CSV"), **ERRORS},
    )
    def get(self, request):
        queries = DjangoFilterBackend().filter_queryset(request, self.queryset.all(), self)
        response = HttpResponse(queries_csv(queries), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="queries.csv"'
        return response


class SdvCsvView(APIView):
    capabilities = {"GET": (Cap.VERIFY_SOURCE, Cap.RAISE_QUERY, Cap.LOCK_DATA)}

    @extend_schema(
        operation_id="export_sdv_csv",
        summary="Every CRF record with its source data verification state (CSV)",
        responses={(200, "text/csv"): OpenApiResponse(description="CSV"), **ERRORS},
    )
    def get(self, request):
        response = HttpResponse(sdv_csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="sdv.csv"'
        return response


class LockView(APIView):
    """POST …/lock/ or …/unlock/ with {"reason": …} (unlocking needs one)."""

    capabilities = {"POST": Cap.LOCK_DATA}
    scope = LockScope.DATABASE
    unlock = False

    def target(self, kwargs) -> dict:
        return {}

    @extend_schema(request=s.ReasonSerializer, responses={200: s.LockSerializer, 201: s.LockSerializer, **ERRORS})
    def post(self, request, **kwargs):
        form = s.ReasonSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        target = self.target(kwargs)
        reason = form.validated_data["reason"]
        if self.unlock:
            lock = services.lock_find(scope=self.scope, **target)
            if lock is None:
                return Response({"detail": _("Not locked.")}, status=status.HTTP_404_NOT_FOUND)
            lock = services.lock_release(lock=lock, user=request.user, reason=reason)
            return Response(s.LockSerializer(lock).data)
        lock = services.lock_create(
            user=request.user,
            scope=self.scope,
            reason=reason,
            override_open_queries=form.validated_data["override_open_queries"],
            **target,
        )
        return Response(s.LockSerializer(lock).data, status=status.HTTP_201_CREATED)


class ParticipantLockView(LockView):
    scope = LockScope.PARTICIPANT

    def target(self, kwargs):
        return {"participant": get_object_or_404(Participant, screening_number=kwargs["screening_number"])}


class VisitLockView(LockView):
    scope = LockScope.VISIT

    def target(self, kwargs):
        visit = get_object_or_404(
            Visit, participant__screening_number=kwargs["screening_number"], visit_code=kwargs["visit_code"]
        )
        return {"visit": visit}


class SdvView(APIView):
    """GET ?participant=…: the verification marks; POST a record or a whole visit as verified."""

    capabilities = {"GET": (Cap.VERIFY_SOURCE, Cap.RAISE_QUERY, Cap.LOCK_DATA), "POST": Cap.VERIFY_SOURCE}

    @extend_schema(parameters=[s.SdvQuerySerializer], responses={200: s.SdvSerializer(many=True), **ERRORS})
    def get(self, request):
        params = s.SdvQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        marks = SourceVerification.objects.select_related("participant", "visit", "verified_by").order_by("pk")
        if params.validated_data.get("participant"):
            marks = marks.filter(participant__screening_number=params.validated_data["participant"])
        return Response(s.SdvSerializer(marks, many=True).data)

    @extend_schema(request=s.SdvRequestSerializer, responses={201: s.SdvSerializer(many=True), **ERRORS})
    def post(self, request):
        form = s.SdvRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        if data.get("visit"):
            visit = get_object_or_404(
                Visit, participant__screening_number=data.get("participant"), visit_code=data["visit"]
            )
            marks = services.sdv_verify_visit(user=request.user, visit=visit)
        elif data.get("record_type") and data.get("record_id"):
            marks = [
                services.sdv_verify(user=request.user, record_type=data["record_type"], record_id=data["record_id"])
            ]
        else:
            raise ValidationError({"record_type": [_("Name a record (record_type, record_id) or a visit.")]})
        return Response(s.SdvSerializer(marks, many=True).data, status=status.HTTP_201_CREATED)
