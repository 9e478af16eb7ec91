"""The conflicts between scheduled campaigns (DESIGN.md sections 8 and 9), all read in one pass.

- `overlap`: two campaigns whose windows overlap and whose audiences share customers (how many, and
  whether they use the same channel). Arbitration decides who keeps each of them (journeys.arbitration).
- `suppressed_audience`: a campaign part of whose audience the published principles suppress for its team,
  category and channel (consent first, then the allow/suppress principles in scope in the engine's ranking,
  then the caps over the contacts already made, as the preview decides); customers = those suppressed: its
  kept preview's count when one still stands (journeys.preview_store), so the board and the preview it links
  to agree, else counted in the pass below.
- `over_cap`: a published cap whose scope covers several campaigns' contacts (or one campaign's touches)
  for the same customers, where their combined touches inside one window of the cap's days exceed its n.
  A campaign's touches are taken as spread evenly over its window, a part of a touch counting as one; the
  windows tried start at each covered campaign's start. The cap's condition must hold for the customer.

Every audience and every cap's condition is a boolean column over the stored facts, and ONE `GROUP BY` gives
each pattern of them with its count (journeys.memberships) and, per distinct verdict of the campaigns
(journeys.suppression.verdict_key), how many of its customers are suppressed; every campaign pair, every cap
and every campaign's suppressed members are then counted from the patterns in Python.

Severity says how much of the smaller audience a conflict touches: overlap is high on the same channel with
at least half of it shared, medium on the same channel or half shared, else low; a suppressed audience is
high from a quarter suppressed, medium from 5 %, else low; over a cap is high from a quarter, else medium
(the cap will suppress the excess contacts whatever the campaigns plan).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import reduce
from itertools import combinations
from operator import or_

from django.db.models import CharField, Q, Value
from django.utils import timezone

from membrane.catalogue import fact_types_for
from membrane.decisions.engine import CompiledPrinciple, ruleset_get
from membrane.expressions import check, compile_sql
from membrane.models.impact import PreviewStatus
from membrane.models.principles import PrincipleVersion
from membrane.stored_facts import LOCAL_TIME, customer_timezones, local_time_columns, stored_fact_columns

from .arbitration import scheduled_campaigns, windows_overlap
from .audiences import campaign_audience_q
from .memberships import audience_at, membership_patterns
from .models import Campaign
from .preview_store import preview_current
from .suppression import suppressed_q, suppression_plan, verdict_key
from .verdicts import consented

KINDS = ("overlap", "suppressed_audience", "over_cap")
SEVERITIES = ("high", "medium", "low")
INTERACTION = ("team", "category", "channel")


@dataclass(frozen=True)
class Conflict:
    kind: str
    campaigns: tuple[Campaign, ...]
    customers: int
    severity: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    cap: CompiledPrinciple | None = None

    @property
    def teams(self) -> list[str]:
        return sorted({c.team.key for c in self.campaigns})

    @property
    def same_channel(self) -> bool:
        return len({c.channel.key for c in self.campaigns}) == 1

    @property
    def summary(self) -> str:
        names = " and ".join(f"'{c.name}'" for c in self.campaigns)
        people = "1 customer" if self.customers == 1 else f"{self.customers:,} customers"
        if self.kind == "overlap":
            channel = "on the same channel" if self.same_channel else "on different channels"
            return f"{names} reach {people} in the same days, {channel}."
        if self.kind == "suppressed_audience":
            return f"The principles suppress {names} for {people} of its audience."
        n, days = self.cap.params["n"], self.cap.params["days"]
        return f"{names} would contact {people} more often than {self.cap.label} allows ({n} per {days} days)."

    def as_dict(self) -> dict:
        answer = {
            "kind": self.kind,
            "campaigns": [c.pk for c in self.campaigns],
            "teams": self.teams,
            "customers": self.customers,
            "same_channel": self.same_channel,
            "severity": self.severity,
            "window": {"starts_at": self.starts_at.isoformat(), "ends_at": self.ends_at.isoformat()},
            "summary": self.summary,
        }
        if self.cap is not None:
            answer["cap"] = {**self.cap.ref(), "n": self.cap.params["n"], "days": self.cap.params["days"]}
        return answer


def _level(share: float, high: float, medium: float) -> str:
    return "high" if share >= high else "medium" if share >= medium else "low"


# --- the caps' columns -----------------------------------------------------------------------------------


def _published_caps() -> list[tuple[CompiledPrinciple, str]]:
    caps = [p for p in ruleset_get().principles if p.effect == "cap"]
    conditions = dict(
        PrincipleVersion.objects.filter(pk__in=[p.version_id for p in caps]).values_list("pk", "condition")
    )
    return [(cap, conditions[cap.version_id]) for cap in sorted(caps, key=lambda p: p.version_id)]


def _cap_q(condition: str, campaign: Campaign, at: dt.datetime, timezones: Callable[[], Sequence[str]]) -> Q:
    """The cap's condition for this campaign's contacts (its interaction; local time at `at`)."""
    checked = check(condition, fact_types_for("principle"))
    # The stored stage joined to the facts row directly, as the audiences and the verdicts join it: one join of
    # it in the conflicts' pass, not a second through the customers.
    columns = stored_fact_columns(at=at, direct=True)
    columns.update({name: Value(getattr(campaign, name).key, output_field=CharField()) for name in INTERACTION})
    if any(name in LOCAL_TIME for name in checked.facts_read):
        columns.update(local_time_columns(at=at, timezones=timezones()))
    return compile_sql(checked, columns)


@dataclass(frozen=True)
class _Cap:
    principle: CompiledPrinciple
    covered: tuple[Campaign, ...]
    holds: dict[int, str]  # campaign id -> the flag column of the cap's condition for its contacts


def _caps(
    campaigns: Sequence[Campaign], at: dt.datetime | None, flags: dict[str, Q], timezones: Callable[[], Sequence[str]]
) -> list[_Cap]:
    now = timezone.now()
    caps = []
    for principle, condition in _published_caps():
        covered = tuple(
            c
            for c in campaigns
            if principle.scope.covers(team=c.team.key, category=c.category.key, channel=c.channel.key)
        )
        if not covered:
            continue
        holds = {}
        reads_interaction = any(name in INTERACTION for name in principle.facts)
        for c in covered:
            # One column per cap, unless its condition reads the interaction (then one per campaign).
            name = f"k{principle.version_id}_{c.pk if reads_interaction else 0}"
            if name not in flags:
                flags[name] = _cap_q(condition, c, audience_at(c, at, now), timezones)
            holds[c.pk] = name
        caps.append(_Cap(principle, covered, holds))
    return caps


def _touches_within(campaign: Campaign, start: dt.datetime, end: dt.datetime) -> int:
    """The campaign's touches falling in [start, end), spread evenly over its window; a part counts as one."""
    inside = (min(end, campaign.ends_at) - max(start, campaign.starts_at)).total_seconds()
    if inside <= 0:
        return 0
    return math.ceil(campaign.touches * inside / (campaign.ends_at - campaign.starts_at).total_seconds())


def _over_cap(cap: _Cap, reaching: tuple[Campaign, ...]) -> tuple[tuple[Campaign, ...], dt.datetime] | None:
    """The campaigns whose touches exceed the cap for customers the `reaching` campaigns reach, in the busiest
    window tried."""
    days = dt.timedelta(days=cap.principle.params["days"])
    busiest = None
    for start in sorted({c.starts_at for c in reaching}):
        touches = {c: _touches_within(c, start, start + days) for c in reaching}
        total = sum(touches.values())
        if total > cap.principle.params["n"] and (busiest is None or total > busiest[0]):
            busiest = (total, tuple(c for c in reaching if touches[c]), start)
    return None if busiest is None else (busiest[1], busiest[2])


# --- the board -------------------------------------------------------------------------------------------


def _previewed_suppressions(campaigns: Sequence[Campaign]) -> dict[int, tuple[int, int]]:
    """campaign id -> (suppressed, audience) as its kept preview (still standing, ready) found them."""
    found = {}
    for campaign in campaigns:
        preview = preview_current(campaign=campaign)
        if preview is not None and preview.status == PreviewStatus.READY:
            found[campaign.pk] = (preview.result["suppressed"], preview.result["audience"])
    return found


def conflicts_find(*, campaigns: Sequence[Campaign] | None = None, at: dt.datetime | None = None) -> list[Conflict]:
    """Every conflict between `campaigns` (default: the scheduled ones), most severe and largest first."""
    campaigns = list(scheduled_campaigns() if campaigns is None else campaigns)
    if not campaigns:
        return []
    now = timezone.now()
    flags: dict[str, Q] = {}
    # Read once, and only if a condition reads local time (a scan of the customers).
    timezones = functools.cache(customer_timezones)
    caps = _caps(campaigns, at, flags, timezones)
    # A campaign's kept preview says how many of its audience are suppressed (what its page shows); the others
    # are counted in the pass.
    previewed = {} if at is not None else _previewed_suppressions(campaigns)
    # Each distinct verdict counted per pattern once (campaigns that cannot differ share it), not a column of
    # the pattern: that would split the patterns.
    verdict_of: dict[int, str] = {}
    suppressing: dict[str, Q] = {}
    members: dict[str, list[Q]] = defaultdict(list)  # verdict -> the audiences of the campaigns sharing it
    by_key: dict[tuple, str] = {}
    # Step 1, consent, is a flag per channel, read once per customer (a read of the consent JSON costs as much
    # as the rest of a verdict's conditions): a verdict counts the suppressed among those who consented, and
    # where its channel's flag does not hold, every member is suppressed.
    consent_flag: dict[str, str] = {}  # verdict -> the flag of its channel's consent, where it needs it
    for c in campaigns:
        plan = None if c.pk in previewed else suppression_plan(campaign=c, at=audience_at(c, at, now))
        if plan is not None:
            name = by_key.setdefault(verdict_key(plan), f"v{len(by_key)}")
            if name not in suppressing:
                suppressing[name] = suppressed_q(plan, timezones, consent=False, shared=True)
                if plan.consent_required:
                    consent_flag[name] = f"consent_{plan.campaign.channel.pk}"
                    flags.setdefault(consent_flag[name], consented(plan))
            members[name].append(campaign_audience_q(c, at=audience_at(c, at, now)))
            verdict_of[c.pk] = name
    # A verdict is counted only for the members of the campaigns sharing it (their audiences tested first), the
    # only customers it is read for: its CASE is not evaluated for the rest of the population.
    counted = {name: reduce(or_, members[name]) & q for name, q in suppressing.items()}
    patterns = membership_patterns(campaigns=campaigns, at=at, flags=flags, counted=counted)

    audience: Counter[int] = Counter()
    suppressed: Counter[int] = Counter()
    shared: Counter[tuple[int, int]] = Counter()
    capped: dict[tuple, int] = defaultdict(int)
    overlapping = [(a, b) for a, b in combinations(campaigns, 2) if windows_overlap(a, b)]
    # Read once: a model's pk is a property, and the patterns number thousands (bench conflicts: 3,896 patterns
    # by up to 190 overlapping pairs and 7 caps, 1.2 million reads of it, 0.8 s). A cap's verdict depends only on
    # the campaigns reaching the pattern, which many patterns share.
    pairs = [(a.pk, b.pk) for a, b in overlapping]
    covered = [[(c.pk, cap.holds[c.pk], c) for c in cap.covered] for cap in caps]
    over_cap: dict[tuple, tuple | None] = {}
    for pattern in patterns:
        for pk in pattern.targeted:
            audience[pk] += pattern.customers
            if pk in verdict_of:
                verdict = verdict_of[pk]
                consenting = consent_flag.get(verdict)
                if consenting is None or consenting in pattern.flags:
                    suppressed[pk] += pattern.counts[verdict]
                else:
                    suppressed[pk] += pattern.customers
        for pair in pairs:
            if pair[0] in pattern.targeted and pair[1] in pattern.targeted:
                shared[pair] += pattern.customers
        for n, cap in enumerate(caps):
            # The covered campaigns that reach the pattern's customers with the cap's condition holding.
            reaching = [(pk, c) for pk, flag, c in covered[n] if pk in pattern.targeted and flag in pattern.flags]
            key = (n, *(pk for pk, _ in reaching))
            if key not in over_cap:
                over_cap[key] = _over_cap(cap, tuple(c for _, c in reaching))
            found = over_cap[key]
            if found is not None:
                capped[(cap.principle.version_id, *found)] += pattern.customers

    sizes = dict(audience)
    for pk, (n, size) in previewed.items():
        suppressed[pk], sizes[pk] = n, size
    conflicts = []
    for a, b in overlapping:
        n = shared[(a.pk, b.pk)]
        if n:
            share = n / min(audience[a.pk], audience[b.pk])
            same = a.channel.key == b.channel.key
            severity = "high" if same and share >= 0.5 else "medium" if same or share >= 0.5 else "low"
            window = (max(a.starts_at, b.starts_at), min(a.ends_at, b.ends_at))
            conflicts.append(Conflict("overlap", (a, b), n, severity, *window))
    for c in campaigns:
        if suppressed[c.pk]:
            severity = _level(suppressed[c.pk] / sizes[c.pk], 0.25, 0.05)
            conflicts.append(Conflict("suppressed_audience", (c,), suppressed[c.pk], severity, c.starts_at, c.ends_at))
    by_version = {cap.principle.version_id: cap.principle for cap in caps}
    for (version_id, involved, start), n in capped.items():
        days = dt.timedelta(days=by_version[version_id].params["days"])
        severity = "high" if n / min(audience[c.pk] for c in involved) >= 0.25 else "medium"
        conflicts.append(Conflict("over_cap", involved, n, severity, start, start + days, cap=by_version[version_id]))
    return sorted(conflicts, key=lambda c: (SEVERITIES.index(c.severity), -c.customers, c.kind, c.starts_at))


def team_heatmap(conflicts: Sequence[Conflict], teams: Sequence[str]) -> list[list[int]]:
    """Overlapping customers between each pair of teams (rows and columns in `teams`' order), symmetric; a
    team's own campaigns overlapping each other count on the diagonal."""
    index = {team: i for i, team in enumerate(teams)}
    cells = [[0] * len(teams) for _ in teams]
    for conflict in conflicts:
        if conflict.kind != "overlap":
            continue
        a, b = (index[c.team.key] for c in conflict.campaigns)
        cells[a][b] += conflict.customers
        if a != b:
            cells[b][a] += conflict.customers
    return cells
