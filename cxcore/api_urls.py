from django.urls import path

from . import api_customers, api_signals

urlpatterns = [
    path("signals", api_signals.SignalBatchView.as_view(), name="api-signals"),
    path("customers/<external_id:external_id>", api_customers.CustomerView.as_view(), name="api-customer"),
]
