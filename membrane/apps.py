from django.apps import AppConfig


class MembraneConfig(AppConfig):
    name = "membrane"
