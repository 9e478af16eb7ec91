"""The stage rules' pages for CX managers: the versions with their workflow, and the editor of the open draft.

A step is a POST calling the authoring service, which alone decides whether it is allowed; a refusal is shown
with the status its kind means and changes nothing; a step done redirects (Post/Redirect/Get), so reload and
Back never repeat it. The editor's live parts (each rule's check, the examples, the moves preview) are htmx
fragments of the editor's template, computed from the unsaved form: nothing is stored until Save.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import register_converter, reverse
from django.urls.converters import StringConverter
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from cxcore.decorators import console_view
from cxcore.models import Role
from membrane.models import StageDefinition, StageRuleSet
from membrane.models.stages import RuleSetStatus
from membrane.principles.editor_live import fact_panel
from membrane.principles.services import ConflictError, InvalidTransition, InvalidVersion, NotAllowed

from . import authoring
from .moves import moves_preview
from .rules import ruleset_compile
from .rules_editor import (
    EditorInput,
    ExampleRow,
    RuleRow,
    content_changes,
    content_errors,
    content_of,
    draft_compile,
    live,
)
from .versions import ruleset_versions

MANAGERS = (Role.CX_MANAGER, Role.ADMIN)
VERSIONS = "membrane/stage_rules.html"
EDITOR = "membrane/stage_rules_editor.html"

# The status each refusal answers with (the API's mapping for the same services).
REFUSALS = {NotAllowed: 403, InvalidTransition: 409, ConflictError: 409, InvalidVersion: 400}


@dataclass(frozen=True)
class Step:
    label: str
    done: str
    run: Callable[..., StageRuleSet]


STEPS = {
    "draft": Step(
        "New draft from this version",
        "v{n} is a new draft: edit it, then submit it for review.",
        lambda v, user, post: authoring.ruleset_draft_create(
            actor=user, source=v, change_note=post.get("change_note", "").strip()
        ),
    ),
    "submit": Step(
        "Submit for review",
        "v{n} is in review: a CX manager of another team approves it.",
        lambda v, user, post: authoring.ruleset_submit(ruleset=v, actor=user),
    ),
    "approve": Step(
        "Approve",
        "v{n} is approved: it can be published.",
        lambda v, user, post: authoring.ruleset_approve(ruleset=v, actor=user),
    ),
    "reject": Step(
        "Send back to draft",
        "v{n} is back to draft with your comment.",
        lambda v, user, post: authoring.ruleset_reject(ruleset=v, actor=user, comment=post.get("comment", "")),
    ),
    "publish": Step(
        "Publish",
        "v{n} is published; a full run brings every customer's stored stage to it.",
        lambda v, user, post: authoring.ruleset_publish(ruleset=v, actor=user),
    ),
    "rollback": Step(
        "Roll back to this version",
        "v{n} is published, a copy of the version you rolled back to; a full run follows.",
        lambda v, user, post: authoring.ruleset_rollback(
            ruleset=v, actor=user, change_note=post.get("change_note", "").strip()
        ),
    ),
}


class StepConverter(StringConverter):
    regex = "|".join(STEPS)


register_converter(StepConverter, "stage_rules_step")


def _versions_page(request: HttpRequest, *, refused: str = "", refused_version: int | None = None, status=200):
    context = {**ruleset_versions(request.user), "refused": refused, "refused_version": refused_version}
    return render(request, VERSIONS, context, status=status)


@console_view(*MANAGERS)
def versions(request: HttpRequest) -> HttpResponse:
    return _versions_page(request)


@require_POST
@console_view(*MANAGERS)
def step(request: HttpRequest, number: int, step: str) -> HttpResponse:
    ruleset = get_object_or_404(StageRuleSet, number=number)
    try:
        result = STEPS[step].run(ruleset, request.user, request.POST)
    except tuple(REFUSALS) as refusal:
        code = next(code for kind, code in REFUSALS.items() if isinstance(refusal, kind))
        return _versions_page(request, refused=str(refusal), refused_version=number, status=code)
    messages.success(request, STEPS[step].done.format(n=result.number))
    if step == "draft":
        return redirect("stage-rules-edit", number=result.number)
    return redirect(f"{reverse('stage-rules')}#v{result.number}")


def _stage_choices() -> list[tuple[str, str]]:
    return list(StageDefinition.objects.values_list("key", "name"))


def _editor_page(request: HttpRequest, ruleset: StageRuleSet, editor: EditorInput, *, status=200, **context):
    return render(
        request,
        EDITOR,
        {
            "ruleset": ruleset,
            "editable": ruleset.status == RuleSetStatus.DRAFT,
            "editor": editor,
            "stages": _stage_choices(),
            "facts": fact_panel("stage_rule"),
            "blank_rule": RuleRow(key="__key__"),
            "blank_example": ExampleRow(key="__key__"),
            **live(editor),
            **context,
        },
        status=status,
    )


@console_view(*MANAGERS)
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, number: int) -> HttpResponse:
    ruleset = get_object_or_404(StageRuleSet.objects.select_related("updated_by", "author"), number=number)
    if request.method == "GET":
        return _editor_page(request, ruleset, EditorInput.of(ruleset))
    editor = EditorInput.from_post(request.POST)
    if not editor.readable:
        return _editor_page(request, ruleset, editor, status=400)
    content = editor.content()
    try:
        saved = authoring.ruleset_update(
            ruleset=ruleset,
            actor=request.user,
            # "Save mine anyway" after a conflict names the lock_version the person saw the other's changes at.
            lock_version=editor.overwrite or editor.lock_version or 0,
            change_note=editor.change_note,
            **content,
        )
    except NotAllowed as error:
        return _editor_page(request, ruleset, editor, refusal=str(error), status=403)
    except ConflictError as error:
        current = StageRuleSet.objects.select_related("updated_by").get(pk=ruleset.pk)
        mine = {**content, "change_note": editor.change_note}
        conflict = {
            "who": error.saved_by,
            "at": timezone.localtime(error.saved_at),
            "lock_version": current.lock_version,
            "changes": content_changes(editor.loaded, content_of(current), mine),
        }
        return _editor_page(request, ruleset, editor, conflict=conflict, status=409)
    except InvalidTransition as error:
        return _editor_page(request, ruleset, editor, refusal=str(error), status=409)
    except InvalidVersion as error:
        editor.errors_add(error.errors)
        return _editor_page(request, ruleset, editor, status=400)
    messages.success(request, f"Saved stage rules v{saved.number}.")
    return redirect("stage-rules-edit", number=saved.number)


@console_view(*MANAGERS)
@require_POST
def editor_check(request: HttpRequest) -> HttpResponse:
    """Each rule checked as typed, and the examples run against the unsaved rules."""
    return render(request, f"{EDITOR}#live", live(EditorInput.from_post(request.POST)))


@console_view(*MANAGERS)
@require_http_methods(["GET", "POST"])
def editor_moves(request: HttpRequest) -> HttpResponse:
    """Customers per stage now and under the rules as typed (POST) or as stored (GET ?number=)."""
    if request.method == "POST":
        content = EditorInput.from_post(request.POST).content()
        compiled = draft_compile(content, content_errors(content))
    else:
        number = request.GET.get("number", "")
        if not number.isdigit():
            raise Http404("Say which version: ?number=<n>")
        compiled = ruleset_compile(get_object_or_404(StageRuleSet, number=int(number)))
    preview = moves_preview(draft=compiled, at=timezone.now()) if compiled is not None else None
    return render(request, f"{EDITOR}#moves", {"preview": preview})
