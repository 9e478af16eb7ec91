"""/api/schema/ documents the principles' endpoints under the tag principles, their version fields from the
schema that validates them, every step, and the answers a client has to handle."""

from __future__ import annotations

import yaml

from membrane.principles.api_write import STEPS
from membrane.principles.schemas import VERSION


def test_the_principles_endpoints_are_documented(client, agent):
    client.force_login(agent)
    paths = yaml.safe_load(client.get("/api/schema/").content)["paths"]
    base = "/api/v1/principles"
    operations = {
        (path, method): operation
        for path, methods in paths.items()
        # The impact preview's endpoint is documented by its own tests.
        if path.startswith(base) and not path.endswith("/impact")
        for method, operation in methods.items()
        if method in ("get", "post", "patch")
    }

    assert set(operations) == {
        (base, "get"),
        (base, "post"),
        (f"{base}/{{slug}}", "get"),
        (f"{base}/{{slug}}/versions", "post"),
        (f"{base}/{{slug}}/versions/{{number}}", "patch"),
        (f"{base}/{{slug}}/versions/{{number}}/{{step}}", "post"),
    }
    assert all(operation["tags"] == ["principles"] for operation in operations.values())

    create = operations[(base, "post")]
    body = create["requestBody"]["content"]["application/json"]["schema"]
    assert {name: body["properties"][name] for name in VERSION.fields} == VERSION.openapi()["properties"]
    assert set(body["required"]) == {"slug", "title", "condition", "effect"}
    assert {"201", "400", "401", "403"} <= set(create["responses"])

    patch = operations[(f"{base}/{{slug}}/versions/{{number}}", "patch")]
    assert "lock_version" in patch["requestBody"]["content"]["application/json"]["schema"]["required"]
    assert {"200", "400", "403", "404", "409"} <= set(patch["responses"])

    step = operations[(f"{base}/{{slug}}/versions/{{number}}/{{step}}", "post")]
    [parameter] = [p for p in step["parameters"] if p["name"] == "step"]
    assert set(parameter["schema"]["enum"]) == set(STEPS)
    assert set(STEPS) == {"submit", "approve", "reject", "publish", "retire", "rollback"}
    assert {"200", "201", "403", "404", "409"} <= set(step["responses"])
