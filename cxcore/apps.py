from django.apps import AppConfig


class CxcoreConfig(AppConfig):
    name = "cxcore"

    def ready(self) -> None:
        from . import converters, lookups  # noqa: F401  (register the external_id URL converter, the any_of lookup)
        from .navigation import nav_item

        # The console's first sections; the other apps register theirs after these (cxcore.navigation).
        nav_item(name="dashboard", label="Dashboard", order=10)
        nav_item(name="customers", label="Customers", order=20)
