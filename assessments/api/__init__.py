"""REST endpoints of the assessments app (routes: urls.py)."""
