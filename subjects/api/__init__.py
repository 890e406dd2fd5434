"""REST endpoints of the subjects app (routes: urls.py)."""
