"""Move the eligibility sign-off off the screening form onto the signature model.

Each signed-off screening gets a signature (meaning "eligibility") with the signer, the time and a
hash of the screening's values as signatures.services.record_hash computes it. The legacy columns
stay (never written again): the audit chain's hashes of older history rows cover them.
"""

import hashlib

from django.db import migrations

from signatures.services import canonical_json

BOOKKEEPING = {"id", "created_at", "updated_at", "version"}


def forwards(apps, schema_editor):
    screening_model = apps.get_model("subjects", "Screening")
    signature_model = apps.get_model("signatures", "Signature")
    names = [
        f.attname
        for f in screening_model._meta.concrete_fields
        if f.name not in BOOKKEEPING
    ]
    signed = screening_model.objects.exclude(investigator_signoff_at=None).select_related("investigator_signoff_by")
    for screening in signed.order_by("pk"):
        values = list(screening_model.objects.filter(pk=screening.pk).values("pk", *names))
        signer = screening.investigator_signoff_by
        signature_model.objects.create(
            participant_id=screening.participant_id,
            meaning="eligibility",
            record_type="screening",
            record_id=screening.pk,
            record_hash=hashlib.sha256(canonical_json(values).encode()).hexdigest(),
            signer=signer,
            signer_name=f"{signer.first_name} {signer.last_name}".strip() or signer.username,
            signed_at=screening.investigator_signoff_at,
        )


def backwards(apps, schema_editor):
    screening_model = apps.get_model("subjects", "Screening")
    signature_model = apps.get_model("signatures", "Signature")
    for signature in signature_model.objects.filter(meaning="eligibility", invalidated_at=None):
        screening_model.objects.filter(pk=signature.record_id, investigator_signoff_at=None).update(
            investigator_signoff_by=signature.signer_id,
            investigator_signoff_at=signature.signed_at,
            signoff_meaning="I confirm eligibility",
        )
    signature_model.objects.filter(meaning="eligibility").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("subjects", "0006_participant_race_ethnicity"),
        ("signatures", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
