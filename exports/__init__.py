"""The exports app: CDISC SDTM-style CSV, CDISC ODM 1.3.2, the data dictionary and the audit trail.

Exports read straight from the clinical tables. An SDTM dataset is one SQL statement
(`sdtm_sql.py`) streamed in bounded memory by PostgreSQL's `COPY (...) TO STDOUT WITH CSV HEADER`;
on SQLite (development) the same rows are built in Python (`sdtm.py`). See `streaming.py`.
"""
