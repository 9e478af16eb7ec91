"""Prescribed actions: the published `prescribe` principles, turned into agent tasks."""
