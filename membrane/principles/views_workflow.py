"""A principle's page and its workflow: every version with the steps this user may take, and the steps themselves.

A step is a POST to principle-step calling the lifecycle service; the service alone decides whether it is
allowed (the buttons this page hides are hidden as a courtesy, never as the check). A refusal is shown on the
page with the status its kind means and changes nothing; a step done redirects back to the page (Post/Redirect/
Get), so reload and Back never repeat it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import register_converter, reverse
from django.urls.converters import StringConverter
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from cxcore.decorators import console_view
from cxcore.models import Role
from membrane.models.principles import PrincipleVersion, VersionStatus

from . import selectors, services
from .conditions import ConditionError
from .diff import version_diff
from .effects import params_describe
from .tests_runner import examples_failures_text, examples_run

# The status each refusal answers with (the API's mapping, common to every client of the services).
REFUSALS = {
    services.NotAllowed: 403,
    services.InvalidTransition: 409,
    services.ConflictError: 409,
    services.InvalidVersion: 400,
    ConditionError: 409,
}


@dataclass(frozen=True)
class Step:
    label: str
    done: str  # the message once it is done
    run: Callable[..., PrincipleVersion]


STEPS = {
    "submit": Step(
        "Submit for review",
        "v{n} is in review: a CX manager of another team approves it.",
        lambda v, user, post: services.principle_version_submit(version=v, actor=user),
    ),
    "approve": Step(
        "Approve",
        "v{n} is approved: its author can publish it.",
        lambda v, user, post: services.principle_version_approve(version=v, actor=user),
    ),
    "reject": Step(
        "Send back to draft",
        "v{n} is back to draft with your comment.",
        lambda v, user, post: services.principle_version_reject(version=v, actor=user, comment=post.get("comment", "")),
    ),
    "publish": Step(
        "Publish",
        "v{n} is published: every decision from now follows it.",
        lambda v, user, post: services.principle_version_publish(version=v, actor=user),
    ),
    "retire": Step(
        "Retire",
        "v{n} is retired: no decision follows this principle any more.",
        lambda v, user, post: services.principle_version_retire(version=v, actor=user, comment=post.get("comment", "")),
    ),
    "rollback": Step(
        "Roll back to this version",
        "v{n} is published, a copy of the version you rolled back to.",
        lambda v, user, post: services.principle_version_rollback(
            version=v, actor=user, change_note=post.get("change_note", "")
        ),
    ),
    "restore": Step(
        "Restore as new draft",
        "v{n} is a new draft, a copy of the version you restored: edit it, then submit it.",
        lambda v, user, post: services.principle_version_draft_create(
            version=v, actor=user, change_note=post.get("change_note", "") or f"Restored from v{v.number}"
        ),
    ),
}


class StepConverter(StringConverter):
    regex = "|".join(STEPS)


register_converter(StepConverter, "principle_step")


def version_steps(version: PrincipleVersion, user, *, refusal: str | None) -> list[str]:
    """The steps to offer `user` on `version`: by role and status, as the services would allow them.

    "edit" is the editor's page (principle-edit), the others are STEPS. Only which buttons to show: the
    services check again on every POST. `refusal` is the four-eyes
    answer for this version (selectors.review_refusal), asked only for a version awaiting review.
    """
    if not user.has_role(Role.CX_MANAGER, Role.ADMIN):
        return []
    status = version.status
    steps = []
    if status == VersionStatus.DRAFT:
        steps += ["edit", "submit"]
    if status == VersionStatus.IN_REVIEW and version.approved_at is None and refusal is None:
        steps += ["approve", "reject"]
    if status == VersionStatus.IN_REVIEW and version.approved_at is not None:
        steps.append("publish")
    if status == VersionStatus.PUBLISHED:
        steps.append("retire")
    if status != VersionStatus.PUBLISHED and version.published_at is not None and version.approver_id != user.pk:
        steps.append("rollback")
    if status != VersionStatus.DRAFT:
        steps.append("restore")
    return steps


def _button_label(step: str, version: PrincipleVersion) -> str:
    if step == "edit":
        return "Edit"
    if step == "rollback":
        return f"Roll back to v{version.number}"
    if step == "restore" and version.status in (VersionStatus.PUBLISHED, VersionStatus.IN_REVIEW):
        return "Edit as new draft"
    return STEPS[step].label


def _examples(version: PrincipleVersion) -> dict:
    """The version's examples run now: each result, and the failures in the words publishing refuses with."""
    try:
        results = examples_run(version)
    except ConditionError as error:
        return {"results": [], "failures": f"the condition does not compile: {error}"}
    return {"results": results, "failures": examples_failures_text(results)}


def _page(request: HttpRequest, slug: str, *, refused: str = "", refused_version: int | None = None, status=200):
    principle = selectors.principle_get(slug)
    versions = list(principle.versions.all())
    items = []
    for version in versions:
        awaiting = version.status == VersionStatus.IN_REVIEW and version.approved_at is None
        refusal = selectors.review_refusal(version, request.user) if awaiting else None
        previous = selectors.version_previous(version, versions)
        items.append(
            {
                "version": version,
                "effect": params_describe(version.effect, version.params),
                "previous": previous,
                "buttons": [
                    (step, _button_label(step, version))
                    for step in version_steps(version, request.user, refusal=refusal)
                ],
                "review_refusal": refusal,
                # Examples and impact matter before a version is approved or published.
                "examples": _examples(version)
                if version.status in (VersionStatus.DRAFT, VersionStatus.IN_REVIEW)
                else None,
                "diff": version_diff(previous, version),
            }
        )
    context = {
        "principle": principle,
        # Sanitised by nh3 in rationale_html: only harmless tags and http(s)/mailto links remain.
        "rationale": mark_safe(selectors.rationale_html(principle.rationale)),
        "versions": items,
        "published": selectors.published_version(principle),
        "in_review": any(v.status == VersionStatus.IN_REVIEW for v in versions),
        "audit": selectors.principle_audit(principle),
        "refused": refused,
        "refused_version": refused_version,
    }
    return render(request, "membrane/principles_detail.html", context, status=status)


@console_view()
def principle_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return _page(request, slug)


@require_POST
@console_view()
def principle_step(request: HttpRequest, slug: str, number: int, step: str) -> HttpResponse:
    version = selectors.version_get(selectors.principle_get(slug), number)
    try:
        result = STEPS[step].run(version, request.user, request.POST)
    except tuple(REFUSALS) as refusal:
        status = next(code for kind, code in REFUSALS.items() if isinstance(refusal, kind))
        return _page(request, slug, refused=str(refusal), refused_version=number, status=status)
    messages.success(request, STEPS[step].done.format(n=result.number))
    return redirect(f"{reverse('principle', args=[slug])}#v{result.number}")
