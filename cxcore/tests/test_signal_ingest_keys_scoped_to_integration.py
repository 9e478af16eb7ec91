"""Idempotency keys are scoped to the token's integration: another integration cannot squat them,
and a stored signal's source is the integration that sent it."""

from __future__ import annotations

from cxcore.models import Signal

URL = "/api/v1/signals"
REAL = {
    "customer": "M-1042",
    "kind": "ticket_opened",
    "occurred_at": "2024-05-01T09:30:00+02:00",
    "ticket_ref": "T-881",
    "idempotency_key": "helpdesk-T-881-opened",
}


def test_another_integration_cannot_squat_a_key(api, make_token):
    crm, helpdesk = api(make_token("ingest", name="crm")), api(make_token("ingest", name="helpdesk"))
    squat = {**REAL, "kind": "complaint"}

    posing = crm.post(URL, {"signals": [{**squat, "customer": "M-7"}, {**squat, "source": "helpdesk"}]})
    assert posing.status_code == 400
    assert [(e["index"], e["field"]) for e in posing.json()["errors"]] == [(1, "source")]
    assert "crm" in posing.json()["errors"][0]["message"]
    assert not Signal.objects.exists()
    assert crm.post(URL, {"signals": [squat]}).json() == {"accepted": 1, "duplicates": 0}

    real = helpdesk.post(URL, {"signals": [REAL]})

    assert real.json() == {"accepted": 1, "duplicates": 0}
    assert sorted(Signal.objects.values_list("source", "kind")) == [("crm", "complaint"), ("helpdesk", "ticket_opened")]
    retry = helpdesk.post(URL, {"signals": [{**REAL, "source": "helpdesk"}, {**squat, "idempotency_key": "new"}]})
    assert retry.json() == {"accepted": 1, "duplicates": 1}
    assert set(Signal.objects.values_list("source", flat=True)) == {"crm", "helpdesk"}
