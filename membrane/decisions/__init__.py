"""Decisions: may team X contact customer C about category K on channel H at time T, and why."""
