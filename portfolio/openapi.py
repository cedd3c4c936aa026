"""OpenAPI post-processing: the error responses every operation can give, documented once.

drf-spectacular documents what each view declares (its success status, a 400 or 409 some views
name); the errors DRF itself answers with are left out. A client — and schemathesis
(``tests/security/test_schemathesis.py``) — must find every status the API can send, so each
operation gets, unless it documents it already:

- 400 when it takes a body or query parameters (validation, a filter or a page it cannot read)
  or changes something (an action refused in the object's state: closing a gate still in draft);
- 401 and 403 when it needs authentication (an invalid token is 401; no credentials with the
  session authenticator first, or a role that may not do this, is 403);
- 415 when it takes a body (a content type it does not parse, or a body that does not parse as
  the type it claims);
- 404 when its path or its body names an object (absent, or hidden from this user: a review of a
  use case the user may not see) or it is paginated (a page past the end);
- 503 with ``Retry-After`` on every operation: the database is out of reach (a restart, a
  failover; ``portfolio/db_unavailable.py``). Nothing was changed; the same request may be sent
  again after that many seconds.

Registered in ``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``.
"""

ERROR_SCHEMA = {
    "type": "object",
    "description": "``detail`` for 401/403/404/503; field name → messages for a 400.",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
ERRORS = {
    "400": "Invalid input: the message of each field (or of the request as a whole).",
    "401": "The token is invalid.",
    "403": "Not authenticated, or not allowed to do this.",
    "404": "No such object, or not visible to this user.",
    "415": "Unsupported media type: the body is not JSON, a form or multipart data it can read.",
    "503": "The database is out of reach for a moment: send the request again after Retry-After.",
}


def _error(status: str) -> dict:
    response = {
        "description": ERRORS[status],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    if status == "503":
        response["headers"] = {
            "Retry-After": {
                "description": "Seconds to wait before sending the request again.",
                "schema": {"type": "integer"},
            }
        }
    return response


def _statuses(path: str, method: str, operation: dict) -> list[str]:
    query = [p for p in operation.get("parameters", []) if p.get("in") == "query"]
    statuses = []
    if "requestBody" in operation or query or method in {"post", "put", "patch", "delete"}:
        statuses.append("400")
    requirements = operation.get("security", [])
    if requirements and {} not in requirements:
        statuses += ["401", "403"]
    if "requestBody" in operation:
        statuses.append("415")
    paginated = any(p["name"] == "page" for p in query)
    if "{" in path or "requestBody" in operation or paginated:
        statuses.append("404")
    statuses.append("503")
    return statuses


def document_error_responses(result, generator, request, public):
    """drf-spectacular post-processing hook (see the module docstring)."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in HTTP_METHODS:  # path-level "parameters", "summary"...
                continue
            responses = operation.setdefault("responses", {})
            for status in _statuses(path, method, operation):
                responses.setdefault(status, _error(status))
    return result
