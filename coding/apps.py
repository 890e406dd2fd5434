from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CodingConfig(AppConfig):
    name = "coding"
    verbose_name = _("Medical coding (MedDRA)")
