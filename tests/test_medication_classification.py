"""Medication classes, routes, frequencies, units and the name suggestion (PROTOCOL §9)."""

from decimal import Decimal

import pytest

from medications.classification import (
    ADMINISTRATIONS_PER_DAY,
    BIOLOGIC,
    CLASSES_BY_KEY,
    CORTICOSTEROID,
    MEDICATION_CLASSES,
    MG_PER_UNIT,
    PHOTOTHERAPY,
    SYSTEMIC_PSORIASIS,
    SYSTEMIC_ROUTES,
    medication_class,
    suggest_class,
)

D = Decimal


def test_every_systemic_psoriasis_therapy_of_the_protocol_has_a_class():
    for key in ("methotrexate", "ciclosporin", "acitretin", "apremilast", "fumarate"):
        assert medication_class(key).group == SYSTEMIC_PSORIASIS
    assert medication_class("biologic").group == BIOLOGIC
    assert medication_class("phototherapy").group == PHOTOTHERAPY


def test_prednisone_equivalents_are_the_bnf_table():
    # mg of each steroid equivalent to 1 mg prednisone = BNF dose equivalent to 5 mg prednisolone / 5
    expected = {
        "prednisone": D("1"),
        "prednisolone": D("1"),  # 5 mg
        "methylprednisolone": D("0.8"),  # 4 mg
        "dexamethasone": D("0.15"),  # 750 µg
        "betamethasone": D("0.15"),  # 750 µg
        "hydrocortisone": D("4"),  # 20 mg
        "cortisone": D("5"),  # 25 mg
        "triamcinolone": D("0.8"),  # 4 mg
        "deflazacort": D("1.2"),  # 6 mg
        "other_corticosteroid": None,
    }
    steroids = {item.key: item.equivalent_mg for item in MEDICATION_CLASSES if item.group == CORTICOSTEROID}
    assert steroids == expected


def test_only_corticosteroids_have_an_equivalent():
    for item in MEDICATION_CLASSES:
        if item.group != CORTICOSTEROID:
            assert item.equivalent_mg is None
    assert len(CLASSES_BY_KEY) == len(MEDICATION_CLASSES)


def test_routes():
    for route in ("ORAL", "INTRAVENOUS", "SUBCUTANEOUS", "INTRAMUSCULAR", "OTHER", "UNKNOWN"):
        assert route in SYSTEMIC_ROUTES
    for route in ("TOPICAL", "RESPIRATORY (INHALATION)", "OPHTHALMIC", "NASAL", "INTRA-ARTICULAR", "INTRALESIONAL"):
        assert route not in SYSTEMIC_ROUTES


def test_frequencies_and_units():
    assert ADMINISTRATIONS_PER_DAY["QD"] == 1
    assert ADMINISTRATIONS_PER_DAY["BID"] == 2
    assert ADMINISTRATIONS_PER_DAY["TID"] == 3
    assert ADMINISTRATIONS_PER_DAY["QID"] == 4
    assert ADMINISTRATIONS_PER_DAY["QOD"] == 1
    assert ADMINISTRATIONS_PER_DAY["PRN"] is None
    assert MG_PER_UNIT["g"] == D("1000")
    assert MG_PER_UNIT["ug"] == D("0.001")
    assert MG_PER_UNIT["TABLET"] is None


def test_unknown_class():
    with pytest.raises(ValueError, match="unknown medication class"):
        medication_class("aspirin")


@pytest.mark.parametrize(
    ("verbatim", "expected"),
    [
        ("Methotrexate 2.5 mg tablets", "methotrexate"),
        ("MTX", "methotrexate"),
        ("甲氨蝶呤片", "methotrexate"),
        ("Cyclosporine A", "ciclosporin"),
        ("Neoral", "ciclosporin"),
        ("阿维A胶囊", "acitretin"),
        ("Otezla", "apremilast"),
        ("Dimethyl fumarate", "fumarate"),
        ("Bisoprolol fumarate", None),  # a fumarate salt, not a psoriasis fumarate
        ("Ferrous fumarate", None),
        ("Humira (adalimumab)", "biologic"),
        ("司库奇尤单抗注射液", "biologic"),
        ("Prednisone", "prednisone"),
        ("Prednisolone", "prednisolone"),
        ("Methylprednisolone", "methylprednisolone"),  # not prednisolone
        ("甲泼尼龙片", "methylprednisolone"),
        ("泼尼松龙", "prednisolone"),  # not prednisone
        ("泼尼松", "prednisone"),
        ("Hydrocortisone", "hydrocortisone"),  # not cortisone
        ("氢化可的松", "hydrocortisone"),
        ("Cortisone acetate", "cortisone"),
        ("Fludrocortisone", "other_corticosteroid"),
        ("Dexamethasone", "dexamethasone"),
        ("Tacrolimus", "immunosuppressant"),
        ("雷公藤多苷片", "immunosuppressant"),
        ("NB-UVB", "phototherapy"),
        ("Paracetamol", None),
        ("", None),
    ],
)
def test_suggest_class(verbatim, expected):
    assert suggest_class(verbatim) == expected
