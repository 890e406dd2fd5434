from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ExportsConfig(AppConfig):
    name = "exports"
    verbose_name = "Exports"

    def ready(self):
        from django.apps import apps

        from exports import functions

        # This app has no models, so no post_migrate of its own: run after the project's.
        post_migrate.connect(functions.install, sender=apps.get_app_config("trialsite"))
