"""The default vocabularies of DESIGN.md section 3, seeded by a data migration."""

TEAMS = {
    "cx": "CX (cross-functional)",
    "service": "Service",
    "sales": "Sales",
    "marketing_services": "Marketing: services",
    "marketing_devices": "Marketing: devices",
    "research": "Research",
}
CHANNELS = {
    "email": "Email",
    "sms": "SMS",
    "push": "Push notification",
    "phone": "Phone",
    "in_app": "In-app",
    "letter": "Letter",
}
# key -> (name, requires_consent)
CATEGORIES = {
    "marketing": ("Marketing", True),
    "sales_offer": ("Sales offer", True),
    "upsell": ("Upsell", True),
    "survey": ("Survey", True),
    "service_update": ("Service update", False),
    "service_credit": ("Service credit", False),
    "agent_contact": ("Agent contact", False),
}
ACTION_KINDS = {
    "agent_contact": "Agent contact",
    "offer_free_service": "Offer free service",
    "service_credit": "Service credit",
}
ROLES = ["cx_manager", "agent", "marketer", "admin"]
