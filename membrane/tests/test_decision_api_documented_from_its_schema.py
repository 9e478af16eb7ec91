"""/api/schema/ documents a decision question from the schema that validates it (issue 13)."""

from __future__ import annotations

import yaml

from membrane.decisions.api import QUESTION


def test_the_documented_question_is_the_validated_one(client, agent):
    client.force_login(agent)
    paths = yaml.safe_load(client.get("/api/schema/").content)["paths"]

    single = paths["/api/v1/decisions"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    batch = paths["/api/v1/decisions/batch"]["post"]["requestBody"]["content"]["application/json"]["schema"]

    assert single == batch["properties"]["decisions"]["items"] == QUESTION.openapi()
    assert set(single["properties"]) == {"customer", "team", "category", "channel", "at"}
    assert set(single["required"]) == {"customer", "team", "category", "channel"}
    assert single["properties"]["at"]["nullable"] is True  # null asks about now, as leaving it out does
    assert single["additionalProperties"] is False
