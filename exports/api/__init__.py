"""Export, data-dictionary and audit-trail endpoints (routes: urls.py)."""
