"""The laboratory, medication and coding apps keep to their layer, and their rule modules stay pure.

They sit beside assessments and dosing (coding beside safety, which will read from it): they may
import subjects and trialsite, never safety, dosing, assessments, exports or each other. Their
rule modules import the standard library and their own app only — no Django, no ORM, no request.
"""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("labs", "medications", "coding")
RULE_MODULES = (
    "labs/catalogue.py",
    "labs/ranges.py",
    "labs/ctcae.py",
    "medications/partial_dates.py",
    "medications/classification.py",
    "medications/rules.py",
    "medications/history.py",
    "coding/meddra_files.py",
    "coding/terms.py",
)
THIRD_PARTY_ALLOWED = {"django", "rest_framework", "django_filters", "simple_history", "drf_spectacular", "celery"}


def imported_packages(path: Path) -> set[str]:
    packages = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            packages.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            packages.add(node.module.split(".")[0])
    return packages


def app_files(app: str) -> list[Path]:
    return [path for path in (ROOT / app).rglob("*.py") if "migrations" not in path.parts]


@pytest.mark.parametrize("app", APPS)
def test_the_app_imports_only_its_layer_and_below(app):
    allowed = set(sys.stdlib_module_names) | THIRD_PARTY_ALLOWED | {app, "subjects", "trialsite"}
    for path in app_files(app):
        assert imported_packages(path) <= allowed, path.relative_to(ROOT)


@pytest.mark.parametrize("module", RULE_MODULES)
def test_rule_modules_are_pure(module):
    app = module.split("/")[0]
    assert imported_packages(ROOT / module) <= set(sys.stdlib_module_names) | {app}
