from django import template

from dosing.selectors import participant_dosing as dosing_summary

register = template.Library()


@register.simple_tag
def participant_dosing(participant, visits=None) -> dict:
    """`{% participant_dosing participant visits as dosing %}`: the dosing table in a constant number of
    queries; the page passes its visits (with `infusion` selected) so they are not fetched again."""
    return dosing_summary(participant, visits if visits != "" else None)  # "": not in the context
