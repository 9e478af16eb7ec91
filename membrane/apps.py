from django.apps import AppConfig

# The membrane's sections of the console's navigation (URL name, label, order): after cxcore's Dashboard
# (10) and Customers (20), around journeys' Campaigns (60) and Conflicts (70).
NAV = [
    ("principles", "Principles", 30),
    ("decisions", "Decisions", 40),
    ("stages", "Stages", 50),
    ("actions", "Actions", 80),
    ("runs", "Runs", 90),
]
# Its sections of the customer page (partial of membrane/_customer_sections.html, place, order).
CUSTOMER_SECTIONS = [
    ("heading", "heading", 10),
    ("summary", "summary", 10),
    ("may_we", "details", 10),
    ("facts", "details", 20),
    ("stage_history", "details", 30),
]


class MembraneConfig(AppConfig):
    name = "membrane"

    def ready(self) -> None:
        from cxcore.hooks import demo_loaded, signals_ingested
        from cxcore.navigation import nav_item
        from cxcore.panels import customer_section, dashboard_panel
        from cxcore.selectors import customer_360_contributor

        from .dashboard.selectors import membrane_dashboard
        from .decisions.may_we import customer_may_we_360
        from .demo import demo_loaded_receiver
        from .runs.services import full_run_queued
        from .signals_receivers import queue_full_run, queue_reevaluation
        from .stages.facts import stage_facts_register
        from .stages.selectors import customer_stage_360
        from .stored_facts import stored_stage_relation_add

        stage_facts_register()
        stored_stage_relation_add()
        customer_360_contributor(customer_stage_360)
        customer_360_contributor(customer_may_we_360)
        for name, label, order in NAV:
            nav_item(name=name, label=label, order=order)
        dashboard_panel(template="membrane/_dashboard_panel.html", context=membrane_dashboard, order=10)
        for partial, place, order in CUSTOMER_SECTIONS:
            customer_section(template=f"membrane/_customer_sections.html#{partial}", place=place, order=order)
        signals_ingested.connect(queue_reevaluation, dispatch_uid="membrane.queue_reevaluation")
        full_run_queued.connect(queue_full_run, dispatch_uid="membrane.queue_full_run")
        demo_loaded.connect(demo_loaded_receiver, dispatch_uid="membrane.demo_evaluated")
