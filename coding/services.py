"""Looking terms up in the active MedDRA release: auto-coding and an LLT's hierarchy.

Read-only. `auto_code` proposes the LLT whose name is the verbatim term (coding.terms.term_key:
case, character width and white space aside), among the current LLTs of the active release; any
other verbatim term — no match, a non-current LLT, two LLTs with the same name, no release
loaded — gets None and is coded by a person. `hierarchy` gives the SDTM AE coding variables.
"""

from typing import NamedTuple

from coding.models import (
    HighLevelGroupTerm,
    HighLevelTerm,
    LowestLevelTerm,
    MeddraRelease,
    PreferredTerm,
    SystemOrganClass,
)
from coding.terms import term_key

# select_related() of an LLT for hierarchy() to need no further query
HIERARCHY_RELATED = ("pt__primary_hlt", "pt__primary_hlgt", "pt__primary_soc", "release")


class Hierarchy(NamedTuple):
    llt: LowestLevelTerm
    pt: PreferredTerm
    hlt: HighLevelTerm
    hlgt: HighLevelGroupTerm
    soc: SystemOrganClass  # the PT's primary SOC

    def sdtm(self) -> dict[str, str | int]:
        """The AE domain's dictionary variables (SDTMIG 3.4): AEBODSYS and AESOC are the primary SOC."""
        return {
            "AELLT": self.llt.name,
            "AELLTCD": self.llt.code,
            "AEDECOD": self.pt.name,
            "AEPTCD": self.pt.code,
            "AEHLT": self.hlt.name,
            "AEHLTCD": self.hlt.code,
            "AEHLGT": self.hlgt.name,
            "AEHLGTCD": self.hlgt.code,
            "AEBODSYS": self.soc.name,
            "AEBDSYCD": self.soc.code,
            "AESOC": self.soc.name,
            "AESOCCD": self.soc.code,
        }


def active_release() -> MeddraRelease | None:
    return MeddraRelease.objects.filter(is_active=True).first()


def auto_code(verbatim: str) -> LowestLevelTerm | None:
    """The current LLT of the active release named exactly `verbatim`, fetched with its hierarchy;
    None when there is no such single LLT. One query."""
    key = term_key(verbatim or "")
    if not key:
        return None
    matches = list(
        LowestLevelTerm.objects.filter(release__is_active=True, name_key=key, is_current=True).select_related(
            *HIERARCHY_RELATED
        )[:2]
    )
    return matches[0] if len(matches) == 1 else None


def llt_by_code(code: int, release: MeddraRelease | None = None) -> LowestLevelTerm | None:
    """The LLT with `code` in `release` (by default the active one), with its hierarchy; current or not."""
    terms = LowestLevelTerm.objects.filter(code=code).select_related(*HIERARCHY_RELATED)
    terms = terms.filter(release=release) if release is not None else terms.filter(release__is_active=True)
    return terms.first()


def hierarchy(llt: LowestLevelTerm) -> Hierarchy:
    """LLT -> PT -> HLT -> HLGT -> SOC along the PT's primary path (no query when `llt` was fetched
    with HIERARCHY_RELATED, as auto_code and llt_by_code do)."""
    pt = llt.pt
    return Hierarchy(llt=llt, pt=pt, hlt=pt.primary_hlt, hlgt=pt.primary_hlgt, soc=pt.primary_soc)
