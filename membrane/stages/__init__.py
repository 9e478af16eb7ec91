"""Relationship stages: the published stage rules, event-time history per customer, set-based runs."""
