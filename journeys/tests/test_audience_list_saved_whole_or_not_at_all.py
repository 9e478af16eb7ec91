"""An audience list, pasted, uploaded or sent to the API: stored when every id is a customer's, refused (how many
unknown, the first few) with nothing saved when one is not; kept, replaced or removed by an edit."""

from __future__ import annotations

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile

from cxcore.models import Customer
from journeys import services
from journeys.audience_lists import list_ids_from_csv, list_ids_parse
from journeys.models import Campaign, CampaignListMember

from .campaign_support import fields, stored
from .test_campaign_api_scopes_roles_and_errors import LIST, call, one  # noqa: F401 (the fixture)
from .test_campaign_pages_by_role import form_data


@pytest.fixture
def customers(db):
    return [Customer.objects.create(external_id=f"L-{n}") for n in range(8)]


def members(campaign: Campaign) -> set[str]:
    found = CampaignListMember.objects.filter(campaign=campaign).values_list("customer__external_id", flat=True)
    return set(found)


def test_pasted_and_uploaded_ids_are_read_each_once():
    assert list_ids_parse("L-1\r\nL-2, L-3,,\n\n L-1 \n") == ["L-1", "L-2", "L-3"]
    assert list_ids_from_csv(b"\xef\xbb\xbfname,customer\nAnn,L-4\nBob,L-5\nAnn,L-4\n") == ["L-4", "L-5"]
    assert list_ids_from_csv(b"L-6;x\nL-7\n") == ["L-6;x", "L-7"]  # no header: the first column
    assert list_ids_from_csv(b"L-6,x\nL-7\n") == ["L-6", "L-7"]
    assert list_ids_from_csv(b"\xff\xfe\x00") == "The file is not UTF-8 text: upload a CSV file of customer ids."


def test_the_api_stores_a_list_and_reads_its_size(call, customers):  # noqa: F811
    made = call("campaigns", "post", LIST, {**fields(audience_list=["L-1", "L-2", "L-2", "L-3"]), "audience": ""})
    assert made.status_code == 201, made.json()
    body = made.json()
    assert (body["audience"], body["audience_list_size"]) == ("true", 3)
    campaign = Campaign.objects.get(pk=body["id"])
    assert members(campaign) == {"L-1", "L-2", "L-3"}
    # Left out of a PATCH, the list is kept; given, replaced; [] removes it (the expression then stands alone).
    kept = call("campaigns", "patch", one(campaign.pk), {"lock_version": 1, "name": "Renamed"})
    assert kept.json()["audience_list_size"] == 3 and members(campaign) == {"L-1", "L-2", "L-3"}
    replaced = call("campaigns", "patch", one(campaign.pk), {"lock_version": 2, "audience_list": ["L-7"]})
    assert replaced.json()["audience_list_size"] == 1 and members(campaign) == {"L-7"}
    removed = call(
        "campaigns", "patch", one(campaign.pk), {"lock_version": 3, "audience_list": [], "audience": "open_tickets > 0"}
    )
    assert removed.json()["audience_list_size"] == 0 and members(campaign) == set()
    assert call("campaigns", "get", one(campaign.pk)).json()["audience_list_size"] == 0


def test_unknown_ids_are_a_400_naming_them_and_save_nothing(call, customers):  # noqa: F811
    unknown = [f"X-{n}" for n in range(7)]
    refused = call("campaigns", "post", LIST, fields(audience_list=["L-1", *unknown, "L-2"]))
    assert refused.status_code == 400
    [error] = [e for e in refused.json()["errors"] if e["field"] == "audience_list"]
    assert error["message"] == "7 of the 9 ids are no known customer's: X-0, X-1, X-2, X-3, X-4 and 2 more."
    assert not Campaign.objects.exists() and not CampaignListMember.objects.exists()

    campaign = Campaign.objects.get(pk=call("campaigns", "post", LIST, fields(audience_list=["L-1"])).json()["id"])
    patch = {"lock_version": 1, "name": "Other", "audience_list": ["L-2", "X-9"]}
    refused = call("campaigns", "patch", one(campaign.pk), patch)
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["message"].startswith("1 of the 2 ids is no known customer's: X-9.")
    campaign.refresh_from_db()
    assert (campaign.name, campaign.lock_version, campaign.audience_list_size) == ("New terminals", 1, 1)
    assert members(campaign) == {"L-1"}
    assert call("campaigns", "post", LIST, fields(audience_list="L-1")).status_code == 400
    assert call("campaigns", "post", LIST, fields(audience_list=[1, 2])).status_code == 400


def test_without_a_list_the_expression_is_still_required(marketer, customers):
    with pytest.raises(services.InvalidCampaign) as refused:
        services.campaign_create(actor=marketer, values={**fields(), "audience": "", "audience_list": []})
    assert set(refused.value.errors) == {"audience"}
    campaign = stored(audience="open_tickets == 0")
    with pytest.raises(services.InvalidCampaign):
        services.campaign_update(campaign=campaign, actor=marketer, lock_version=1, changes={"audience": " "})


def test_the_schema_documents_the_list(client, agent):
    client.force_login(agent)
    schema = yaml.safe_load(client.get("/api/schema/").content)
    body = schema["paths"]["/api/v1/campaigns"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["audience_list"]["items"] == {"type": "string"}
    answer = schema["paths"]["/api/v1/campaigns/{id}"]["get"]["responses"]["200"]["content"]["application/json"]
    assert "audience_list_size" in answer["schema"]["properties"]


def test_the_form_takes_a_file_and_refuses_unknown_ids(client, marketer, customers):
    client.force_login(marketer)
    upload = SimpleUploadedFile("list.csv", b"customer\nL-1\nL-2\nX-1\n", content_type="text/csv")
    posted = {**form_data(audience=""), "audience_list": "L-3", "audience_file": upload}
    refused = client.post("/campaigns/new/", posted)
    assert refused.status_code == 400
    assert "1 of the 4 ids is no known customer&#x27;s: X-1." in refused.content.decode()
    assert not Campaign.objects.exists()
    upload = SimpleUploadedFile("list.csv", b"customer\nL-1\nL-2\n", content_type="text/csv")
    made = client.post("/campaigns/new/", {**posted, "audience_file": upload})
    assert made.status_code == 302
    campaign = Campaign.objects.get()
    assert members(campaign) == {"L-1", "L-2", "L-3"} and campaign.audience == "true"
    page = client.get(f"/campaigns/{campaign.pk}/edit/").content.decode()
    assert 'data-testid="stored-list"' in page and "<strong>3</strong> customers" in page
    # Saved without touching the list, it is kept; "remove it" with no expression is refused.
    saved = client.post(f"/campaigns/{campaign.pk}/edit/", {**form_data(audience="true"), "lock_version": "1"})
    assert saved.status_code == 302
    assert members(campaign) == {"L-1", "L-2", "L-3"}
    refused = client.post(
        f"/campaigns/{campaign.pk}/edit/", {**form_data(audience=""), "lock_version": "2", "remove_list": "on"}
    )
    assert refused.status_code == 400 and members(campaign) == {"L-1", "L-2", "L-3"}


def test_a_list_larger_than_the_site_body_limit_is_read_up_to_the_lists_own(call, settings, monkeypatch):  # noqa: F811
    # A million ids of ten characters is a 14 MB body, over the 2.5 MB any other body may be: here the same at
    # 1/1000th scale, with the site's limit at 2,500 bytes.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_500
    ids = [f"B-{n:07d}" for n in range(1000)]
    Customer.objects.bulk_create(Customer(external_id=i) for i in ids)
    made = call("campaigns", "post", LIST, {**fields(audience_list=ids), "audience": ""})
    assert made.status_code == 201, made.content[:300]
    assert made.json()["audience_list_size"] == 1000
    campaign = Campaign.objects.get(pk=made.json()["id"])
    replaced = call("campaigns", "patch", one(campaign.pk), {"lock_version": 1, "audience_list": ids[:900]})
    assert replaced.json()["audience_list_size"] == 900

    # Beyond the list's own limit: 413 naming it, nothing saved. Other endpoints keep the site's limit.
    monkeypatch.setattr("journeys.audience_lists.MAX_IDS", 100)
    limit = 2_500 + 100 * 104
    refused = call("campaigns", "post", LIST, {**fields(audience_list=ids), "audience": ""})
    assert (refused.status_code, refused.json()) == (
        413,
        {"detail": f"The request body is larger than the limit of {limit:,} bytes."},
    )
    assert Campaign.objects.count() == 1 and CampaignListMember.objects.count() == 900
    decision = call("decide", "post", "/api/v1/decisions", {"customer": "x" * 3000})
    assert decision.status_code == 413
    assert decision.json()["detail"] == "The request body is larger than the limit of 2,500 bytes."
