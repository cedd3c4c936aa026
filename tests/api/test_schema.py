"""OpenAPI 3 schema at /api/v1/schema/ and the docs page at /api/v1/docs/."""

import pytest
import yaml
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from portfolio import api_urls

pytestmark = pytest.mark.django_db

EXPECTED_OPERATIONS = {
    ("/api/v1/auth/token/", "post"),
    ("/api/v1/auth/token/", "delete"),
    ("/api/v1/use-cases/", "get"),
    ("/api/v1/use-cases/", "post"),
    ("/api/v1/use-cases/{id}/", "get"),
    ("/api/v1/use-cases/{id}/", "patch"),
    ("/api/v1/use-cases/{id}/business-case/", "get"),
    ("/api/v1/use-cases/{id}/business-case/", "put"),
    ("/api/v1/use-cases/{id}/economics/", "get"),
    ("/api/v1/use-cases/{id}/scenarios/", "get"),
    ("/api/v1/weekly-reviews/", "get"),
    ("/api/v1/weekly-reviews/", "post"),
    ("/api/v1/weekly-reviews/{id}/", "get"),
    ("/api/v1/weekly-reviews/{id}/", "patch"),
    ("/api/v1/monthly-reviews/", "get"),
    ("/api/v1/monthly-reviews/", "post"),
    ("/api/v1/monthly-reviews/{id}/", "get"),
    ("/api/v1/monthly-reviews/{id}/", "patch"),
    ("/api/v1/model-changes/", "get"),
    ("/api/v1/model-changes/", "post"),
    ("/api/v1/model-changes/{id}/", "get"),
}
NOT_OFFERED = {
    ("/api/v1/use-cases/{id}/", "put"),
    ("/api/v1/use-cases/{id}/", "delete"),
    ("/api/v1/weekly-reviews/{id}/", "put"),
    ("/api/v1/weekly-reviews/{id}/", "delete"),
    ("/api/v1/monthly-reviews/{id}/", "delete"),
    ("/api/v1/model-changes/{id}/", "patch"),
}


@pytest.fixture
def schema():
    response = APIClient().get("/api/v1/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


#: The routes this module covers (other resources have their own schema tests).
OWN_ROUTES = (
    "auth/token/",
    "^use-cases/",
    "^weekly-reviews/",
    "^monthly-reviews/",
    "^model-changes/",
)


def test_schema_of_these_resources_is_valid_and_without_warnings():
    """What ``manage.py spectacular --validate --fail-on-warn`` checks, for these routes."""
    own = [p for p in api_urls.urlpatterns if str(p.pattern).startswith(OWN_ROUTES)]
    assert len(own) > 10
    GENERATOR_STATS.reset()
    generator = SchemaGenerator(patterns=[path("api/v1/", include(own))])
    schema = generator.get_schema(request=None, public=True)
    validate_schema(schema)
    assert not GENERATOR_STATS._warn_cache, dict(GENERATOR_STATS._warn_cache)
    assert not GENERATOR_STATS._error_cache, dict(GENERATOR_STATS._error_cache)
    assert "/api/v1/use-cases/{id}/economics/" in schema["paths"]


def test_schema_lists_the_v1_operations(schema):
    operations = {(path, method) for path, item in schema["paths"].items() for method in item}
    assert operations >= EXPECTED_OPERATIONS
    assert not NOT_OFFERED & operations


def test_economics_parameters_and_shapes(schema):
    operation = schema["paths"]["/api/v1/use-cases/{id}/economics/"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"id", "start", "end"}
    economics = schema["components"]["schemas"]["Economics"]["properties"]
    assert set(economics) == {
        "start",
        "end",
        "gross_efficiency",
        "translation_gap",
        "absorption_cost",
        "net_value",
        "waterfall",
        "net_value_90_days",
        "by_month",
    }
    assert economics["net_value"]["type"] == "string"


def test_patch_documents_409(schema):
    responses = schema["paths"]["/api/v1/weekly-reviews/{id}/"]["patch"]["responses"]
    assert {"200", "400", "409"} <= set(responses)


def test_review_lists_are_paginated_and_filtered(schema):
    operation = schema["paths"]["/api/v1/weekly-reviews/"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"page", "use_case", "week"}
    page = schema["components"]["schemas"]["PaginatedWeeklyReviewList"]["properties"]
    assert {"count", "next", "previous", "results"} <= set(page)


def test_docs_page_loads_swagger_ui_from_our_static_files():
    response = APIClient().get("/api/v1/docs/")
    assert response.status_code == 200
    assert b"swagger-ui" in response.content
    assert b"cdn." not in response.content  # no CDN: works offline
    assert b"/static/drf_spectacular_sidecar/swagger-ui-dist/" in response.content
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "http" not in csp
    script = APIClient().get("/api/v1/docs/?script=")
    assert script.status_code == 200
    assert b"/api/v1/schema/" in script.content


def test_token_endpoint_is_open_and_everything_else_needs_credentials(schema):
    token = schema["paths"]["/api/v1/auth/token/"]["post"]
    # No credentials (the body carries them): no security requirement, here or schema-wide.
    assert token.get("security", schema.get("security", [])) in ([{}], [])
    assert set(token["responses"]) >= {"200", "400", "429"}
    issued = token["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    issued = schema["components"]["schemas"][issued.rsplit("/", 1)[1]]
    assert set(issued["required"]) == {"token", "expires_at"}
    # Revoking a token takes that token, and nothing else.
    revoke = schema["paths"]["/api/v1/auth/token/"]["delete"]
    assert revoke["security"] == [{"tokenAuth": []}]
    assert set(revoke["responses"]) >= {"204", "401"}
    use_cases = schema["paths"]["/api/v1/use-cases/"]["get"]
    assert {"tokenAuth": []} in use_cases["security"] and {} not in use_cases["security"]


def test_every_operation_documents_the_database_outage_503(schema):
    """portfolio/db_unavailable.py may answer any of them 503 with Retry-After."""
    operations = [
        (url, method, operation)
        for url, item in schema["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    assert len(operations) > 20
    for url, method, operation in operations:
        unavailable = operation["responses"].get("503")
        assert unavailable is not None, (method, url)
        assert "Retry-After" in unavailable["headers"], (method, url)
