"""GET/POST /api/v1/participants/{screening_number}/signatures/: the participant's signatures, and signing."""

from django.apps import apps
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from signatures import services
from signatures.models import Meaning, Signature
from signatures.views import signed_record_of
from trialsite.roles import Cap

ERRORS = {
    400: OpenApiResponse(description="Invalid input, wrong password or code, locked account: `{field: [messages]}`"),
    401: OpenApiResponse(description="Not authenticated"),
    403: OpenApiResponse(description="The role may not do this"),
    404: OpenApiResponse(description="Unknown participant or record"),
}


class SignatureSerializer(serializers.ModelSerializer):
    signer = serializers.CharField(source="signer.username", read_only=True)
    meaning_label = serializers.CharField(source="get_meaning_display", read_only=True)
    valid = serializers.BooleanField(read_only=True)

    class Meta:
        model = Signature
        fields = [
            "id",
            "meaning",
            "meaning_label",
            "record_type",
            "record_id",
            "record_hash",
            "signer",
            "signer_name",
            "signed_at",
            "valid",
            "invalidated_at",
            "invalidation_reason",
        ]
        read_only_fields = fields


class SignRequestSerializer(serializers.Serializer):
    meaning = serializers.ChoiceField(choices=Meaning.choices)
    password = serializers.CharField(trim_whitespace=False, allow_blank=True)
    otp = serializers.CharField(required=False, allow_blank=True, help_text=_("The authenticator code, if enrolled."))
    record_id = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        help_text=_("The signed record (screening, AE, safety hold); not for casebook_approval."),
    )


class ParticipantSignaturesView(APIView):
    capabilities = {"GET": Cap.VIEW_CLINICAL, "POST": Cap.SIGN_OFF}

    def participant(self, screening_number):
        return get_object_or_404(apps.get_model("subjects.Participant"), screening_number=screening_number)

    @extend_schema(responses={200: SignatureSerializer(many=True), **ERRORS})
    def get(self, request, screening_number):
        participant = self.participant(screening_number)
        return Response(SignatureSerializer(services.signatures_of(participant), many=True).data)

    @extend_schema(request=SignRequestSerializer, responses={201: SignatureSerializer, **ERRORS})
    def post(self, request, screening_number):
        """Sign with the password (through the login lockout) and the authenticator code when enrolled."""
        participant = self.participant(screening_number)
        form = SignRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        if data["meaning"] != Meaning.CASEBOOK_APPROVAL and "record_id" not in data:
            raise serializers.ValidationError(
                {"record_id": [gettext("This meaning signs a record: give its record_id.")]}
            )
        record = signed_record_of(participant, data["meaning"], data.get("record_id"))
        signature = services.signature_sign(
            request=request,
            signer=request.user,
            password=data["password"],
            otp=data.get("otp"),
            meaning=data["meaning"],
            record=record,
        )
        return Response(SignatureSerializer(signature).data, status=status.HTTP_201_CREATED)
