from django.urls import path

from . import api

urlpatterns = [
    path("signals", api.SignalBatchView.as_view(), name="api-signals"),
    path("customers/<external_id:external_id>", api.CustomerView.as_view(), name="api-customer"),
]
