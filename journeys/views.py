"""The campaigns' console pages: the list, the form (new and edit, with the audience checked and counted as it
is typed) and the campaign's page with its steps. Every page and step calls the selectors and services the
API calls; `campaign_get_for_user` is the one access check per campaign."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from cxcore.decorators import console_view
from cxcore.htmx import page_or_fragment
from cxcore.models import Category, Channel, Role, Team
from membrane.principles.conditions import ConditionError
from membrane.principles.editor_live import condition_report, fact_panel

from . import selectors, services
from .audiences import CONTEXT, audience_count, listed_audience_count
from .forms import CampaignForm
from .models import CampaignStatus
from .selectors import READER_ROLES

LIST_TEMPLATE = "journeys/campaigns.html"
FORM_TEMPLATE = "journeys/campaign_form.html"
PAGE_TEMPLATE = "journeys/campaign.html"
WRITERS = (Role.MARKETER, Role.ADMIN)


def _may_write(user, team=None) -> bool:
    try:
        services.campaign_write_check(user, team)
    except services.NotAllowed:
        return False
    return True


@console_view()
def campaign_list(request: HttpRequest) -> HttpResponse:
    """The campaigns, filtered. An agent who follows an old link gets the page saying campaigns are not theirs
    to read (403), and no campaign; the navigation does not offer them the section."""
    if not request.user.has_role(*READER_ROLES):
        return render(request, LIST_TEMPLATE, {"not_for_you": True}, status=403)
    filters, errors = _list_filters(request.GET)
    campaigns = selectors.campaigns_list(filters) if not errors else selectors.campaigns_list()
    context = {
        "campaigns": campaigns,
        "filters": request.GET,
        "errors": errors,
        "filtered": any(request.GET.get(name) for name in ("team", "status", "from", "to")),
        "teams": Team.objects.all(),
        "statuses": CampaignStatus.choices,
        "may_write": _may_write(request.user),
    }
    return render(request, page_or_fragment(request, LIST_TEMPLATE, "results"), context)


def _list_filters(params) -> tuple[selectors.CampaignFilters, dict[str, str]]:
    """The list's filters from the URL (dates as the page's date inputs write them); a bad one is named and
    left out."""
    errors, times = {}, {}
    for name in ("from", "to"):
        given = params.get(name, "").strip()
        if given:
            parsed = services.time_parse(given if "T" in given else f"{given}T00:00")
            (errors if isinstance(parsed, str) else times)[name] = (
                f"'{given}' is not a date." if isinstance(parsed, str) else parsed
            )
    status = params.get("status", "")
    if status and status not in selectors.STATUSES:
        errors["status"] = f"'{status}' is not a status."
        status = ""
    return selectors.CampaignFilters(team=params.get("team", ""), status=status, **_window(times)), errors


def _window(times: dict) -> dict:
    return {"from_": times.get("from"), "to": times.get("to")}


def _form_context(request: HttpRequest, form: CampaignForm, campaign=None, **extra) -> dict:
    admin = request.user.has_role(Role.ADMIN)
    user_teams = Team.objects.all() if admin else Team.objects.filter(pk=request.user.team_id)
    return {
        "form": form,
        "campaign": campaign,
        "report": condition_report(form.values["audience"], context=CONTEXT),
        "facts": fact_panel(CONTEXT),
        "teams": user_teams,
        "categories": Category.objects.all(),
        "channels": Channel.objects.all(),
        "statuses": CampaignStatus.choices,
        "time_zone": timezone.get_current_timezone_name(),
        **extra,
    }


@console_view(*WRITERS)
@require_http_methods(["GET", "POST"])
def campaign_new(request: HttpRequest) -> HttpResponse:
    if not _may_write(request.user):
        raise PermissionDenied("You belong to no team, so there is no team whose campaigns you may write.")
    team = request.user.team.key if request.user.team else ""
    if request.method == "GET":
        return render(request, FORM_TEMPLATE, _form_context(request, CampaignForm.blank(team=team)))
    form = CampaignForm.posted(request.POST, request.FILES)
    if form.list_problem:
        form.errors = {"audience_list": form.list_problem}
        return render(request, FORM_TEMPLATE, _form_context(request, form), status=400)
    try:
        campaign = services.campaign_create(actor=request.user, values=form.changes())
    except services.NotAllowed as refused:
        raise PermissionDenied(str(refused)) from None
    except services.InvalidCampaign as invalid:
        form.errors = invalid.errors
        return render(request, FORM_TEMPLATE, _form_context(request, form), status=400)
    messages.success(request, f"Created '{campaign.name}', a draft.")
    return redirect("campaign", pk=campaign.pk)


@console_view(*WRITERS)
@require_http_methods(["GET", "POST"])
def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.campaign_get_for_user(request.user, pk, write=True)
    if request.method == "GET":
        return render(request, FORM_TEMPLATE, _form_context(request, CampaignForm.of(campaign), campaign))
    form = CampaignForm.posted(request.POST, request.FILES)
    if form.list_problem:
        form.errors = {"audience_list": form.list_problem}
        return render(request, FORM_TEMPLATE, _form_context(request, form, campaign), status=400)
    try:
        services.campaign_update(
            campaign=campaign, actor=request.user, lock_version=form.lock_version, changes=form.changes()
        )
    except services.NotAllowed as refused:
        raise PermissionDenied(str(refused)) from None
    except services.InvalidCampaign as invalid:
        form.errors = invalid.errors
        return render(request, FORM_TEMPLATE, _form_context(request, form, campaign), status=400)
    except services.StaleCopy as stale:
        context = _form_context(request, form, stale.current, stale=stale)
        return render(request, FORM_TEMPLATE, context, status=409)
    messages.success(request, f"Saved '{form.values['name'].strip()}'.")
    return redirect("campaign", pk=campaign.pk)


@console_view(*READER_ROLES)
def campaign_page(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.campaign_get_for_user(request.user, pk)
    context = {"campaign": campaign, "may_write": _may_write(request.user, campaign.team)}
    return render(request, PAGE_TEMPLATE, context)


_STEPS = {
    "schedule": (services.campaign_schedule, "Scheduled '{}': the conflict board counts it now."),
    "cancel": (services.campaign_cancel, "Cancelled '{}'."),
}
STEPS = (*_STEPS, "delete")


@console_view(*WRITERS)
@require_POST
def campaign_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """Schedule, cancel or delete, as the campaign's page asks; a refusal is said on the page, nothing changed."""
    campaign = selectors.campaign_get_for_user(request.user, pk, write=True)
    given = request.POST.get("lock_version", "")
    lock_version = int(given) if given.isdigit() else None
    try:
        if step == "delete":
            services.campaign_delete(campaign=campaign, actor=request.user)
            messages.success(request, f"Deleted '{campaign.name}'.")
            return redirect("campaigns")
        service, said = _STEPS[step]
        service(campaign=campaign, actor=request.user, lock_version=lock_version)
        messages.success(request, said.format(campaign.name))
    except services.NotAllowed as refused:
        raise PermissionDenied(str(refused)) from None
    except services.CampaignError as refused:
        messages.error(request, f"{refused} Nothing was changed.")
    return redirect("campaign", pk=campaign.pk)


@console_view(*WRITERS)
@require_POST
def audience_check(request: HttpRequest) -> HttpResponse:
    """The audience as typed: its problems placed in the text (the principle editor's report, audience
    context), with the underlining copy swapped out of band."""
    report = condition_report(request.POST.get("audience", "").replace("\r\n", "\n"), context=CONTEXT)
    return render(request, f"{FORM_TEMPLATE}#live", {"report": report})


@console_view(*WRITERS)
@require_POST
def audience_live_count(request: HttpRequest) -> HttpResponse:
    """How many customers the audience as typed holds now, over their stored facts: of the list as given (its
    unknown ids said), or of the edited campaign's stored list, when there is one."""
    form = CampaignForm.posted(request.POST, request.FILES)
    expression = form.values["audience"]
    ids = form.list_ids()
    given = request.POST.get("campaign", "")
    campaign = selectors.campaign_get_for_user(request.user, int(given), write=True) if given.isdigit() else None
    stored = campaign is not None and campaign.audience_list_size and ids is None
    listed = bool(ids) or bool(stored)
    if listed and not expression.strip():
        expression = services.WHOLE_LIST
    count, unknown = None, form.list_problem
    if expression.strip():
        try:
            if ids:
                count, staged = listed_audience_count(expression=expression, ids=ids)
                unknown = staged.problem
            elif stored:
                count, _ = listed_audience_count(expression=expression, campaign=campaign)
            else:
                count = audience_count(expression=expression)
        except ConditionError:
            count = None
    context = {"count": count, "blank": not expression.strip(), "listed": listed, "unknown": unknown}
    return render(request, f"{FORM_TEMPLATE}#count", context)
