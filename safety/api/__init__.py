"""REST endpoints of the safety app (routes: urls.py)."""
