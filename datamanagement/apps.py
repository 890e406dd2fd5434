from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DatamanagementConfig(AppConfig):
    name = "datamanagement"
    verbose_name = _("Data management")
