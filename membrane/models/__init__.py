"""Membrane models, one module per domain: stages (rules, history, runs), principles (versions, decisions)."""
