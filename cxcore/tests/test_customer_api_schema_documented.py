"""/api/schema/ documents the signals and customer endpoints with their request shapes."""

from __future__ import annotations

import yaml


def test_the_schema_is_for_logged_in_users_and_tokens(client, db, agent, api, make_token):
    assert client.get("/api/schema/").status_code in (401, 403)
    assert api(make_token("read")).get("/api/schema/").status_code == 200
    client.force_login(agent)
    assert client.get("/api/docs/").status_code == 200


def test_the_schema_documents_signals_and_customers(client, agent):
    client.force_login(agent)
    response = client.get("/api/schema/")

    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    signals = schema["paths"]["/api/v1/signals"]["post"]
    body = signals["requestBody"]["content"]["application/json"]["schema"]
    item = body["properties"]["signals"]["items"]
    assert body["properties"]["signals"]["maxItems"] == 1000
    assert set(item["required"]) == {"customer", "kind", "occurred_at"}
    assert item["properties"]["occurred_at"]["format"] == "date-time"
    assert {"201", "400", "401", "403"} <= set(signals["responses"])
    assert signals["requestBody"]["content"]["application/json"]["examples"]
    customer = schema["paths"]["/api/v1/customers/{external_id}"]
    assert {"get", "put"} <= set(customer)
    assert "timezone" in customer["put"]["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert "404" in customer["get"]["responses"]


def test_every_operation_documents_the_503_of_a_database_that_does_not_answer(client, agent):
    # Any endpoint answers 503 with Retry-After while the database is down (cxcore.views_errors; the fault test
    # tests/faults/test_postgresql_restarts_under_the_app.py sees it): integrations read it in the schema.
    client.force_login(agent)
    schema = yaml.safe_load(client.get("/api/schema/").content)
    operations = [
        (path, method, operation)
        for path, item in schema["paths"].items()
        if path.startswith("/api/v1/")
        for method, operation in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]
    assert len(operations) > 20
    undocumented = [f"{method} {path}" for path, method, operation in operations if "503" not in operation["responses"]]
    assert undocumented == []
    assert "Retry-After" in schema["paths"]["/api/v1/decisions"]["post"]["responses"]["503"]["description"]
