"""REST endpoints of the dosing app (routes: urls.py)."""
