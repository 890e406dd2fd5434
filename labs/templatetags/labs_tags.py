from django import template

from labs import catalogue
from labs.selectors import participant_labs as labs_summary

register = template.Library()


@register.simple_tag
def participant_labs(participant) -> dict:
    """`{% participant_labs participant as labs %}`: the laboratory table in one query."""
    return labs_summary(participant)


@register.filter
def unit_label(code: str) -> str:
    return catalogue.UNIT_LABELS.get(code, code)


@register.filter
def grade_class(grade) -> str:
    if grade is None or grade == 0:
        return ""
    return "warn" if grade == 1 else "bad"
