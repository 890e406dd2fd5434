"""Finding the MedDRA term to code a verbatim term with: the coding queue's search."""

from django.db.models import Case, IntegerField, Value, When

from coding.models import LowestLevelTerm
from coding.services import HIERARCHY_RELATED
from coding.terms import term_key

SEARCH_LIMIT = 50


def search_terms(text: str) -> list[LowestLevelTerm]:
    """Current LLTs of the active release whose name contains `text` (as coding.terms.term_key compares
    names), the exact match first, then by name; at most SEARCH_LIMIT, each with its hierarchy. One query."""
    key = term_key(text or "")
    if not key:
        return []
    exact_first = Case(When(name_key=key, then=Value(0)), default=Value(1), output_field=IntegerField())
    terms = LowestLevelTerm.objects.filter(release__is_active=True, is_current=True, name_key__contains=key)
    return list(terms.select_related(*HIERARCHY_RELATED).order_by(exact_first, "name_key", "code")[:SEARCH_LIMIT])
