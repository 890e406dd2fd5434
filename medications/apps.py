from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MedicationsConfig(AppConfig):
    name = "medications"
    verbose_name = _("Medications and medical history")
