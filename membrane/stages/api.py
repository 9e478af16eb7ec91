"""GET /api/v1/stages: the stages with their customers now, the published stage rules, the other versions and
the facts a rule can read (scope read); the same overview as the console's Stages page."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from membrane.principles.api import READERS, iso_time

from .selectors import stages_overview


def _ruleset_json(ruleset) -> dict:
    return {
        "number": ruleset.number,
        "status": ruleset.status,
        "default_stage": ruleset.default_stage,
        "author": ruleset.author.username if ruleset.author else None,
        "change_note": ruleset.change_note,
        "created_at": iso_time(ruleset.created_at),
        "published_at": iso_time(ruleset.published_at),
    }


def stages_json(overview: dict) -> dict:
    published = overview["published"]
    return {
        "stages": [
            {key: stage[key] for key in ("key", "name", "description", "customers")} for stage in overview["stages"]
        ],
        "rules": None
        if published is None
        else {
            **_ruleset_json(published),
            "rules": [
                {"position": rule.position, "stage": rule.stage, "condition": rule.condition, "note": rule.note}
                for rule in published.rules.all()
            ],
        },
        "other_versions": [
            {**_ruleset_json(ruleset), "rule_count": ruleset.rule_count} for ruleset in overview["others"]
        ],
        "facts": [
            {"name": fact.name, "type": fact.type, "description": fact.description, "example": fact.example}
            for fact in overview["facts"]
        ],
    }


class StagesView(APIView):
    permission_classes = [READERS]

    @extend_schema(
        operation_id="stages_get",
        summary="The stages, the published stage rules and the facts they read",
        description=(
            "Every stage with the customers holding it as of the last evaluation, the published stage "
            "rules in order (the first whose condition holds gives the stage; `stage` in a condition is "
            "the stage held before), the other versions of the rules, and every fact a rule can read "
            "with its type, description and an example. Needs the `read` scope."
        ),
        tags=["stages"],
        responses={200: OpenApiResponse({"type": "object", "additionalProperties": True}, description="The stages.")},
        examples=[
            OpenApiExample(
                "The default stage model",
                response_only=True,
                status_codes=["200"],
                value={
                    "stages": [
                        {"key": "crisis", "name": "Crisis", "description": "A problem is open.", "customers": 198}
                    ],
                    "rules": {
                        "number": 1,
                        "status": "published",
                        "default_stage": "onboarding",
                        "rules": [{"position": 1, "stage": "crisis", "condition": "open_tickets > 0", "note": ""}],
                    },
                    "other_versions": [],
                    "facts": [
                        {"name": "open_tickets", "type": "int", "description": "Tickets open at T.", "example": 1}
                    ],
                },
            )
        ],
    )
    def get(self, request):
        return Response(stages_json(stages_overview()))
