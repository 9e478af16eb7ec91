"""The desk on the 360° page: record an ETA or a call, or work a task, each answered with the page's parts it changed.

To htmx a form answers with the desk again (its error, or a fresh form and what was recorded) and, swapped
out of band, the stage, "what may we do now" and the actions, brought up to now; the `cx-signals-changed`
event it triggers has the timeline fetch itself again. Without JavaScript it redirects to the page with a
message.
"""

from __future__ import annotations

import zoneinfo

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from cxcore.decorators import console_view
from cxcore.models import Channel, Customer, Role
from cxcore.schemas import InvalidInput
from cxcore.templatetags.console import action_label
from membrane.actions.selectors import agent_task_get_for_user
from membrane.actions.services import TASK_STEPS, TaskRefused, agent_task_step
from membrane.decisions.may_we import customer_may_we_360
from membrane.stages.selectors import customer_stage_360

from .forms import CallForm, EtaForm, new_key
from .selectors import customer_desk_360
from .services import CALL_OUTCOMES, call_log, ticket_eta_record

DESK_ROLES = (Role.AGENT, Role.CX_MANAGER, Role.ADMIN)
SECTIONS = "membrane/_customer_sections.html"
DESK = "membrane/_customer_desk.html"
# The parts of the page a record can change, swapped out of band: partials of SECTIONS.
REFRESHED = ("heading", "summary", "may_we")
SIGNALS_CHANGED = "cx-signals-changed"


def _zone(customer: Customer) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(customer.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _add_errors(form, errors: list[dict]) -> None:
    for problem in errors:
        form.add_error(problem["field"] if problem["field"] in form.fields else None, problem["message"])


def desk_context(*, customer: Customer, request: HttpRequest) -> dict:
    """What the membrane's sections of the customer page read, brought up to now, for the parts swapped."""
    at = timezone.now()
    view: dict = {}
    for contribute in (customer_stage_360, customer_may_we_360, customer_desk_360):
        view.update(contribute(customer=customer, at=at))
    return {
        "customer": customer,
        "view": view,
        "channel_names": dict(Channel.objects.values_list("key", "name")),
        "user": request.user,
    }


def _answer(request: HttpRequest, customer: Customer, *, form, done: str | None) -> HttpResponse:
    if not request.htmx:
        if done:
            messages.success(request, done)
        else:
            problems = [str(message) for messages_ in form.errors.values() for message in messages_]
            messages.error(request, "Nothing was recorded: " + " ".join(problems))
        return redirect("customer", external_id=customer.external_id)
    context = desk_context(customer=customer, request=request)
    which = "eta" if isinstance(form, EtaForm) else "call"
    desk = {**context, "key": new_key(), "done": done, "done_form": which if done else None}
    if not done:
        desk[f"{which}_form"] = form  # its errors and what was typed, shown again
    html = render_to_string(f"{DESK}#desk", desk, request=request)
    if done:
        # Only a record changes the other parts; a refused form leaves them as they are.
        html += "".join(render_to_string(f"{SECTIONS}#{part}", {**context, "oob": True}) for part in REFRESHED)
    response = HttpResponse(html)
    return trigger_client_event(response, SIGNALS_CHANGED) if done else response


@console_view(*DESK_ROLES)
@require_POST
def eta_record(request: HttpRequest, external_id: str) -> HttpResponse:
    customer = get_object_or_404(Customer, external_id=external_id)
    with timezone.override(_zone(customer)):  # the ETA the agent types is the customer's local time
        form = EtaForm(request.POST)
        valid = form.is_valid()
    done = None
    if valid:
        data = form.cleaned_data
        try:
            recorded = ticket_eta_record(
                customer=customer, ticket_ref=data["ticket"], eta=data["eta"], author=request.user, key=data["key"]
            )
        except InvalidInput as exc:
            _add_errors(form, exc.errors)
        else:
            when = timezone.localtime(data["eta"], _zone(customer)).strftime("%Y-%m-%d %H:%M")
            done = f"ETA {when} recorded for ticket {data['ticket']}."
            if not recorded.stored:
                done = f"Already recorded: ETA {when} for ticket {data['ticket']}."
    return _answer(request, customer, form=form, done=done)


@console_view(*DESK_ROLES)
@require_POST
def call_record(request: HttpRequest, external_id: str) -> HttpResponse:
    customer = get_object_or_404(Customer, external_id=external_id)
    form = CallForm(request.POST)
    done = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            recorded = call_log(
                customer=customer,
                direction=data["direction"],
                outcome=data["outcome"],
                note=data["note"],
                author=request.user,
                key=data["key"],
            )
        except InvalidInput as exc:
            _add_errors(form, exc.errors)
        else:
            done = f"Call logged: {CALL_OUTCOMES[data['outcome']]}."
            if not recorded.stored:
                done = f"Already logged: {CALL_OUTCOMES[data['outcome']]}."
    return _answer(request, customer, form=form, done=done)


TASK_DONE = {
    "claim": "You claimed {kind}.",
    "release": "You released {kind}.",
    "complete": "Completed {kind}.",
    "dismiss": "Dismissed {kind}.",
    "undo": "Undone: {kind} is as it was before.",
}


@console_view(*DESK_ROLES)
@require_POST
def task_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """Claim, release, complete or dismiss (with a note) one of the customer's tasks, or undo that, from the
    customer page, through the queue's services (membrane.actions); answered with the page's parts again."""
    if step not in TASK_STEPS:
        raise Http404("No such step.")
    task = agent_task_get_for_user(request.user, pk)
    customer = task.customer
    outcome: dict = {"task_id": task.pk}
    try:
        agent_task_get_for_user(request.user, pk, write=True)
        change = agent_task_step(
            step=step,
            task=task,
            actor=request.user,
            note=request.POST.get("note", ""),
            undo=request.POST.get("token", ""),
        )
    except (PermissionDenied, TaskRefused) as refused:
        outcome["refused"] = str(refused)
    else:
        outcome["done"] = TASK_DONE[step].format(kind=action_label(change.task.kind))
        if change.undo:
            outcome |= {"undo": change.undo, "undo_seconds": change.undo_seconds}
    if not request.htmx:
        if "refused" in outcome:
            messages.error(request, outcome["refused"])
        else:
            messages.success(request, outcome["done"])
        return redirect("customer", external_id=customer.external_id)
    context = {**desk_context(customer=customer, request=request), "task_outcome": outcome}
    html = render_to_string(f"{SECTIONS}#may_we", context, request=request)
    html += "".join(render_to_string(f"{SECTIONS}#{part}", {**context, "oob": True}) for part in ("heading", "summary"))
    return HttpResponse(html)
