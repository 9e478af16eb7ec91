"""Evaluation runs: a full run over everyone set-based, an incremental one over the customers with new signals,
their records (progress, customers skipped, outcome), the sweep of stalled runs, and the runs page."""
