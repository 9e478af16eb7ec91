from django.apps import AppConfig


class CxcoreConfig(AppConfig):
    name = "cxcore"

    def ready(self) -> None:
        from . import converters, lookups  # noqa: F401  (register the external_id URL converter, the any_of lookup)
