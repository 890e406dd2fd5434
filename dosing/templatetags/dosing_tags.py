from django import template

from dosing.selectors import participant_dosing as dosing_summary

register = template.Library()


@register.simple_tag
def participant_dosing(participant) -> dict:
    """`{% participant_dosing participant as dosing %}`: the dosing table in a constant number of queries."""
    return dosing_summary(participant)
