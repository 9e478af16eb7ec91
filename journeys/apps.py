from django.apps import AppConfig

# The journeys' sections of the console's navigation (URL name, label, order), between the membrane's
# Stages (50) and Actions (80).
NAV = [("campaigns", "Campaigns", 60), ("conflicts", "Conflicts", 70)]


class JourneysConfig(AppConfig):
    name = "journeys"

    def ready(self) -> None:
        from cxcore.navigation import nav_item

        for name, label, order in NAV:
            nav_item(name=name, label=label, order=order)
