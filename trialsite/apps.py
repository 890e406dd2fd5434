from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TrialsiteConfig(AppConfig):
    name = "trialsite"
    verbose_name = "Trialsite"

    def ready(self):
        from trialsite import checks, dbguard, i18n  # noqa: F401  (checks, i18n: register them)

        # Runs after every app's migrations: history tables exist by then.
        post_migrate.connect(dbguard.protect_history_tables, sender=self)
        post_migrate.connect(dbguard.grant_application_role, sender=self)
