from django.apps import AppConfig


class MembraneConfig(AppConfig):
    name = "membrane"

    def ready(self) -> None:
        from cxcore.hooks import signals_ingested

        from .signals_receivers import queue_reevaluation
        from .stage_facts import stage_facts_register

        stage_facts_register()
        signals_ingested.connect(queue_reevaluation, dispatch_uid="membrane.queue_reevaluation")
