from django.urls import path

from . import api_customer_signals, api_customers, api_signals

urlpatterns = [
    path("signals", api_signals.SignalBatchView.as_view(), name="api-signals"),
    # Before the customer's own URL, whose external id may hold slashes: ".../signals" is this list (so the
    # 360° view of a customer whose id ends in "/signals" is not reachable by GET; the ingest allows such ids).
    path(
        "customers/<external_id:external_id>/signals",
        api_customer_signals.CustomerSignalsView.as_view(),
        name="api-customer-signals",
    ),
    path("customers/<external_id:external_id>", api_customers.CustomerView.as_view(), name="api-customer"),
]
