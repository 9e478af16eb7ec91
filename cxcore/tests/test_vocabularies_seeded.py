from cxcore.models import ActionKind, Category, Channel, Team


def test_migrations_seed_the_default_vocabularies(db):
    assert set(Team.objects.values_list("key", flat=True)) >= {
        "cx",
        "service",
        "sales",
        "marketing_services",
        "marketing_devices",
        "research",
    }
    assert set(Channel.objects.values_list("key", flat=True)) >= {"email", "sms", "push", "phone", "in_app", "letter"}
    consent = dict(Category.objects.values_list("key", "requires_consent"))
    assert consent["marketing"] and consent["survey"] and consent["upsell"] and consent["sales_offer"]
    assert not consent["service_update"] and not consent["agent_contact"] and not consent["service_credit"]
    assert ActionKind.objects.filter(key="offer_free_service").exists()
