from django.apps import AppConfig


class MembraneConfig(AppConfig):
    name = "membrane"

    def ready(self) -> None:
        from cxcore.hooks import signals_ingested
        from cxcore.selectors import customer_360_contributor

        from .signals_receivers import queue_reevaluation
        from .stage_facts import stage_facts_register
        from .stages.selectors import customer_stage_360

        stage_facts_register()
        customer_360_contributor(customer_stage_360)
        signals_ingested.connect(queue_reevaluation, dispatch_uid="membrane.queue_reevaluation")
