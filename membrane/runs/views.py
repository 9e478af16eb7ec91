"""The evaluation runs page: every run, the progress of a running one, and a full run on demand."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from cxcore.decorators import console_view
from cxcore.htmx import page_or_fragment
from cxcore.models import Role
from membrane.models import EvaluationRun

from .selectors import evaluation_run_changes, evaluation_runs_any_running, evaluation_runs_recent
from .start_once import evaluation_run_request


def _context(request: HttpRequest, notice: str = "") -> dict:
    runs = list(evaluation_runs_recent())
    return {
        "runs": runs,
        "polling": evaluation_runs_any_running(runs=runs),
        "can_start": request.user.has_role(Role.CX_MANAGER),
        "notice": notice,
    }


@console_view()
def run_list(request: HttpRequest) -> HttpResponse:
    return render(request, page_or_fragment(request, "membrane/runs.html", "runs"), _context(request))


@console_view()
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(EvaluationRun.objects.select_related("started_by"), pk=pk)
    context = {"run": run, **evaluation_run_changes(run=run)}
    return render(request, "membrane/run_detail.html", context)


@require_POST
@console_view(Role.CX_MANAGER)
def run_start(request: HttpRequest) -> HttpResponse:
    started = evaluation_run_request(user=request.user)
    if started.created:
        notice = f"Full run {started.run.pk} queued."
    else:
        notice = f"Full run {started.run.pk} is already under way: no second run was started."
    if request.htmx:
        return render(request, "membrane/runs.html#runs", _context(request, notice))
    messages.success(request, notice)
    return redirect("runs")
