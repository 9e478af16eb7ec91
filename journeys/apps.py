from django.apps import AppConfig

# The journeys' sections of the console's navigation (URL name, label, order), between the membrane's
# Stages (50) and Actions (80), for the roles that plan or oversee campaigns (agents have none).
NAV = [("campaigns", "Campaigns", 60), ("conflicts", "Conflicts", 70)]
NAV_ROLES = ("marketer", "cx_manager", "admin")
# The planned campaigns on the customer page: below the membrane's "What may we do now?" (10).
CUSTOMER_CAMPAIGNS = ("journeys/_customer_campaigns.html", "details", 15)


class JourneysConfig(AppConfig):
    name = "journeys"

    def ready(self) -> None:
        from cxcore.hooks import demo_loaded
        from cxcore.navigation import nav_item
        from cxcore.panels import customer_section
        from cxcore.selectors import customer_360_contributor

        from .customer_campaigns import customer_campaigns_360
        from .demo import demo_loaded_receiver

        for name, label, order in NAV:
            nav_item(name=name, label=label, order=order, roles=NAV_ROLES)
        customer_360_contributor(customer_campaigns_360)
        template, place, order = CUSTOMER_CAMPAIGNS
        customer_section(template=template, place=place, order=order)
        demo_loaded.connect(demo_loaded_receiver, dispatch_uid="journeys.demo_campaigns")
