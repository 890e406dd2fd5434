"""The exports app: CDISC SDTM-style CSV, CDISC ODM 1.3.2, the data dictionary and the audit trail.

Exports read straight from the clinical tables. CSV datasets are single SQL statements (the
database joins and formats; Python only moves bytes) streamed with constant memory: on
PostgreSQL through `COPY (...) TO STDOUT WITH CSV HEADER`, elsewhere through a cursor read in
chunks. See `streaming.py`.
"""
