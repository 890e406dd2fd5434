from django import template

from assessments.efficacy import participant_pasi as pasi_summary

register = template.Library()


@register.simple_tag
def participant_pasi(participant, visits=None) -> dict:
    """`{% participant_pasi participant visits as pasi %}`: PASI over time; no query when the page passes
    its visits (with `pasi_assessment` selected), one query otherwise."""
    return pasi_summary(participant, visits if visits != "" else None)  # "": not in the context
