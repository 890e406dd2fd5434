from django import template

from assessments.efficacy import participant_pasi as pasi_summary

register = template.Library()


@register.simple_tag
def participant_pasi(participant) -> dict:
    """`{% participant_pasi participant as pasi %}`: PASI over time in a constant number of queries."""
    return pasi_summary(participant)
