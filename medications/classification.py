"""What a concomitant medication is, as fixed lists (PROTOCOL §9, CRF "Concomitant medication").

Pure data, no Django. Whether a medication is prohibited is decided on what the coordinator
picks from these lists — its class, route, dose, unit and frequency — never on the verbatim
name: verbatim names vary (brands, salts, Chinese names, misspellings), and a rule that reads
free text cannot be tested exhaustively or explained to the investigator who must confirm it.
``suggest_class`` proposes a class from the name to speed entry; it is only a suggestion the
user accepts or changes, and nothing is derived from it.

Corticosteroids are one class per steroid, so that the prednisone equivalent is exact data.
``equivalent_mg`` is the dose of that steroid equivalent in anti-inflammatory effect to 1 mg of
prednisone, from the British National Formulary table "equivalent anti-inflammatory doses of
corticosteroids" (prednisolone 5 mg ≡ betamethasone 750 µg ≡ cortisone acetate 25 mg ≡
deflazacort 6 mg ≡ dexamethasone 750 µg ≡ hydrocortisone 20 mg ≡ methylprednisolone 4 mg ≡
triamcinolone 4 mg), each divided by 5; prednisone is taken as equal to prednisolone.

Codes of routes, frequencies and dose units are CDISC submission values (ROUTE, FREQ, UNIT).
"""

from dataclasses import dataclass
from decimal import Decimal

from medications.messages import gettext_noop

# Groups: what the prohibited-medication rule looks at.
SYSTEMIC_PSORIASIS = "systemic_psoriasis_therapy"
BIOLOGIC = "biologic"
CORTICOSTEROID = "corticosteroid"
IMMUNOSUPPRESSANT = "immunosuppressant"
PHOTOTHERAPY = "phototherapy"
OTHER = "other"


@dataclass(frozen=True)
class MedicationClass:
    """One entry of the class list; ``equivalent_mg`` only for a corticosteroid of known potency."""

    key: str
    label: str
    group: str
    equivalent_mg: Decimal | None = None


MEDICATION_CLASSES: tuple[MedicationClass, ...] = (
    MedicationClass("methotrexate", gettext_noop("Methotrexate"), SYSTEMIC_PSORIASIS),
    MedicationClass("ciclosporin", gettext_noop("Ciclosporin (cyclosporine)"), SYSTEMIC_PSORIASIS),
    MedicationClass("acitretin", gettext_noop("Acitretin"), SYSTEMIC_PSORIASIS),
    MedicationClass("apremilast", gettext_noop("Apremilast"), SYSTEMIC_PSORIASIS),
    MedicationClass("fumarate", gettext_noop("Fumarates (dimethyl fumarate, fumaric acid esters)"), SYSTEMIC_PSORIASIS),
    MedicationClass("other_psoriasis_systemic", gettext_noop("Other systemic psoriasis therapy"), SYSTEMIC_PSORIASIS),
    MedicationClass("biologic", gettext_noop("Biologic (any: TNF, IL-17, IL-23, IL-12/23 inhibitors …)"), BIOLOGIC),
    MedicationClass("prednisone", gettext_noop("Corticosteroid: prednisone"), CORTICOSTEROID, Decimal("1")),
    MedicationClass("prednisolone", gettext_noop("Corticosteroid: prednisolone"), CORTICOSTEROID, Decimal("1")),
    MedicationClass(
        "methylprednisolone", gettext_noop("Corticosteroid: methylprednisolone"), CORTICOSTEROID, Decimal("0.8")
    ),
    MedicationClass("dexamethasone", gettext_noop("Corticosteroid: dexamethasone"), CORTICOSTEROID, Decimal("0.15")),
    MedicationClass("betamethasone", gettext_noop("Corticosteroid: betamethasone"), CORTICOSTEROID, Decimal("0.15")),
    MedicationClass("hydrocortisone", gettext_noop("Corticosteroid: hydrocortisone"), CORTICOSTEROID, Decimal("4")),
    MedicationClass("cortisone", gettext_noop("Corticosteroid: cortisone acetate"), CORTICOSTEROID, Decimal("5")),
    MedicationClass("triamcinolone", gettext_noop("Corticosteroid: triamcinolone"), CORTICOSTEROID, Decimal("0.8")),
    MedicationClass("deflazacort", gettext_noop("Corticosteroid: deflazacort"), CORTICOSTEROID, Decimal("1.2")),
    MedicationClass("other_corticosteroid", gettext_noop("Corticosteroid: other"), CORTICOSTEROID),
    MedicationClass(
        "immunosuppressant",
        gettext_noop(
            "Other immunosuppressant (azathioprine, mycophenolate, tacrolimus, JAK inhibitor, tripterygium …)"
        ),
        IMMUNOSUPPRESSANT,
    ),
    MedicationClass("phototherapy", gettext_noop("Phototherapy (NB-UVB, PUVA, excimer)"), PHOTOTHERAPY),
    MedicationClass("other", gettext_noop("Any other medication"), OTHER),
)
CLASSES_BY_KEY: dict[str, MedicationClass] = {item.key: item for item in MEDICATION_CLASSES}

# (code, label, systemic). "Systemic" is what §9 prohibits; an unknown or other route counts
# as systemic so that a prohibited class is flagged for the investigator rather than missed.
# Intra-articular, intralesional, inhaled, nasal, ophthalmic and topical use act locally.
ROUTES: tuple[tuple[str, str, bool], ...] = (
    ("ORAL", gettext_noop("Oral"), True),
    ("SUBLINGUAL", gettext_noop("Sublingual"), True),
    ("INTRAVENOUS", gettext_noop("Intravenous"), True),
    ("SUBCUTANEOUS", gettext_noop("Subcutaneous"), True),
    ("INTRAMUSCULAR", gettext_noop("Intramuscular"), True),
    ("TRANSDERMAL", gettext_noop("Transdermal (patch)"), True),
    ("RECTAL", gettext_noop("Rectal"), True),
    ("TOPICAL", gettext_noop("Topical (skin)"), False),
    ("INTRALESIONAL", gettext_noop("Intralesional"), False),
    ("INTRA-ARTICULAR", gettext_noop("Intra-articular"), False),
    ("RESPIRATORY (INHALATION)", gettext_noop("Inhaled"), False),
    ("NASAL", gettext_noop("Nasal"), False),
    ("OPHTHALMIC", gettext_noop("Eye"), False),
    ("VAGINAL", gettext_noop("Vaginal"), False),
    ("OTHER", gettext_noop("Other"), True),
    ("UNKNOWN", gettext_noop("Unknown"), True),
)
SYSTEMIC_ROUTES: frozenset[str] = frozenset(code for code, _, systemic in ROUTES if systemic)

# (code, label, administrations on a day the medication is taken; None: not known). Less than
# daily (every other day, weekly, once) is one administration on the day it is taken: §9's
# "mg/day" limit is about the days a steroid is taken, not an average over days without it.
FREQUENCIES: tuple[tuple[str, str, int | None], ...] = (
    ("ONCE", gettext_noop("Once"), 1),
    ("QD", gettext_noop("Once a day"), 1),
    ("BID", gettext_noop("Twice a day"), 2),
    ("TID", gettext_noop("Three times a day"), 3),
    ("QID", gettext_noop("Four times a day"), 4),
    ("QOD", gettext_noop("Every other day"), 1),
    ("QS", gettext_noop("Once a week"), 1),
    ("PRN", gettext_noop("As needed"), None),
    ("UNKNOWN", gettext_noop("Unknown"), None),
)
ADMINISTRATIONS_PER_DAY: dict[str, int | None] = {code: per_day for code, _, per_day in FREQUENCIES}

# (code, label, milligrams per unit; None: not a mass, so no mg/day can be derived).
DOSE_UNITS: tuple[tuple[str, str, Decimal | None], ...] = (
    ("mg", "mg", Decimal("1")),
    ("g", "g", Decimal("1000")),
    ("ug", "µg", Decimal("0.001")),
    ("mL", "mL", None),
    ("IU", "IU", None),
    ("TABLET", gettext_noop("tablet"), None),
    ("CAPSULE", gettext_noop("capsule"), None),
    ("PUFF", gettext_noop("puff"), None),
    ("OTHER", gettext_noop("other"), None),
)
MG_PER_UNIT: dict[str, Decimal | None] = {code: mg for code, _, mg in DOSE_UNITS}

# Names that suggest a class (lower case; English generic names and common Chinese names).
# The longest name found in the verbatim text wins, so "hydrocortisone" beats "cortisone" and
# "甲泼尼龙" (methylprednisolone) beats "泼尼松" (prednisone).
_SUGGESTIONS: dict[str, tuple[str, ...]] = {
    "methotrexate": ("methotrexate", "mtx", "甲氨蝶呤"),
    "ciclosporin": ("ciclosporin", "cyclosporin", "cyclosporine", "neoral", "sandimmun", "环孢素"),
    "acitretin": ("acitretin", "soriatane", "neotigason", "阿维a"),
    "apremilast": ("apremilast", "otezla", "阿普米司特", "阿普斯特"),
    # Not "fumarate" alone: many unrelated drugs are fumarate salts (bisoprolol, ferrous …).
    "fumarate": (
        "dimethyl fumarate",
        "monomethyl fumarate",
        "diroximel fumarate",
        "fumaric acid ester",
        "fumaderm",
        "skilarence",
        "富马酸二甲酯",
    ),
    "biologic": (
        "adalimumab",
        "etanercept",
        "infliximab",
        "certolizumab",
        "golimumab",
        "ustekinumab",
        "secukinumab",
        "ixekizumab",
        "brodalumab",
        "bimekizumab",
        "guselkumab",
        "risankizumab",
        "tildrakizumab",
        "阿达木单抗",
        "依那西普",
        "英夫利西单抗",
        "乌司奴单抗",
        "司库奇尤单抗",
        "依奇珠单抗",
        "古塞奇尤单抗",
    ),
    "prednisone": ("prednisone", "泼尼松"),
    "prednisolone": ("prednisolone", "泼尼松龙"),
    "methylprednisolone": ("methylprednisolone", "medrol", "solu-medrol", "甲泼尼龙", "甲强龙"),
    "dexamethasone": ("dexamethasone", "地塞米松"),
    "betamethasone": ("betamethasone", "倍他米松"),
    "hydrocortisone": ("hydrocortisone", "氢化可的松"),
    "cortisone": ("cortisone", "可的松"),
    "triamcinolone": ("triamcinolone", "曲安奈德", "曲安西龙"),
    "deflazacort": ("deflazacort", "地夫可特"),
    "other_corticosteroid": ("fludrocortisone", "budesonide", "氟氢可的松", "布地奈德"),
    "immunosuppressant": (
        "azathioprine",
        "mycophenolate",
        "mycophenolic",
        "tacrolimus",
        "sirolimus",
        "everolimus",
        "cyclophosphamide",
        "leflunomide",
        "tofacitinib",
        "baricitinib",
        "upadacitinib",
        "deucravacitinib",
        "tripterygium",
        "硫唑嘌呤",
        "吗替麦考酚酯",
        "他克莫司",
        "环磷酰胺",
        "来氟米特",
        "托法替布",
        "雷公藤",
    ),
    "phototherapy": ("phototherapy", "nb-uvb", "narrowband uvb", "uvb", "puva", "excimer", "光疗"),
}


def medication_class(key: str) -> MedicationClass:
    """The class with ``key``; ValueError naming the known keys otherwise."""
    try:
        return CLASSES_BY_KEY[key]
    except KeyError:
        raise ValueError(f"unknown medication class {key!r}; expected one of {', '.join(CLASSES_BY_KEY)}") from None


def suggest_class(verbatim: str) -> str | None:
    """A class key suggested by a verbatim medication name, or None (a suggestion only, §9).

    Case-insensitive; the longest known name contained in ``verbatim`` decides. None when no
    known name appears: the user picks the class.
    """
    text = verbatim.casefold()
    best_key, best_length = None, 0
    for key, names in _SUGGESTIONS.items():
        for name in names:
            if len(name) > best_length and name in text:
                best_key, best_length = key, len(name)
    return best_key
