"""The principle editor's routes: writing a version, its examples, and their live checks."""

urlpatterns: list = []
