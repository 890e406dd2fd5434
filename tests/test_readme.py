"""The README's permission matrix is the one in trialsite/roles.py."""

import re
from pathlib import Path

from trialsite.roles import CAPABILITIES, Cap, Role

README = Path(__file__).resolve().parent.parent / "README.md"
COLUMNS = [
    Role.COORDINATOR,
    Role.INVESTIGATOR,
    Role.DATA_MANAGER,
    Role.DMC_REVIEWER,
    Role.API_CLIENT,
    Role.ADMIN,
    Role.MONITOR,
]


def test_permission_matrix_matches_roles_module():
    rows = {}
    for line in README.read_text().splitlines():
        match = re.match(r"^\|[^|]*\(`(\w+)`[^|]*\)\s*\|(.*)\|$", line)
        if match:
            cells = [c.strip() for c in match.group(2).split("|")]
            rows[Cap(match.group(1))] = {role for role, cell in zip(COLUMNS, cells, strict=True) if cell == "✔"}
    expected = {cap: set(roles) for cap, roles in CAPABILITIES.items() if cap != Cap.HOME}
    assert rows == expected


def test_readme_gives_the_two_commands():
    text = README.read_text()
    assert "make run" in text and "make test" in text
