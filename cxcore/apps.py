from django.apps import AppConfig


class CxcoreConfig(AppConfig):
    name = "cxcore"

    def ready(self) -> None:
        from . import lookups  # noqa: F401  (registers the any_of lookup)
