from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TrialsiteConfig(AppConfig):
    name = "trialsite"
    verbose_name = "Trialsite"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from trialsite import checks, dataversion, dbguard, sessions  # noqa: F401  (checks: registers them)

        user_logged_in.connect(sessions.mark_touched_on_login, dispatch_uid="trialsite-session-touch")

        # Runs after every app's migrations: history tables exist by then.
        post_migrate.connect(dbguard.protect_history_tables, sender=self)
        post_migrate.connect(dbguard.grant_application_role, sender=self)
        post_migrate.connect(dataversion.install_triggers, sender=self)
