"""Django's ModelBackend, reading the user's study roles in the same query as the user: every page
checks them (trialsite.access, the `can` context), so a page costs one query fewer."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group
from django.db.models import Exists, OuterRef

from trialsite.roles import Role


class RoleModelBackend(ModelBackend):
    def get_user(self, user_id):
        member = Group.objects.filter(user=OuterRef("pk"))
        flags = {f"_role_{role.name}": Exists(member.filter(name=role.value)) for role in Role}
        user = get_user_model()._default_manager.annotate(**flags).filter(pk=user_id).first()
        if user is None or not self.user_can_authenticate(user):
            return None
        user._trialsite_roles = frozenset(role for role in Role if getattr(user, f"_role_{role.name}"))
        return user
