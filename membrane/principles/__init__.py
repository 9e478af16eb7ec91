"""Interaction principles: lifecycle services, selectors, diffs and example tests."""
