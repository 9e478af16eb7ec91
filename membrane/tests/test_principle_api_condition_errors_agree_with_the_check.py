"""Whatever condition a principle is written with, the principles API reports the same problems (line, column,
message, suggestion) as POST /api/v1/expressions/check does for it in the principle context, and none when the
check finds none: the editor and an API client point at the same places."""

from __future__ import annotations

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from membrane.models.principles import Principle
from membrane.tests.principle_api_support import URL, Console, principle_body

FACTS = st.sampled_from(["stage", "days_in_stage", "open_tickets", "open_ticket", "eta_given", "stag", "region"])
OPERATORS = st.sampled_from(["==", "!=", ">", "<=", "=", "in", "and", ""])
VALUES = st.sampled_from(['"crisis"', '"crisiss"', "3", "2.5", "true", '["crisis", "at_risk"]', "(", ""])
TERMS = st.builds(lambda fact, op, value: f"{fact} {op} {value}".strip(), FACTS, OPERATORS, VALUES)
CONDITIONS = st.one_of(
    st.lists(TERMS, min_size=1, max_size=3).map(lambda terms: " and\n ".join(terms)),
    st.text(alphabet='abcdeginorst_ =<>!()"0123456789\n', min_size=1, max_size=30).filter(str.strip),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(condition=CONDITIONS)
def test_the_api_reports_the_condition_as_the_check_does(cx_manager, condition):
    note(repr(condition))
    console = Console(cx_manager)
    check = console.post("/api/v1/expressions/check", {"expression": condition, "context": "principle"}).json()

    # An empty title keeps every answer a 400, so the body's other fields never hide the condition's.
    response = console.post(URL, principle_body(slug="agree", title="", condition=condition))

    assert response.status_code == 400
    reported = [
        {key: value for key, value in error.items() if key not in ("index", "field")}
        for error in response.json()["errors"]
        if error["field"] == "condition"
    ]
    assert reported == ([] if check["ok"] else check["errors"])
    assert not Principle.objects.filter(slug="agree").exists()
