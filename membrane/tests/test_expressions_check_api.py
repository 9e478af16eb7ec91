"""POST /api/v1/expressions/check: every problem with its position, the facts read, and auth."""

from __future__ import annotations

import pytest

URL = "/api/v1/expressions/check"


@pytest.fixture
def token(make_token):
    return make_token("read")


def test_a_valid_expression_lists_the_facts_it_reads(api, token):
    response = api(token).post(
        URL, {"expression": 'stage in ["crisis", "at_risk"] and not eta_given', "context": "audience"}
    )
    assert response.status_code == 200
    assert response.json() == {"ok": True, "facts": ["stage", "eta_given"]}


def test_problems_come_with_line_column_and_suggestion(api, token):
    response = api(token).post(URL, {"expression": 'open_ticket > 0 and\n  stage == "crisys"', "context": "stage_rule"})
    assert response.status_code == 200
    assert response.json() == {
        "ok": False,
        "errors": [
            {
                "line": 1,
                "column": 1,
                "message": "unknown fact 'open_ticket' — did you mean 'open_tickets'?",
                "suggestion": "open_tickets",
            },
            {
                "line": 2,
                "column": 12,
                "message": "unknown stage 'crisys' — did you mean 'crisis'?",
                "suggestion": '"crisis"',
            },
        ],
    }


def test_a_syntax_error_has_no_suggestion_key_when_there_is_none(api, token):
    response = api(token).post(URL, {"expression": "open_tickets >", "context": "principle"})
    assert response.json() == {
        "ok": False,
        "errors": [{"line": 1, "column": 15, "message": "expected a value after '>'"}],
    }


def test_interaction_context_only_in_principles(api, token):
    source = 'team == "service" and channel == "email" and local_hour < 20'
    assert api(token).post(URL, {"expression": source, "context": "principle"}).json() == {
        "ok": True,
        "facts": ["team", "channel", "local_hour"],
    }
    answer = api(token).post(URL, {"expression": source, "context": "audience"}).json()
    assert answer["ok"] is False
    assert [e["column"] for e in answer["errors"]] == [1, 23, 46]


def test_too_long_is_a_problem_not_a_bad_request(api, token):
    response = api(token).post(URL, {"expression": "x" * 10_000, "context": "audience"})
    assert response.status_code == 200
    assert response.json() == {
        "ok": False,
        "errors": [{"line": 1, "column": 1, "message": "expression is 10000 characters long; the limit is 2000"}],
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"context": "audience"}, "expression"),
        ({"expression": "eta_given"}, "context"),
        ({"expression": 5, "context": "audience"}, "expression"),
        ({"expression": None, "context": "audience"}, "expression"),
        ({"expression": "eta_given", "context": "campaign"}, "context"),
    ],
)
def test_missing_or_ill_typed_body_is_400_in_the_apis_error_shape(api, token, body, field):
    response = api(token).post(URL, body)
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["index"], error["field"]) == (None, field) and error["message"]


def test_a_body_that_is_not_an_object_is_400(api, token):
    assert api(token).post(URL, ["eta_given"]).status_code == 400
    assert api(token).post(URL, raw="{not json").status_code == 400


def test_a_logged_in_console_user_may_check(client, agent):
    client.force_login(agent)
    response = client.post(URL, {"expression": "eta_given", "context": "principle"}, content_type="application/json")
    assert response.status_code == 200
    assert response.json() == {"ok": True, "facts": ["eta_given"]}


def test_anonymous_and_bad_tokens_are_refused(api, db):
    assert api(None).post(URL, {"expression": "eta_given", "context": "principle"}).status_code == 401
    assert api("not-a-token").post(URL, {"expression": "eta_given", "context": "principle"}).status_code == 401


def test_a_token_without_the_read_scope_and_a_user_without_a_role_are_refused(api, make_token, client, outsider):
    body = {"expression": "open_tickets > 0", "context": "principle"}
    assert api(make_token("ingest")).post(URL, body).status_code == 403
    client.force_login(outsider)
    assert client.post(URL, body, content_type="application/json").status_code == 403
