"""Customers, the organisation, and the signals that pass between them."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Replace
from django.utils.timezone import now

from cxcore.facts.catalogue import stored_fields
from cxcore.signal_kinds import Direction, Severity
from cxcore.signal_kinds import SignalKind as SignalKind


class Vocabulary(models.Model):
    """A named key the rest of the product refers to by its key (teams, channels, ...)."""

    key = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)

    class Meta:
        abstract = True
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name or self.key


class Team(Vocabulary):
    """A department; `cx` is the cross-functional team."""


class Channel(Vocabulary):
    pass


class Category(Vocabulary):
    """A kind of interaction; some need the customer's consent on the channel."""

    requires_consent = models.BooleanField(default=False)

    class Meta(Vocabulary.Meta):
        verbose_name_plural = "categories"


class ActionKind(Vocabulary):
    pass


class Role(models.TextChoices):
    CX_MANAGER = "cx_manager", "CX manager"
    AGENT = "agent", "Agent"
    MARKETER = "marketer", "Marketer"
    ADMIN = "admin", "Administrator"


class User(AbstractUser):
    """A console user: belongs to a team; the role is one of the groups of `Role`."""

    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="members")

    def has_role(self, *roles: str) -> bool:
        if self.is_superuser:
            return True
        return any(group.name in roles for group in self.groups.all())

    @property
    def role(self) -> str | None:
        names = {group.name for group in self.groups.all()}
        for role in Role.values:
            if role in names:
                return role
        return Role.ADMIN if self.is_superuser else None

    @property
    def role_label(self) -> str:
        return Role(self.role).label if self.role else "no role"


def _without(expression, *characters: str):
    for character in characters:
        expression = Replace(expression, Value(character), Value(""))
    return expression


PHONE_DIGITS = Replace(_without("phone", " ", "-", ".", "/", "(", ")"), Value("+"), Value("00"))


class Customer(models.Model):
    external_id = models.CharField(max_length=100, unique=True)
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    segment = models.CharField(max_length=40, blank=True, db_index=True)
    region = models.CharField(max_length=40, blank=True, db_index=True)
    timezone = models.CharField(max_length=64, default="UTC")
    lifetime_value = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    attributes = models.JSONField(default=dict, blank=True)
    # {"email": true, "sms": false}: a channel not listed has no consent.
    consent = models.JSONField(default=dict, blank=True)
    # When the relationship began ("customer since"): the source's own date when its profile gives one
    # (attributes.customer_since, read by customer_upsert), else when the customer was first stored. The
    # tenure fact and the stage clocks count from the earlier of this and the first signal.
    created_at = models.DateTimeField(default=now, verbose_name="customer since")
    updated_at = models.DateTimeField(auto_now=True)
    # Earliest occurred_at among signals not yet evaluated: the incremental re-evaluation
    # picks these customers up and evaluates them from that time on. The ingest queues its
    # marks as CustomerChange rows, which customer_changes_fold moves here.
    dirty_since = models.DateTimeField(null=True, blank=True)
    # The phone as the search matches it (cxcore.customer_search.phone_digits, which must agree): a leading
    # "+" read as "00", spaces, dashes, dots, slashes and brackets left out.
    phone_digits = models.GeneratedField(
        expression=PHONE_DIGITS, output_field=models.CharField(max_length=80), db_persist=True
    )

    class Meta:
        ordering = ["external_id"]
        # The search's prefix indexes (lower(name) text_pattern_ops, ...) are PostgreSQL's only: migration 0013.
        indexes = [
            models.Index(fields=["dirty_since"], name="customer_dirty_idx", condition=Q(dirty_since__isnull=False)),
            models.Index(fields=["name"], name="customer_name_idx"),
            # The stage projection finds the customers whose tenure crosses a rule's day count by a range of
            # these (membrane.stages.projection_moving): a scan of a million rows without it.
            models.Index(fields=["created_at"], name="customer_created_at_idx"),
        ]

    def __str__(self) -> str:
        return self.name or self.external_id

    def has_consent(self, channel: str) -> bool:
        return bool(self.consent.get(channel, False))


class CustomerChange(models.Model):
    """New signals of a customer since `since`, queued by the ingest and not yet in dirty_since.

    A customer is dirty from the earliest of dirty_since and its queued changes. Appending a row
    here costs a batch a fraction of updating the customer (a row with nine indexes), and it locks
    nothing, so concurrent batches sharing customers do not wait for each other.
    """

    # No database constraint, as for signals: the ingest queues changes only for the customers it
    # looked up or created in the same transaction, and a check per row would cost it as much again.
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, db_constraint=False, related_name="+")
    since = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.customer_id} changed since {self.since:%Y-%m-%d %H:%M}"


class Signal(models.Model):
    # No index of its own: (customer, occurred_at) below serves every lookup by customer.
    # No constraint in the database: checking each row's customer at commit cost a 1000-signal batch
    # a quarter of its database time, and the ingest creates the customers it names in the same
    # transaction. Deleting a customer deletes their signals through the ORM (CASCADE).
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="signals", db_index=False, db_constraint=False
    )
    kind = models.CharField(max_length=40)
    direction = models.CharField(max_length=3, choices=Direction.choices, default=Direction.IN)
    channel = models.CharField(max_length=40, blank=True)
    team = models.CharField(max_length=40, blank=True)
    category = models.CharField(max_length=40, blank=True)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField()
    ticket_ref = models.CharField(max_length=100, blank=True)
    issue_key = models.CharField(max_length=100, blank=True)
    severity = models.CharField(max_length=6, choices=Severity.choices, blank=True)
    eta = models.DateTimeField(null=True, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    score = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    scale = models.PositiveSmallIntegerField(null=True, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=100)
    # Given by the sender or derived from the item's content: a retry is never stored twice.
    idempotency_key = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "idempotency_key"], name="signal_source_idempotency_uniq"),
        ]
        # Every index is paid for on each ingested signal. Queries by customer (the 360 view, facts,
        # stages, caps of contacts by kind) use the first, which on PostgreSQL also holds the columns
        # the facts read (migration 0008); the dashboard's last 30 days the second, which on
        # PostgreSQL is a BRIN index (migration 0007), far cheaper to keep than a B-tree.
        indexes = [
            models.Index(fields=["customer", "occurred_at"], name="signal_customer_time_idx"),
            models.Index(fields=["occurred_at"], name="signal_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.customer_id} {self.occurred_at:%Y-%m-%d %H:%M}"


class CustomerErasure(models.Model):
    """That a customer's personal data was erased, by whom and when: the record keeps the pseudonym the
    customer's row now carries, never what was erased."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    pseudonym = models.CharField(max_length=100)
    erased_by = models.CharField(max_length=150)
    erased_at = models.DateTimeField(default=now)
    signals_cleared = models.PositiveIntegerField()

    class Meta:
        ordering = ["-erased_at"]

    def __str__(self) -> str:
        return f"{self.pseudonym} erased by {self.erased_by}"


class CustomerViewRecord(models.Model):
    """That someone read a customer's 360° view: who (a console user's username or "token:<name>"), when,
    which customer, and where (the console page or the API). Written once per view, one INSERT, and never
    changed; CX managers read the latest on the 360° page (cxcore.privacy)."""

    class Via(models.TextChoices):
        PAGE = "page", "360° page"
        API = "api", "API"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    viewer = models.CharField(max_length=150)
    via = models.CharField(max_length=8, choices=Via.choices)
    viewed_at = models.DateTimeField(default=now)

    class Meta:
        indexes = [models.Index(fields=["customer", "-viewed_at"], name="cxcore_view_customer_at")]

    def __str__(self) -> str:
        return f"{self.customer_id} viewed by {self.viewer} at {self.viewed_at:%Y-%m-%d %H:%M}"


class ApiScope(models.TextChoices):
    INGEST = "ingest", "send signals and upsert customers"
    DECIDE = "decide", "ask for decisions"
    READ = "read", "read customers, principles, stages, campaigns"
    CAMPAIGNS = "campaigns", "create and change campaigns"


class ApiToken(models.Model):
    """A bearer token of an integration; only its SHA-256 is stored."""

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @staticmethod
    def generate_key() -> str:
        return "cxm_" + secrets.token_urlsafe(32)

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class CustomerFacts(models.Model):
    """What the facts of one customer are made of, computed as of `as_of` by cxcore.facts.set_based.

    A cache of the signals, one row per customer: the profile facts and the counts as they stand, and
    for each "days since" fact the instant it counts from, so that the row gives the facts at any time
    T from `as_of` up to (not including) `valid_until_us`, the first instant at which time alone can
    change a count (a signal leaving a window, a signal dated after `as_of`). The facts at T are
    read through `cxcore.facts.selectors`; a row that is not valid at T (or a customer with signals
    not yet evaluated) is computed again. Storing instants rather than day counts is what lets a daily
    run leave a customer's row alone when nothing happened to them.
    """

    # No database constraint: the rows are written set-based from the customers table itself, a
    # quarter of a million at a time, and checking each at commit cost a cold run a sixth of its
    # time. Deleting a customer deletes the row through the ORM (CASCADE).
    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, primary_key=True, db_constraint=False, related_name="facts"
    )
    as_of = models.DateTimeField()
    computed_at = models.DateTimeField()
    # Epoch microseconds (exact on every database); null: no count changes with time alone.
    valid_until_us = models.BigIntegerField(null=True)

    class Meta:
        verbose_name_plural = "customer facts"

    def __str__(self) -> str:
        return f"facts of {self.customer_id} as of {self.as_of:%Y-%m-%d %H:%M}"


# Then one column per cxcore fact, made from its definition: the profile facts and the counts as they
# stand, and for a day count the instant it counts from (tenure_days: tenure_start).
for _column, _field in stored_fields():
    CustomerFacts.add_to_class(_column, _field)


class CustomerFoldState(models.Model):
    """A customer's facts checkpoint as of `as_of` (cxcore.facts.checkpoint): what their history up to then
    still holds for the facts at any later time, so that the facts at T >= as_of read it and the signals
    after it only, whatever the history's length. Written by the path that folds a customer's signals in
    time order (membrane's event-time path), with the history it derives.

    It holds while no signal dated at or before `as_of` is missing from it: a customer dirty from then or
    earlier (dirty_since, or a queued change) is read from their signals instead. The writer may add the
    next instant at which time alone can change what it decides (`next_instant_us`, epoch microseconds),
    valid for its rules `clock_key` only.
    """

    # No database constraint, as for the stored facts; deleting a customer deletes it through the ORM.
    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, primary_key=True, db_constraint=False, related_name="fold_state"
    )
    as_of = models.DateTimeField()
    state = models.JSONField()
    # The facts as they stand at as_of and until when with no new signal (cxcore.facts.standing): what a
    # read about a customer with nothing new needs, a few rows whatever the history.
    standing = models.JSONField(null=True)
    next_instant_us = models.BigIntegerField(null=True)
    clock_key = models.IntegerField(null=True)

    def __str__(self) -> str:
        return f"checkpoint of {self.customer_id} as of {self.as_of:%Y-%m-%d %H:%M}"
