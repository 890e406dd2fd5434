"""The admin site: users and groups for administrators; clinical data and its history read-only.

Clinical records change only through their services (audited, with a reason), and the study
configuration through the study page, so the admin never writes them. History rows are never
editable or deletable here (and are append-only in PostgreSQL).
"""

from django.apps import apps
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from trialsite import two_factor
from trialsite.audit import AuditedModel
from trialsite.models import ApiToken, ExportLog
from trialsite.roles import Cap, has_cap


class ReadOnlyAdmin(admin.ModelAdmin):
    """List and view only: no add, change or delete, for anyone."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff


class AdminsOnly:
    """Users, groups and tokens: managed by administrators (MANAGE_USERS) only."""

    def _allowed(self, request) -> bool:
        return has_cap(request.user, Cap.MANAGE_USERS)

    def has_module_permission(self, request):
        return self._allowed(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request)

    def has_add_permission(self, request, *args):
        return self._allowed(request)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request)


admin.site.unregister(User)
admin.site.unregister(Group)


HAS_HISTORY = _("This user has audit history: they cannot be deleted, only deactivated (untick “Active”).")


def has_audit_history(user) -> bool:
    """Whether `user` made any audited change: the history names them, and history rows are never changed."""
    return any(
        model.objects.filter(history_user=user).exists()
        for model in apps.get_models()
        if hasattr(model, "instance_type") and model._meta.get_field("history_user").related_model is User
    )


@admin.register(User)
class TrialsiteUserAdmin(AdminsOnly, UserAdmin):
    """Users who changed clinical data stay in the audit trail: the admin deactivates them, never deletes
    them (deleting would rewrite their history, which the database refuses)."""

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj is not None and has_audit_history(obj))

    actions = ["reset_two_factor"]

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # one by one, where the history is checked
        return actions

    @admin.action(description=_("Reset two-factor devices (a lost phone)"))
    def reset_two_factor(self, request, queryset):
        for user in queryset:
            removed = two_factor.two_factor_reset(user=user, administrator=request.user)
            messages.info(
                request,
                gettext("%(user)s: %(count)d two-factor device(s) removed.")
                % {"user": user.username, "count": removed},
            )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        user = self.get_object(request, object_id)
        if request.method == "GET" and user is not None and has_audit_history(user):
            messages.info(request, HAS_HISTORY)
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Group)
class TrialsiteGroupAdmin(AdminsOnly, GroupAdmin):
    pass


@admin.register(ApiToken)
class ApiTokenAdmin(AdminsOnly, admin.ModelAdmin):
    """Administrators may see and revoke (delete) tokens, never create or edit them (keys are shown once)."""

    list_display = ("token_key", "user", "name", "created", "expiry", "last_used_at")
    readonly_fields = ("token_key", "user", "name", "created", "expiry", "last_used_at")
    exclude = ("digest",)

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ExportLog)
class ExportLogAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "export", "query")
    list_filter = ("export",)


def _register_clinical_models() -> None:
    for model in apps.get_models():
        if not issubclass(model, AuditedModel) or admin.site.is_registered(model):
            continue
        admin.site.register(model, ReadOnlyAdmin)
        history = model.history.model
        if not admin.site.is_registered(history):
            admin.site.register(
                history,
                type(
                    f"{history.__name__}Admin",
                    (ReadOnlyAdmin,),
                    {
                        "list_display": (
                            "history_id",
                            "id",
                            "history_type",
                            "history_date",
                            "history_user",
                            "history_change_reason",
                        )
                    },  # fmt: skip
                ),
            )


_register_clinical_models()
