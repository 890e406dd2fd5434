"""Role ladder for every export/audit endpoint: anonymous 401, wrong role 403, right role 200; DMC cannot write."""

import pytest
from django.test import Client

from tests.conftest import logged_in

FULL = ("data_manager", "api_client_user", "administrator")
SAFETY = (*FULL, "dmc_reviewer")
AUDIT = ("data_manager", "administrator")
ALL = ("coordinator", "investigator", "data_manager", "dmc_reviewer", "api_client_user", "administrator", "outsider")

ENDPOINTS = {
    "/api/v1/exports/sdtm/dm.csv": SAFETY,
    "/api/v1/exports/sdtm/ex.csv": SAFETY,
    "/api/v1/exports/sdtm/ae.csv": SAFETY,
    "/api/v1/exports/sdtm/ie.csv": FULL,
    "/api/v1/exports/sdtm/sv.csv": FULL,
    "/api/v1/exports/sdtm/vs.csv": FULL,
    "/api/v1/exports/sdtm/rs.csv": FULL,
    "/api/v1/exports/odm.xml": FULL,
    "/api/v1/data-dictionary/": SAFETY,
    "/api/v1/audit-trail/": AUDIT,
    "/api/v1/audit-trail.csv": AUDIT,
    "/api/v1/exports/audit-trail.csv": AUDIT,
}


@pytest.mark.parametrize("url", ENDPOINTS)
def test_role_ladder(personas, url):
    assert Client().get(url).status_code == 401
    for name in ALL:
        expected = 200 if name in ENDPOINTS[url] else 403
        assert logged_in(personas[name]).get(url).status_code == expected, name


@pytest.mark.parametrize("url", ENDPOINTS)
def test_exports_are_read_only(personas, url):
    for method in ("post", "put", "patch", "delete"):
        response = getattr(logged_in(personas["dmc_reviewer"]), method)(url, "{}", content_type="application/json")
        assert response.status_code in (403, 405), (method, response.status_code)
        response = getattr(logged_in(personas["data_manager"]), method)(url, "{}", content_type="application/json")
        assert response.status_code in (403, 405), (method, response.status_code)
