"""REST endpoints for adverse events and safety holds; every write goes through safety.services."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from dosing.models import Infusion
from safety import rules
from safety.ae_coding import adverse_event_code
from safety.models import ActionTaken, AdverseEvent, Outcome, Relationship, SafetyHold
from safety.services import (
    AE_FIELDS,
    HOLD_REASON_KEYS,
    adverse_event_assess,
    adverse_event_record,
    adverse_event_update,
    hold_reason_of,
    safety_hold_release,
)
from subjects.models import Participant, Study
from trialsite.audit import REASON_MAX_LENGTH, REASON_REQUIRED
from trialsite.reauth import PasswordRejected
from trialsite.roles import Cap, has_cap
from trialsite.viewsets import ClinicalRecordViewSet, VersionedResourceMixin

ERRORS = {
    400: OpenApiResponse(description="Invalid input: `{field: [messages]}`"),
    401: OpenApiResponse(description="Not authenticated"),
    403: OpenApiResponse(description="The role may not do this"),
    404: OpenApiResponse(description="Unknown record or page"),
}
READ_ERRORS = {code: ERRORS[code] for code in (401, 403, 404)}


def _service_errors(error: DjangoValidationError) -> serializers.ValidationError:
    if hasattr(error, "error_dict"):
        return serializers.ValidationError(error.message_dict)
    return serializers.ValidationError({"non_field_errors": error.messages})


def _clock_start(adverse_event):
    return rules.sae_clock_start(serious=adverse_event.serious, awareness_time=adverse_event.awareness_time)


class AdverseEventSerializer(serializers.Serializer):
    """CRF adverse event plus derived SAE clock, treatment-emergent and related flags (read-only)."""

    id = serializers.IntegerField(read_only=True)
    version = serializers.IntegerField(
        read_only=True, help_text=gettext_lazy("Increases with every change; also the ETag.")
    )
    participant = serializers.SlugRelatedField(slug_field="screening_number", queryset=Participant.objects.all())
    subject_id = serializers.CharField(source="participant.subject_label", read_only=True)
    ae_number = serializers.IntegerField(read_only=True)
    term = serializers.CharField(max_length=200)
    onset_date = serializers.DateField()
    end_date = serializers.DateField(required=False, allow_null=True, default=None)
    ongoing = serializers.BooleanField(required=False, default=False)
    grade = serializers.IntegerField(min_value=1, max_value=5)
    serious = serializers.BooleanField()
    death = serializers.BooleanField(required=False, default=False)
    life_threatening = serializers.BooleanField(required=False, default=False)
    hospitalization = serializers.BooleanField(required=False, default=False)
    disability = serializers.BooleanField(required=False, default=False)
    congenital_anomaly = serializers.BooleanField(required=False, default=False)
    important_medical_event = serializers.BooleanField(required=False, default=False)
    relationship = serializers.ChoiceField(choices=Relationship.choices)
    expected = serializers.BooleanField()
    action_taken = serializers.ChoiceField(choices=ActionTaken.choices)
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    infusion_reaction = serializers.BooleanField(required=False, default=False)
    infusion = serializers.PrimaryKeyRelatedField(
        queryset=Infusion.objects.all(), required=False, allow_null=True, default=None
    )
    infusion_number = serializers.IntegerField(
        source="infusion.infusion_number", read_only=True, default=None, allow_null=True
    )
    awareness_time = serializers.DateTimeField(required=False, allow_null=True, default=None)
    reported_to_sponsor_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    causality_assessed_by = serializers.CharField(
        source="causality_assessed_by.username", read_only=True, default=None, allow_null=True
    )
    causality_assessed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    treatment_emergent = serializers.SerializerMethodField()
    is_related = serializers.BooleanField(read_only=True)
    coded_llt_code = serializers.IntegerField(
        source="coded_llt.code", read_only=True, default=None, allow_null=True,
        help_text=gettext_lazy("MedDRA lowest level term the verbatim term is coded to (null: not coded yet)."),
    )  # fmt: skip
    coded_pt = serializers.CharField(
        source="coded_llt.pt.name",
        read_only=True,
        default=None,
        allow_null=True,
        help_text=gettext_lazy("MedDRA preferred term."),
    )
    coded_soc = serializers.CharField(
        source="coded_llt.pt.primary_soc.name", read_only=True, default=None, allow_null=True,
        help_text=gettext_lazy("MedDRA primary system organ class."),
    )  # fmt: skip
    sae_due_at = serializers.SerializerMethodField()
    sae_clock_state = serializers.SerializerMethodField()
    reason_for_change = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=REASON_MAX_LENGTH
    )

    def _hours(self) -> int:
        if "sae_report_hours" not in self.context:
            self.context["sae_report_hours"] = Study.current().sae_report_hours
        return self.context["sae_report_hours"]

    @extend_schema_field(serializers.BooleanField())
    def get_treatment_emergent(self, adverse_event) -> bool:
        return rules.is_treatment_emergent(adverse_event.onset_date, adverse_event.participant.day1_date)

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_sae_due_at(self, adverse_event):
        due_at = rules.sae_due_at(_clock_start(adverse_event), self._hours())
        return serializers.DateTimeField().to_representation(due_at) if due_at else None

    @extend_schema_field(serializers.ChoiceField(choices=list(rules.CLOCK_LABELS), allow_null=True))
    def get_sae_clock_state(self, adverse_event) -> str | None:
        return rules.sae_clock_state(
            _clock_start(adverse_event), adverse_event.reported_to_sponsor_at, timezone.now(), self._hours()
        )

    def create(self, validated_data):
        participant = validated_data["participant"]
        try:
            return adverse_event_record(
                participant=participant,
                user=self.context["request"].user,
                **{name: validated_data.get(name) for name in AE_FIELDS},
            )
        except DjangoValidationError as error:
            raise _service_errors(error) from error

    def update(self, instance, validated_data):
        reason = (validated_data.get("reason_for_change") or "").strip()
        if not reason:
            raise serializers.ValidationError({"reason_for_change": [REASON_REQUIRED]})
        if "participant" in validated_data and validated_data["participant"].pk != instance.participant_id:
            raise serializers.ValidationError({"participant": [_("The participant of a recorded AE cannot change.")]})
        changes = {name: validated_data[name] for name in AE_FIELDS if name in self.initial_data}
        try:
            return adverse_event_update(
                adverse_event=instance,
                user=self.context["request"].user,
                reason=reason,
                expected_version=self.context.get("expected_version"),
                **changes,
            )
        except DjangoValidationError as error:
            raise _service_errors(error) from error


class SigningSerializer(serializers.Serializer):
    """The re-authentication of a signing act: the password (through the login lockout) and the
    authenticator code when the signer has enrolled one."""

    password = serializers.CharField(write_only=True, trim_whitespace=False, allow_blank=True)
    otp = serializers.CharField(write_only=True, required=False, allow_blank=True)


class AssessmentSerializer(SigningSerializer):
    relationship = serializers.ChoiceField(choices=Relationship.choices)
    expected = serializers.BooleanField()
    reason = serializers.CharField(max_length=REASON_MAX_LENGTH)


class CodeSerializer(serializers.Serializer):
    llt_code = serializers.IntegerField(
        min_value=1, help_text=gettext_lazy("A current LLT of the active MedDRA release.")
    )
    reason_for_change = serializers.CharField(max_length=REASON_MAX_LENGTH)


class AdverseEventFilter(filters.FilterSet):
    participant = filters.CharFilter(field_name="participant__screening_number")
    serious = filters.BooleanFilter()
    grade = filters.NumberFilter()
    coded = filters.BooleanFilter(
        field_name="coded_llt", lookup_expr="isnull", exclude=True, label=gettext_lazy("Coded to MedDRA")
    )

    class Meta:
        model = AdverseEvent
        fields = ["participant", "serious", "grade", "coded"]


@extend_schema_view(
    list=extend_schema(responses={200: AdverseEventSerializer(many=True), **READ_ERRORS}),
    retrieve=extend_schema(responses={200: AdverseEventSerializer, **READ_ERRORS}),
    create=extend_schema(responses={201: AdverseEventSerializer, **ERRORS}),
    partial_update=extend_schema(responses={200: AdverseEventSerializer, **ERRORS}),
)
class AdverseEventViewSet(ClinicalRecordViewSet):
    """Adverse events (CRF "Adverse event"). PATCH needs `reason_for_change`; causality changes are
    investigator-only (a coordinator's attempt is refused with 400 naming the field)."""

    serializer_class = AdverseEventSerializer
    filterset_class = AdverseEventFilter
    capabilities_by_action = {
        "list": Cap.VIEW_CLINICAL,
        "retrieve": Cap.VIEW_CLINICAL,
        "create": Cap.ENTER_DATA,
        "partial_update": Cap.ENTER_DATA,
        "assess": Cap.SIGN_OFF,
        "code": Cap.CODE_TERMS,
    }

    def get_queryset(self):
        return AdverseEvent.objects.select_related(
            "participant", "infusion", "causality_assessed_by", "coded_llt__pt__primary_soc"
        ).order_by("participant__screening_seq", "ae_number")

    def get_serializer_class(self):
        return {"assess": AssessmentSerializer, "code": CodeSerializer}.get(self.action, AdverseEventSerializer)

    @extend_schema(request=CodeSerializer, responses={200: AdverseEventSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def code(self, request, pk=None):
        """Code or re-code the verbatim term to a MedDRA lowest level term, with a reason (data managers)."""
        adverse_event = self.get_object()
        expected = self.expected_version(adverse_event)
        form = CodeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            coded = adverse_event_code(
                adverse_event=adverse_event,
                llt_code=form.validated_data["llt_code"],
                user=request.user,
                reason=form.validated_data["reason_for_change"],
                expected_version=expected,
            )
        except DjangoValidationError as error:
            raise _service_errors(error) from error
        coded = self.get_queryset().get(pk=coded.pk)
        return Response(AdverseEventSerializer(coded, context=self.get_serializer_context()).data)

    @extend_schema(request=AssessmentSerializer, responses={200: AdverseEventSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def assess(self, request, pk=None):
        """Investigator (re-)assessment of relationship and expectedness, with a reason."""
        adverse_event = self.get_object()
        expected = self.expected_version(adverse_event)
        form = AssessmentSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            assessed = adverse_event_assess(
                adverse_event=adverse_event,
                investigator=request.user,
                request=request,
                expected_version=expected,
                **form.validated_data,
            )
        except PasswordRejected:
            raise  # as it is: its failed attempt must count (trialsite.reauth)
        except DjangoValidationError as error:
            raise _service_errors(error) from error
        assessed = self.get_queryset().get(pk=assessed.pk)
        return Response(AdverseEventSerializer(assessed, context=self.get_serializer_context()).data)


class SafetyHoldSerializer(serializers.ModelSerializer):
    """A safety hold. Pseudonymised for readers without clinical access (DMC reviewers): no screening
    number (`participant` is null) and the reason without the AE's verbatim term."""

    participant = serializers.CharField(
        source="participant.screening_number",
        read_only=True,
        allow_null=True,
        help_text=gettext_lazy("Null for DMC reviewers."),
    )
    subject_id = serializers.CharField(source="participant.subject_label", read_only=True)
    ae_number = serializers.IntegerField(source="adverse_event.ae_number", read_only=True)
    released_by = serializers.CharField(source="released_by.username", read_only=True, default=None, allow_null=True)
    open = serializers.SerializerMethodField()

    class Meta:
        model = SafetyHold
        fields = [
            "id",
            "version",
            "participant",
            "subject_id",
            "adverse_event",
            "ae_number",
            "placed_at",
            "reason",
            "open",
            "released_at",
            "released_by",
            "release_reason",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.BooleanField())
    def get_open(self, hold) -> bool:
        return hold.released_at is None

    def to_representation(self, hold):
        data = super().to_representation(hold)
        if self.context.get("pseudonymised"):
            data["participant"] = None
            event = hold.adverse_event
            data["reason"] = hold_reason_of({key: getattr(event, key) for key in HOLD_REASON_KEYS}, pseudonymised=True)
        return data


class ReleaseSerializer(SigningSerializer):
    reason = serializers.CharField(max_length=REASON_MAX_LENGTH)


class SafetyHoldFilter(filters.FilterSet):
    participant = filters.CharFilter(
        method="filter_participant",
        label=gettext_lazy("Screening number (not for DMC reviewers), subject ID or USUBJID"),
    )
    open = filters.BooleanFilter(field_name="released_at", lookup_expr="isnull")

    class Meta:
        model = SafetyHold
        fields = ["participant", "open"]

    def filter_participant(self, queryset, name, value):
        by_subject = Q(participant__subject_id=value) | Q(participant__usubjid=value)
        if "-" in value:  # the displayed label S2018-11-001: study ID, then the subject ID
            by_subject |= Q(
                participant__subject_id=value.rsplit("-", 1)[-1],
                participant__usubjid__startswith=value.rsplit("-", 1)[0],
            )
        if has_cap(self.request.user, Cap.VIEW_CLINICAL):
            by_subject |= Q(participant__screening_number=value)
        return queryset.filter(by_subject)


@extend_schema_view(
    list=extend_schema(responses={200: SafetyHoldSerializer(many=True), **READ_ERRORS}),
    retrieve=extend_schema(responses={200: SafetyHoldSerializer, **READ_ERRORS}),
)
class SafetyHoldViewSet(
    VersionedResourceMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Safety holds; `release/` is for investigators and needs a reason."""

    serializer_class = SafetyHoldSerializer
    filterset_class = SafetyHoldFilter
    capabilities_by_action = {
        "list": (Cap.VIEW_CLINICAL, Cap.VIEW_DASHBOARD),
        "retrieve": (Cap.VIEW_CLINICAL, Cap.VIEW_DASHBOARD),
        "release": Cap.RELEASE_HOLD,
    }

    def get_queryset(self):
        return SafetyHold.objects.select_related("participant", "adverse_event", "released_by").order_by("placed_at")

    def get_serializer_class(self):
        return ReleaseSerializer if self.action == "release" else SafetyHoldSerializer

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["pseudonymised"] = not has_cap(self.request.user, Cap.VIEW_CLINICAL)
        return context

    @extend_schema(request=ReleaseSerializer, responses={200: SafetyHoldSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        hold = self.get_object()
        expected = self.expected_version(hold)
        form = ReleaseSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            released = safety_hold_release(
                hold=hold, investigator=request.user, request=request, expected_version=expected, **form.validated_data
            )
        except PasswordRejected:
            raise  # as it is: its failed attempt must count (trialsite.reauth)
        except DjangoValidationError as error:
            raise _service_errors(error) from error
        released = self.get_queryset().get(pk=released.pk)
        return Response(
            SafetyHoldSerializer(released, context=self.get_serializer_context()).data, status=status.HTTP_200_OK
        )
