"""The principle editor: write a new principle or edit a draft, with its checks live as you type.

The pages call the lifecycle services (principle_create, principle_draft_save on lock_version,
principle_version_draft_create); the htmx endpoints answer fragments of the same template from
editor_live's reads of the unsaved form, so nothing is stored until Save.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cxcore.decorators import console_view
from cxcore.models import Role
from membrane.models.principles import PrincipleVersion, VersionStatus

from . import selectors, services
from .conditions import ConditionError
from .editing import principle_draft_save
from .editor_live import (
    ExampleOutcome,
    condition_report,
    content_changes,
    examples_outcomes,
    fact_panel,
    publish_readiness,
)
from .forms import (
    EXPECTATION_LABELS,
    SCOPE_FIELDS,
    EditorInput,
    ExampleRow,
    PrincipleForm,
    content_of,
    example_rows_of,
    params_form,
)
from .impact import condition_match_count

TEMPLATE = "membrane/principle_editor.html"
MANAGERS = (Role.CX_MANAGER, Role.ADMIN)


def _live(content: dict, rows: list[ExampleRow]) -> dict:
    """The condition's report, each row's outcome and the publish readiness for the content as typed."""
    report = condition_report(content["condition"])
    outcomes = iter(examples_outcomes(content, report))
    # A row that cannot be read as an example is not among the content's examples: it is invalid as typed.
    row_outcomes = [
        ExampleOutcome(row.name or "unnamed example", "invalid", "; ".join(row.errors))
        if row.errors
        else next(outcomes)
        for row in rows
    ]
    publishable, readiness = publish_readiness(report, row_outcomes)
    return {
        "report": report,
        "results": list(zip(rows, row_outcomes, strict=True)),
        "publishable": publishable,
        "readiness": readiness,
    }


def _page(request: HttpRequest, *, form, params, rows, content, status: int = 200, **context) -> HttpResponse:
    rationale = form.data.get("rationale", "") if form.is_bound else form.initial.get("rationale", "")
    return render(
        request,
        TEMPLATE,
        {
            "form": form,
            "params": params,
            "facts": fact_panel(),
            "expectations": EXPECTATION_LABELS,
            "blank_row": ExampleRow(key="__key__"),
            "scope_fields": [form[name] for name in SCOPE_FIELDS],
            "team_choices": form.fields["teams"].choices,
            "category_choices": form.fields["categories"].choices,
            "channel_choices": form.fields["channels"].choices,
            # Sanitised by nh3 in rationale_html: only harmless tags and http(s)/mailto links remain.
            "preview": mark_safe(selectors.rationale_html(rationale)),
            **_live(content, rows),
            **context,
        },
        status=status,
    )


@console_view(*MANAGERS)
@require_http_methods(["GET", "POST"])
def principle_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        editor = EditorInput(request.POST, creating=True)
        if editor.is_valid():
            data = editor.form.cleaned_data
            try:
                version = services.principle_create(
                    actor=request.user,
                    slug=data["slug"],
                    title=data["title"],
                    rationale=data["rationale"],
                    **editor.content(),
                )
            except services.NotAllowed as error:
                raise PermissionDenied(str(error)) from None
            except services.InvalidVersion as error:
                editor.errors_add(error.errors)
            else:
                messages.success(request, f"Created '{version.principle.title}': v1 is a draft.")
                return redirect("principle-edit", slug=version.principle.slug, number=version.number)
        else:
            editor.content_check()
        return _page(request, **_editor_context(editor), status=400, creating=True)
    form = PrincipleForm(creating=True, initial={"effect": "suppress", "priority": 0})
    content = {"condition": "", "effect": "suppress", "params": {}, "examples": []}
    return _page(request, form=form, params=None, rows=[], content=content, creating=True)


def _editor_context(editor: EditorInput) -> dict:
    return {
        "form": editor.form,
        "params": editor.params,
        "rows": editor.rows,
        "content": editor.content(),
        "scope_error": editor.scope_error,
        "examples_error": editor.examples_error,
    }


def _version_get(slug: str, number: int) -> PrincipleVersion:
    return get_object_or_404(
        PrincipleVersion.objects.select_related("principle", "updated_by", "author"),
        principle__slug=slug,
        number=number,
    )


def _loaded(version: PrincipleVersion) -> dict:
    """What the page was loaded with: the version's content and its principle's title and rationale."""
    return {**content_of(version), "title": version.principle.title, "rationale": version.principle.rationale}


@console_view(*MANAGERS)
@require_http_methods(["GET", "POST"])
def principle_edit(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    version = _version_get(slug, number)
    if request.method == "POST" and request.POST.get("action") == "new_draft":
        return _new_draft(request, version)
    context = {"version": version, "principle": version.principle, "editable": version.status == VersionStatus.DRAFT}
    if request.method == "GET":
        loaded = _loaded(version)
        form = PrincipleForm(
            creating=False,
            initial={**loaded, "lock_version": version.lock_version, "loaded": json.dumps(loaded)},
        )
        params = params_form(version.effect, initial=version.params)
        rows = example_rows_of(version.examples)
        return _page(request, form=form, params=params, rows=rows, content=loaded, **context)

    editor = EditorInput(request.POST, creating=False)
    if editor.is_valid():
        data = editor.form.cleaned_data
        # "Save mine anyway" after a conflict names the lock_version the person saw the other's changes at.
        lock_version = _integer(request.POST.get("overwrite")) or data["lock_version"] or 0
        try:
            saved = principle_draft_save(
                version=version,
                actor=request.user,
                lock_version=lock_version,
                title=data["title"],
                rationale=data["rationale"],
                **editor.content(),
            )
        except services.NotAllowed as error:
            raise PermissionDenied(str(error)) from None
        except services.ConflictError:
            mine = {**editor.content(), "title": data["title"], "rationale": data["rationale"]}
            conflict = _conflict(version, data["loaded"], mine)
            return _page(request, **_editor_context(editor), **context, conflict=conflict, status=409)
        except services.InvalidTransition as error:
            return _page(request, **_editor_context(editor), **context, refusal=str(error), status=409)
        except services.InvalidVersion as error:
            editor.errors_add(error.errors)
        else:
            messages.success(request, f"Saved v{saved.number}.")
            return redirect("principle-edit", slug=slug, number=saved.number)
    else:
        editor.content_check()
    return _page(request, **_editor_context(editor), **context, status=400)


def _integer(raw) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def _conflict(version: PrincipleVersion, loaded_json: str, mine: dict) -> dict:
    """Who saved the draft since it was loaded, when, and which fields differ from what was loaded (with
    what this person typed for each)."""
    current = _version_get(version.principle.slug, version.number)
    who = current.updated_by.get_full_name() or current.updated_by.username if current.updated_by else "Someone"
    try:
        loaded = json.loads(loaded_json or "")
    except ValueError:
        loaded = None
    return {
        "who": who,
        "at": timezone.localtime(current.updated_at),
        "lock_version": current.lock_version,
        "changes": content_changes(loaded, _loaded(current), mine) if isinstance(loaded, dict) else None,
    }


def _new_draft(request: HttpRequest, version: PrincipleVersion) -> HttpResponse:
    try:
        draft = services.principle_version_draft_create(version=version, actor=request.user)
    except services.NotAllowed as error:
        raise PermissionDenied(str(error)) from None
    messages.success(request, f"v{draft.number} is a new draft, copied from v{version.number}.")
    return redirect("principle-edit", slug=version.principle.slug, number=draft.number)


@console_view(*MANAGERS)
@require_POST
def editor_check(request: HttpRequest) -> HttpResponse:
    """The condition checked as typed, and the examples run against the unsaved content."""
    editor = EditorInput(request.POST, creating=False)
    return render(
        request,
        f"{TEMPLATE}#live",
        {"expectations": EXPECTATION_LABELS, **_live(editor.content(), editor.rows)},
    )


@console_view(*MANAGERS)
@require_POST
def editor_preview(request: HttpRequest) -> HttpResponse:
    # Sanitised by nh3 in rationale_html: only harmless tags and http(s)/mailto links remain.
    preview = mark_safe(selectors.rationale_html(request.POST.get("rationale", "")))
    return render(request, f"{TEMPLATE}#preview", {"preview": preview})


@console_view(*MANAGERS)
@require_GET
def editor_params(request: HttpRequest) -> HttpResponse:
    """The small form of the chosen effect's parameters."""
    return render(request, f"{TEMPLATE}#params", {"params": params_form(request.GET.get("effect", ""))})


@console_view(*MANAGERS)
@require_http_methods(["GET", "POST"])
def editor_count(request: HttpRequest) -> HttpResponse:
    """How many customers the condition as typed holds for now (GET for a version shown read-only)."""
    condition = (request.POST if request.method == "POST" else request.GET).get("condition", "")
    count = None
    if condition.strip():
        try:
            count = condition_match_count(condition=condition.replace("\r\n", "\n"))
        except ConditionError:
            count = None
    return render(request, f"{TEMPLATE}#count", {"count": count, "blank": not condition.strip()})
