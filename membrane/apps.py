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
# Its sections of the customer page (template#partial, place, order).
CUSTOMER_SECTIONS = [
    ("membrane/_customer_sections.html#heading", "heading", 10),
    ("membrane/_customer_sections.html#summary", "summary", 10),
    ("membrane/_customer_sections.html#may_we", "details", 10),
    ("membrane/_customer_desk.html#desk", "details", 12),  # right below the actions
    ("membrane/_customer_sections.html#facts", "details", 20),
    ("membrane/_customer_sections.html#stage_history", "details", 30),
]


class MembraneConfig(AppConfig):
    name = "membrane"

    def ready(self) -> None:
        from cxcore.customer_list import customer_list_columns, customer_list_filter
        from cxcore.hooks import demo_loaded, signals_ingested
        from cxcore.navigation import nav_item
        from cxcore.panels import customer_section, dashboard_panel
        from cxcore.selectors import customer_360_contributor

        from .dashboard.selectors import membrane_dashboard
        from .decisions.may_we import customer_may_we_360
        from .demo import demo_loaded_receiver
        from .desk.selectors import customer_desk_360
        from .runs.services import full_run_queued
        from .signals_receivers import queue_full_run, queue_reevaluation
        from .stages.customer_list import STAGE_COLUMNS, STAGE_FILTER
        from .stages.facts import stage_facts_register
        from .stages.selectors import customer_stage_360
        from .stored_facts import stored_stage_relation_add

        stage_facts_register()
        stored_stage_relation_add()
        customer_360_contributor(customer_stage_360)
        customer_360_contributor(customer_may_we_360)
        customer_list_columns(STAGE_COLUMNS)
        customer_list_filter(STAGE_FILTER)
        customer_360_contributor(customer_desk_360)
        for name, label, order in NAV:
            nav_item(name=name, label=label, order=order)
        dashboard_panel(template="membrane/_dashboard_panel.html", context=membrane_dashboard, order=10)
        for template, place, order in CUSTOMER_SECTIONS:
            customer_section(template=template, place=place, order=order)
        signals_ingested.connect(queue_reevaluation, dispatch_uid="membrane.queue_reevaluation")
        full_run_queued.connect(queue_full_run, dispatch_uid="membrane.queue_full_run")
        demo_loaded.connect(demo_loaded_receiver, dispatch_uid="membrane.demo_evaluated")
