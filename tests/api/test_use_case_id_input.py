"""A ``use_case`` in a request body that is not a plain id is a 400 at the field, never a 500
(digits Python's ``int()`` would take, such as superscripts); an id beyond bigint is an unknown
use case (404), like any id nobody has."""

import pytest

from tests.api.conftest import weekly_payload
from tests.api.test_weekly_review_submit_cost import token_client

ODD = ["²", "٣", "-1", "1.5", ""]
HUGE = "99999999999999999999999"


@pytest.mark.parametrize("value", ODD)
def test_weekly_review_with_an_odd_use_case_id(value, use_case, contributor):
    payload = {**weekly_payload(use_case), "use_case": value}
    response = token_client(contributor).post("/api/v1/weekly-reviews/", payload, format="json")
    assert response.status_code == 400, response.content
    assert "use_case" in response.json()


@pytest.mark.parametrize("value", ODD)
def test_model_change_with_an_odd_use_case_id(value, use_case, owner):
    payload = {"use_case": value, "version_label": "v2", "kind": "model"}
    response = token_client(owner).post("/api/v1/model-changes/", payload, format="json")
    assert response.status_code == 400, response.content
    assert "use_case" in response.json()


@pytest.mark.parametrize("endpoint", ["/api/v1/weekly-reviews/", "/api/v1/model-changes/"])
def test_an_id_beyond_bigint_is_an_unknown_use_case(endpoint, use_case, owner):
    response = token_client(owner).post(endpoint, {"use_case": HUGE}, format="json")
    assert response.status_code == 404
    assert response.json() == {"detail": "No such use case."}
