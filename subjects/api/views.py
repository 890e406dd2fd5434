"""REST endpoints for participants, screening, enrollment, visits and the study configuration."""

import django_filters
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from subjects import services
from subjects.api import serializers as s
from subjects.models import Participant, ParticipantStatus, Screening, Study, Visit
from trialsite.roles import Cap
from trialsite.viewsets import VersionedResourceMixin

ERRORS = {
    400: OpenApiResponse(description="Invalid input: `{field: [messages]}`"),
    401: OpenApiResponse(description="Not authenticated"),
    403: OpenApiResponse(description="The role may not do this"),
}
NOT_FOUND = {404: OpenApiResponse(description="Unknown participant or visit")}
READ_ERRORS = {401: ERRORS[401], 403: ERRORS[403]}


class ParticipantFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ParticipantStatus.choices)
    search = django_filters.CharFilter(method="filter_search", label=_("Screening number, subject ID or initials"))

    class Meta:
        model = Participant
        fields = ["status"]

    def filter_search(self, queryset, name, value):
        return search_participants(queryset, value)


def search_participants(queryset, text: str):
    text = (text or "").strip()
    if not text:
        return queryset
    return queryset.filter(
        Q(screening_number__icontains=text)
        | Q(subject_id__icontains=text)
        | Q(usubjid__icontains=text)
        | Q(initials__iexact=text)
    )


def _reason(data) -> str | None:
    return data.pop("reason_for_change", None) or None


@extend_schema_view(
    list=extend_schema(responses={200: s.ParticipantSerializer(many=True), **READ_ERRORS}),
    retrieve=extend_schema(responses={200: s.ParticipantSerializer, **READ_ERRORS, **NOT_FOUND}),
)
class ParticipantViewSet(
    VersionedResourceMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Participants, their screening form, sign-off, enrollment, withdrawal and visits. A change of a
    saved record needs `reason_for_change` and If-Match with the ETag you read."""

    lookup_field = "screening_number"
    lookup_value_regex = r"[A-Za-z0-9-]+"
    filterset_class = ParticipantFilter
    serializer_class = s.ParticipantSerializer
    capabilities_by_action = {
        "list": Cap.VIEW_CLINICAL,
        "retrieve": Cap.VIEW_CLINICAL,
        "create": Cap.ENTER_DATA,
        "partial_update": Cap.ENTER_DATA,
        "screening": Cap.VIEW_CLINICAL,
        "screening_put": Cap.ENTER_DATA,
        "signoff": Cap.SIGN_OFF,
        "enroll": Cap.ENTER_DATA,
        "withdraw": Cap.ENTER_DATA,
        "visits": Cap.VIEW_CLINICAL,
        "visit": Cap.VIEW_CLINICAL,
        "visit_update": Cap.ENTER_DATA,
    }

    def get_queryset(self):
        return Participant.objects.select_related("screening").prefetch_related("visits").order_by("screening_seq")

    def _detail(self, participant) -> Response:
        participant = self.get_queryset().get(pk=participant.pk)
        return Response(s.ParticipantSerializer(participant).data)

    @extend_schema(request=s.ParticipantRegisterSerializer, responses={201: s.ParticipantSerializer, **ERRORS})
    def create(self, request):
        form = s.ParticipantRegisterSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        participant = services.participant_register(user=request.user, **form.validated_data)
        response = self._detail(participant)
        response.status_code = status.HTTP_201_CREATED
        return response

    @extend_schema(
        request=s.ParticipantUpdateSerializer, responses={200: s.ParticipantSerializer, **ERRORS, **NOT_FOUND}
    )
    def partial_update(self, request, screening_number=None):
        participant = self.get_object()
        expected = self.expected_version(participant)
        form = s.ParticipantUpdateSerializer(data=request.data)
        self.refuse_unwritable(request.data, form, s.ParticipantSerializer())
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        reason = _reason(data)
        services.participant_update(
            participant=participant, user=request.user, reason=reason, expected_version=expected, **data
        )
        return self._detail(participant)

    @extend_schema(responses={200: s.ScreeningSerializer, **READ_ERRORS, **NOT_FOUND})
    @action(detail=True, methods=["get"])
    def screening(self, request, screening_number=None):
        participant = self.get_object()
        screening = get_object_or_404(Screening, participant=participant)
        return Response(s.ScreeningSerializer(screening).data)

    @extend_schema(request=s.ScreeningWriteSerializer, responses={200: s.ScreeningSerializer, **ERRORS, **NOT_FOUND})
    @screening.mapping.put
    def screening_put(self, request, screening_number=None):
        """Record the screening form, or (with If-Match, needed once it exists) replace it."""
        participant = self.get_object()
        existing = Screening.objects.filter(participant=participant).first()
        expected = self.expected_version(existing, required=existing is not None)
        form = s.ScreeningWriteSerializer(data=request.data)
        self.refuse_unwritable(request.data, form, s.ScreeningSerializer())
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        reason = _reason(data)
        screening = services.screening_save(
            participant=participant, user=request.user, reason=reason, expected_version=expected, **data
        )
        return Response(s.ScreeningSerializer(screening).data)

    @extend_schema(request=s.SignoffSerializer, responses={200: s.ScreeningSerializer, **ERRORS, **NOT_FOUND})
    @action(detail=True, methods=["post"])
    def signoff(self, request, screening_number=None):
        participant = self.get_object()
        expected = self.expected_version(Screening.objects.filter(participant=participant).first())
        form = s.SignoffSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        screening = services.eligibility_signoff(
            participant=participant,
            investigator=request.user,
            password=form.validated_data["password"],
            otp=form.validated_data.get("otp"),
            request=request,
            expected_version=expected,
        )
        return Response(s.ScreeningSerializer(screening).data)

    @extend_schema(request=None, responses={200: s.ParticipantSerializer, **ERRORS, **NOT_FOUND})
    @action(detail=True, methods=["post"])
    def enroll(self, request, screening_number=None):
        participant = self.get_object()
        expected = self.expected_version(participant)
        participant = services.participant_enroll(participant=participant, user=request.user, expected_version=expected)
        return self._detail(participant)

    @extend_schema(request=s.WithdrawSerializer, responses={200: s.ParticipantSerializer, **ERRORS, **NOT_FOUND})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, screening_number=None):
        participant = self.get_object()
        expected = self.expected_version(participant)
        form = s.WithdrawSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.participant_withdraw(
            participant=participant, user=request.user, expected_version=expected, **form.validated_data
        )
        return self._detail(participant)

    @extend_schema(responses={200: s.VisitSerializer(many=True), **READ_ERRORS, **NOT_FOUND})
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def visits(self, request, screening_number=None):
        participant = self.get_object()
        visits = participant.visits.select_related("participant").order_by("visitnum")
        return Response(s.VisitSerializer(visits, many=True).data)

    @extend_schema(responses={200: s.VisitSerializer, **READ_ERRORS, **NOT_FOUND})
    @action(detail=True, methods=["get"], url_path=r"visits/(?P<visit_code>[A-Za-z0-9]+)", filterset_class=None)
    def visit(self, request, screening_number=None, visit_code=None):
        visit = get_object_or_404(
            Visit.objects.select_related("participant"), participant=self.get_object(), visit_code=visit_code.upper()
        )
        return Response(s.VisitSerializer(visit).data)

    @extend_schema(request=s.VisitUpdateSerializer, responses={200: s.VisitSerializer, **ERRORS, **NOT_FOUND})
    @visit.mapping.patch
    def visit_update(self, request, screening_number=None, visit_code=None):
        participant = self.get_object()
        visit = get_object_or_404(Visit, participant=participant, visit_code=visit_code.upper())
        expected = self.expected_version(visit)
        form = s.VisitUpdateSerializer(data=request.data)
        self.refuse_unwritable(request.data, form, s.VisitSerializer())
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        reason = _reason(data)
        values = {
            "actual_date": data.get("actual_date", visit.actual_date),
            "not_done_reason": data.get("not_done_reason", visit.not_done_reason),
            "deviation_reason": data.get("deviation_reason", visit.deviation_reason),
        }
        visit = services.visit_record(
            visit=visit, user=request.user, reason=reason, expected_version=expected, **values
        )
        return Response(s.VisitSerializer(Visit.objects.select_related("participant").get(pk=visit.pk)).data)


class StudyView(VersionedResourceMixin, APIView):
    """The study configuration (protocol values and site defaults)."""

    capabilities = {
        "GET": (Cap.VIEW_CLINICAL, Cap.CHANGE_TARGET, Cap.CONFIGURE_STUDY),
        "PATCH": (Cap.CHANGE_TARGET, Cap.CONFIGURE_STUDY),
    }

    @extend_schema(responses={200: s.StudySerializer, **READ_ERRORS})
    def get(self, request):
        return Response(s.StudySerializer(Study.current()).data)

    @extend_schema(
        request=s.StudyUpdateSerializer,
        responses={200: s.StudySerializer, **ERRORS},
        description="A data manager may change `enrollment_target` only; an administrator every value.",
    )
    def patch(self, request):
        study = Study.current()
        expected = self.expected_version(study)
        form = s.StudyUpdateSerializer(study, data=request.data, partial=True)
        self.refuse_unwritable(request.data, form, s.StudySerializer())
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        reason = _reason(data)
        study = services.study_update(user=request.user, reason=reason, expected_version=expected, **data)
        return Response(s.StudySerializer(study).data)
