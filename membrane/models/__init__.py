"""Membrane models, one module per domain: stages (rules, history, runs), principles (versions, decisions)."""

from .decisions import AgentTask, DecisionLog  # noqa: E402,F401
from .impact import ImpactPreview  # noqa: E402,F401
from .principles import Principle, PrincipleAudit, PrincipleVersion  # noqa: E402,F401
from .stages import (  # noqa: E402,F401
    CustomerStage,
    EvaluationRun,
    StageDefinition,
    StageRule,
    StageRuleSet,
    StageRuleSetAudit,
    StageTransition,
)
