"""Membrane models, one module per domain: stages (rules, history, runs), principles (versions, decisions)."""

from .stages import (  # noqa: E402,F401
    CustomerStage,
    EvaluationRun,
    StageDefinition,
    StageRule,
    StageRuleSet,
    StageTransition,
)
