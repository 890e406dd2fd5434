"""Roles and what each may do: the one permission matrix of the application.

A role is a Django group. A view or endpoint names the capability it needs; the access
middleware (browser) and CapabilityPermission (API) refuse anything that names none, so a
new view is denied to everyone until someone decides who may use it.
"""

from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Role(StrEnum):
    COORDINATOR = "coordinator"
    INVESTIGATOR = "investigator"
    DATA_MANAGER = "data_manager"
    DMC_REVIEWER = "dmc_reviewer"
    API_CLIENT = "api_client"
    ADMIN = "admin"
    MONITOR = "monitor"  # clinical research associate: queries and source data verification, never data entry


ROLE_LABELS = {
    Role.COORDINATOR: _("Study coordinator"),
    Role.INVESTIGATOR: _("Investigator"),
    Role.DATA_MANAGER: _("Data manager"),
    Role.DMC_REVIEWER: _("DMC reviewer"),
    Role.API_CLIENT: _("API client"),
    Role.ADMIN: _("Administrator"),
    Role.MONITOR: _("Monitor"),
}


class Cap(StrEnum):
    """Capabilities; the README's permission matrix is generated from CAPABILITIES."""

    VIEW_CLINICAL = "view_clinical"  # participant list/pages, with initials and date of birth
    ENTER_DATA = "enter_data"  # register, screen, visits, vitals, PASI, infusions, AEs
    SIGN_OFF = "sign_off"  # eligibility sign-off, AE causality/expectedness
    RELEASE_HOLD = "release_hold"
    VIEW_DASHBOARD = "view_dashboard"  # DMC safety dashboard, pseudonymised
    EXPORT = "export"  # SDTM/ODM/data dictionary exports, read-only API
    EXPORT_SAFETY = "export_safety"  # pseudonymised safety exports (AE, EX, DM without BRTHDTC)
    VIEW_AUDIT = "view_audit"  # full audit trail, old -> new values
    CODE_TERMS = "code_terms"  # code AE verbatim terms to MedDRA (coding queue), re-code with a reason
    CHANGE_TARGET = "change_target"  # raise the enrollment target
    CONFIGURE_STUDY = "configure_study"  # every other study configuration value
    MANAGE_USERS = "manage_users"
    OWN_TOKEN = "own_token"  # create/revoke one's own API tokens, profile page
    VIEW_REMINDERS = "view_reminders"
    HOME = "home"
    RAISE_QUERY = "raise_query"  # raise, close, cancel and re-open data queries; the query list and CSV
    ANSWER_QUERY = "answer_query"  # answer a data query (changing the data needs enter_data and a reason)
    VERIFY_SOURCE = "verify_source"  # mark records and visits source-data verified
    LOCK_DATA = "lock_data"  # lock and unlock records, visits, casebooks and the database


R = Role
CAPABILITIES: dict[Cap, frozenset[Role]] = {
    Cap.HOME: frozenset(R),
    Cap.OWN_TOKEN: frozenset(R),
    Cap.VIEW_CLINICAL: frozenset({R.COORDINATOR, R.INVESTIGATOR, R.DATA_MANAGER, R.API_CLIENT, R.ADMIN, R.MONITOR}),
    Cap.ENTER_DATA: frozenset({R.COORDINATOR, R.INVESTIGATOR}),
    Cap.SIGN_OFF: frozenset({R.INVESTIGATOR}),
    Cap.RELEASE_HOLD: frozenset({R.INVESTIGATOR}),
    Cap.VIEW_DASHBOARD: frozenset({R.DMC_REVIEWER, R.INVESTIGATOR, R.DATA_MANAGER, R.ADMIN}),
    Cap.EXPORT: frozenset({R.DATA_MANAGER, R.API_CLIENT, R.ADMIN}),
    Cap.EXPORT_SAFETY: frozenset({R.DATA_MANAGER, R.API_CLIENT, R.DMC_REVIEWER, R.ADMIN}),
    Cap.VIEW_AUDIT: frozenset({R.DATA_MANAGER, R.ADMIN}),
    Cap.CODE_TERMS: frozenset({R.DATA_MANAGER}),
    Cap.CHANGE_TARGET: frozenset({R.DATA_MANAGER, R.ADMIN}),
    Cap.CONFIGURE_STUDY: frozenset({R.ADMIN}),
    Cap.MANAGE_USERS: frozenset({R.ADMIN}),
    Cap.VIEW_REMINDERS: frozenset({R.COORDINATOR, R.INVESTIGATOR}),
    Cap.RAISE_QUERY: frozenset({R.DATA_MANAGER, R.MONITOR}),
    Cap.ANSWER_QUERY: frozenset({R.COORDINATOR, R.INVESTIGATOR}),
    Cap.VERIFY_SOURCE: frozenset({R.MONITOR}),
    Cap.LOCK_DATA: frozenset({R.DATA_MANAGER}),
}


def user_roles(user) -> frozenset[Role]:
    """The roles of a user, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_trialsite_roles", None)
    if cached is None:
        cached = roles_named(user.groups.values_list("name", flat=True))
        user._trialsite_roles = cached
    return cached


def roles_named(group_names) -> frozenset[Role]:
    """The study roles among a user's group names (other groups are not roles)."""
    valid = {role.value for role in Role}
    return frozenset(Role(name) for name in group_names if name in valid)


def has_cap(user, cap: Cap | str) -> bool:
    return bool(user_roles(user) & CAPABILITIES[Cap(cap)])


def primary_role(user) -> Role | None:
    roles = user_roles(user)
    return next((role for role in Role if role in roles), None)
