"""SUPP-- datasets: the supplemental qualifiers of a dataset, made from its variables marked `supp`.

One record per parent record and supplemental variable with a value: RDOMAIN the parent domain,
IDVAR its --SEQ variable and IDVARVAL that record's number (DM, without one: both empty), QNAM / QLABEL
the variable's name and label, QVAL its value, QORIG its origin, QEVAL its evaluator. On PostgreSQL
the statement wraps the parent's; in Python it reads the parent's rows. Same order: the parent's (by
USUBJID as bytes, people never enrolled last), then the parent record, then the order the variables are
declared in.
"""

from exports.sdtm import common
from exports.sdtm.base import Dataset, Variable

V = Variable


def supplemental(parent: Dataset) -> Dataset:
    """The SUPP-- dataset of `parent` (which has at least one variable marked `supp`)."""
    qualifiers = parent.supplemental
    seq = f"{parent.name}SEQ" if f"{parent.name}SEQ" in parent.variable_index else None
    variables = (
        common.studyid(),
        V("RDOMAIN", "Related Domain Abbreviation", core="Req", origin="Assigned", comment=f"Always {parent.name}."),
        common.usubjid_variable(),
        V("IDVAR", "Identifying Variable", core="Exp", origin="Assigned", comment=f"{seq or 'Empty'}."),
        V("IDVARVAL", "Identifying Variable Value", core="Exp", comment=f"{seq or 'Empty'} of the parent record."),
        V("QNAM", "Qualifier Variable Name", core="Req", origin="Assigned", codelist=f"QNAM.{parent.name}"),
        V("QLABEL", "Qualifier Variable Label", core="Req", origin="Assigned"),
        V("QVAL", "Data Value", core="Req", comment="See the value-level metadata of each QNAM."),
        V("QORIG", "Origin", core="Req", origin="Assigned"),
        V("QEVAL", "Evaluator", core="Exp", origin="Assigned"),
    )  # fmt: skip
    names = parent.all_columns
    positions = [names.index(q.name) for q in qualifiers]
    seq_position = names.index(seq) if seq else None

    def rows(study, *, safety: bool = False):
        for row in parent.rows(study, safety=safety):
            for qualifier, position in zip(qualifiers, positions, strict=True):
                value = row[position]
                if value is not None:
                    yield (
                        row[0], parent.name, row[2], seq, None if seq is None else str(row[seq_position]),
                        qualifier.name, qualifier.label, str(value), qualifier.origin, qualifier.evaluator,
                    )  # fmt: skip

    sql = None
    if parent.sql is not None:

        def literal(text: str | None) -> str:
            return "NULL" if text is None else "'" + text.replace("'", "''") + "'"

        values = ",\n        ".join(
            f'({n}, {literal(q.name)}, {literal(q.label)}, p."{q.name}"::text, {literal(q.origin)}, '
            f"{literal(q.evaluator)}::text)"
            for n, q in enumerate(qualifiers, start=1)
        )
        idvarval = f'p."{seq}"::text' if seq else "NULL::text"
        # The parent's order (common.SORT_KEY) from USUBJID alone: people never enrolled
        # (STUDYID-SITEID-SCR-nnn) after everyone enrolled, at any site, by screening number.
        person = "regexp_replace(p.\"USUBJID\", '^.*-(SCR-[0-9]+)$', '~\\1') COLLATE \"C\""
        order = f'{person}, p."{seq}", q.n' if seq else f"{person}, q.n"
        sql = f"""
SELECT
    p."STUDYID" AS "STUDYID",
    '{parent.name}' AS "RDOMAIN",
    p."USUBJID" AS "USUBJID",
    {literal(seq)}::text AS "IDVAR",
    {idvarval} AS "IDVARVAL",
    q.qnam AS "QNAM",
    q.qlabel AS "QLABEL",
    q.qval AS "QVAL",
    q.qorig AS "QORIG",
    q.qeval AS "QEVAL"
FROM ({parent.sql}) AS p
CROSS JOIN LATERAL (VALUES
        {values}
) AS q(n, qnam, qlabel, qval, qorig, qeval)
WHERE q.qval IS NOT NULL
ORDER BY {order}
"""
    return Dataset(
        name=f"SUPP{parent.name}", label=f"Supplemental Qualifiers for {parent.name}", category="RELATIONSHIP",
        structure="One record per supplemental qualifier per related parent domain record",
        keys=("STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM"), variables=variables, rows=rows,
        sql=sql, params=parent.params, safety=parent.safety, parent=parent.name,
    )  # fmt: skip
