from django.apps import AppConfig


class CxcoreConfig(AppConfig):
    name = "cxcore"
