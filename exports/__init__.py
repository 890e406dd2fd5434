"""The exports app: CDISC SDTM (CSV, SAS XPORT v5, Define-XML 2.1, the submission ZIP), CDISC ODM 1.3.2,
the data dictionary and the audit trail.

Exports read straight from the clinical tables. An SDTM dataset is one module of `sdtm/` (its variables'
metadata, one SQL statement streamed in bounded memory by PostgreSQL's `COPY (...) TO STDOUT WITH CSV
HEADER`, and the same rows built in Python for SQLite); see `sdtm/base.py` and `streaming.py`.
"""
