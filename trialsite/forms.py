"""Helpers shared by the apps' browser forms: a service's errors on a form (`show_errors`), and edit
forms of audited records that carry the version they were read at and show a conflict.

A form that mixes in `VersionedForm` and calls `carry_version(record)` gets a hidden `version`
field. Posted against a record that someone changed meanwhile (found when the form is cleaned, or
by the write door's EditConflict, `show_conflict`), the form becomes invalid and is shown again:

- a message naming who changed what and when (from the history);
- each field the other user changed marked (`changed-meanwhile`) with a note; its input takes the
  value now stored unless the user changed that field too (then the user's value stays, to check);
- everything the user typed kept; the hidden version moved on, so saving again succeeds.

Views answer such a form with status 409.
"""

from collections.abc import Callable
from typing import TypeVar

from django import forms
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from trialsite.audit import EditConflict, changes_since, describe_change

CONFLICT_CLASS = "changed-meanwhile"


class IsoDateInput(forms.DateInput):
    """A browser date input: it reads and posts ISO dates only, so a saved date must be rendered ISO
    (the locale's format, e.g. 11/11/2026, is dropped by the browser and the field comes back blank)."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class IsoDateTimeInput(forms.DateTimeInput):
    """A browser datetime-local input (ISO, minutes), for the same reason as IsoDateInput."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


_MISSING = object()


T = TypeVar("T")


def show_errors(form: forms.Form, error: ValidationError, *, only_unmarked_fields: bool = False) -> None:
    """Show a service's ValidationError on the form: {field: [messages]} next to the fields the form
    has, everything else at the top. `only_unmarked_fields`: add only messages for fields of the
    form that have no error yet (the service then saw a form whose own checks failed)."""
    if not hasattr(error, "error_dict"):
        if not only_unmarked_fields:
            form.add_error(None, error)
        return
    for field, messages in error.message_dict.items():
        if only_unmarked_fields:
            if field in form.fields and field not in form.errors:
                form.add_error(field, messages)
        else:
            form.add_error(field if field in form.fields else None, messages)


class _DryRun(Exception):
    pass


def submit(form: forms.Form, write: Callable[[], T]) -> T | None:
    """Validate `form` and call `write()` (the service, reading `form.cleaned_data.get(...)`), so that
    every error of a submission shows at once: the form's own field errors and the service's rules.

    When the form has errors the service still runs on what did parse, inside a savepoint that is
    always rolled back, and its messages are added beside the fields that have no error yet (a rule
    about a field that did not parse would only repeat it). Returns what `write()` returned, or None
    when anything was wrong (the form then carries the errors; a conflict is shown as such).
    """
    valid = form.is_valid()
    try:
        with transaction.atomic():
            result = write()
            if not valid:
                raise _DryRun
    except _DryRun:
        return None
    except EditConflict as conflict:
        if valid:
            form.show_conflict(conflict=conflict)
        return None
    except ValidationError as error:
        show_errors(form, error, only_unmarked_fields=not valid)
        return None
    except (TypeError, ValueError, AttributeError, ArithmeticError, KeyError):
        if valid:
            raise
        return None  # a rule that cannot look at half-parsed input: the form's own errors stand
    return result


class VersionedForm:
    """Mix into a Form or ModelForm (before it); call `carry_version(record)` at the end of __init__."""

    record = None
    conflict = None  # the changes made meanwhile, once a conflict was found

    def carry_version(self, record) -> None:
        self.record = record
        if record is not None and record.pk is not None:
            self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput, initial=record.version, min_value=1)

    @property
    def expected_version(self) -> int | None:
        """The version the user's form was read at (None: a form that creates the record)."""
        return self.cleaned_data.get("version") if "version" in self.fields else None

    def initial_from(self, record) -> dict:
        """The form's values for a stored record (or one of its history rows): override when a form
        shows stored values differently (yes/no radios, local times, …)."""
        if isinstance(self, forms.ModelForm):
            return forms.model_to_dict(record, fields=[name for name in self.fields if name != "version"])
        names = {field.name for field in record._meta.concrete_fields}
        return {name: getattr(record, name) for name in self.fields if name in names and name != "version"}

    def full_clean(self):
        super().full_clean()
        expected = self.cleaned_data.get("version") if hasattr(self, "cleaned_data") else None
        if self.record is not None and expected is not None and expected != self.record.version:
            self.show_conflict(expected)

    def show_conflict(self, expected: int | None = None, conflict: EditConflict | None = None) -> None:
        """Show the form again with what changed since `expected` (or since what `conflict` says)."""
        if conflict is not None and (conflict.model is not type(self.record) or conflict.pk != self.record.pk):
            self.conflict = []  # another record of the same action changed: nothing to merge here
            self.add_error(
                None, _("%(conflict)s Nothing was saved: check and save again.") % {"conflict": conflict.describe()}
            )
            return
        expected = conflict.expected if conflict is not None else expected
        model = type(self.record)
        current = model._default_manager.get(pk=self.record.pk)
        changes = changes_since(model, current.pk, expected)
        base = model.history.filter(id=current.pk, version=expected).order_by("-history_id").first()
        self.conflict = changes
        data = self.data.copy()
        notes = self._merge(data, current, base, changes)
        data["version"] = str(current.version)
        self.data = data
        self.record = current
        who = "; ".join(describe_change(change) for change in changes) or _("It was changed by someone else.")
        self.add_error(
            None,
            _(
                "This record was changed after you opened this form. %(who)s Nothing was saved: your entries are "
                "kept below and the fields changed meanwhile are marked; check them and save again."
            )
            % {"who": who},
        )
        for name, note in notes.items():
            self.add_error(name, note)

    def _merge(self, data, current, base, changes) -> dict[str, str]:
        """Take the other user's values into `data` where the user left the field as it was; notes per field."""
        theirs_initial = self.initial_from(current)
        base_initial = self.initial_from(base) if base is not None else {}
        by = changes[-1].user if changes else _("someone else")
        notes = {}
        for name, field in self.fields.items():
            if name == "version" or field.disabled or name not in theirs_initial:
                continue
            theirs = _clean(field, theirs_initial[name])
            base_value = _clean(field, base_initial[name]) if name in base_initial else _MISSING
            if base_value is not _MISSING and theirs == base_value:
                continue  # not changed meanwhile
            mine = self.cleaned_data.get(name, _MISSING) if hasattr(self, "cleaned_data") else _MISSING
            if mine is not _MISSING and mine == theirs:
                continue
            shown = _as_data(field, theirs_initial[name])
            field.widget.attrs["class"] = f"{field.widget.attrs.get('class', '')} {CONFLICT_CLASS}".strip()
            if mine is not _MISSING and base_value is not _MISSING and mine == base_value:
                _set(data, name, shown, unchecked=isinstance(field.widget, forms.CheckboxInput) and not shown)
                was = _display(field, base_value)
                notes[name] = _("Changed meanwhile by %(who)s: %(was)s → %(now)s (shown here).") % {
                    "who": by,
                    "was": was,
                    "now": _display(field, theirs),
                }
            else:
                shown_value = _display(field, theirs)
                notes[name] = _(
                    "Changed meanwhile by %(who)s to %(value)s; your entry is kept: check it before saving."
                ) % {"who": by, "value": shown_value}
        return notes


def form_status(form, *, invalid: int = 200) -> int:
    """The HTTP status of an edit page: 409 for a conflict, `invalid` for other errors, else 200."""
    if getattr(form, "conflict", None) is not None:
        return 409
    return invalid if form is not None and form.is_bound and form.errors else 200


def _set(data, name: str, value: str, *, unchecked: bool) -> None:
    if unchecked:  # an unticked checkbox is not posted at all
        data.pop(name, None)
    elif hasattr(data, "setlist"):
        data.setlist(name, [value])
    else:
        data[name] = value


def _clean(field: forms.Field, initial):
    """A stored value in the form's own terms (what cleaning the same input would give)."""
    try:
        return field.clean(field.prepare_value(initial))
    except ValidationError:
        return initial


def _as_data(field: forms.Field, initial) -> str:
    """A stored value as the browser would post it."""
    value = field.prepare_value(initial)
    if isinstance(field.widget, forms.CheckboxInput):
        return "on" if value else ""
    formatted = field.widget.format_value(value)
    if isinstance(formatted, list):
        return formatted[0] if formatted else ""
    return "" if formatted is None else str(formatted)


def _display(field: forms.Field, value) -> str:
    if value is None or value == "":
        return _("empty")
    if isinstance(value, models.Model):
        return str(value)
    choices = dict(getattr(field, "choices", ()) or ())
    if value in choices:
        return str(choices[value])
    if str(value) in choices:
        return str(choices[str(value)])
    if value is True or value is False:
        return _("yes") if value else _("no")
    return str(value)
