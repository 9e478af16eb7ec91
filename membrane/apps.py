from django.apps import AppConfig


class MembraneConfig(AppConfig):
    name = "membrane"

    def ready(self) -> None:
        from cxcore.hooks import signals_ingested
        from cxcore.selectors import customer_360_contributor, dashboard_panel

        from .dashboard.selectors import membrane_dashboard
        from .selectors_may_we import customer_may_we_360
        from .signals_receivers import queue_reevaluation
        from .stage_facts import stage_facts_register
        from .stages.selectors import customer_stage_360

        stage_facts_register()
        customer_360_contributor(customer_stage_360)
        customer_360_contributor(customer_may_we_360)
        dashboard_panel(membrane_dashboard)
        signals_ingested.connect(queue_reevaluation, dispatch_uid="membrane.queue_reevaluation")
