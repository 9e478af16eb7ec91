"""Demo console users, one per role and team, and the demo integration's API token."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from cxcore.models import ApiScope, ApiToken, Role, Team, User
from cxcore.services import api_token_create

# Printed on the console's start page: a demo must be enterable without reading code.
DEMO_PASSWORD = "membrane-demo"
DEMO_TOKEN_NAME = "demo-integration"
# A fixed salt gives one hash for every demo user, computed once per run and compared as a string:
# hashing is slow on purpose, and the password is public anyway.
DEMO_SALT = "cxmembranedemo"


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    team: str
    description: str


DEMO_USERS = [
    DemoUser("carla", Role.CX_MANAGER, "cx", "writes principles and stage rules"),
    DemoUser("sven", Role.CX_MANAGER, "service", "approves principles of other teams"),
    DemoUser("anna", Role.AGENT, "service", "works the task queue, looks customers up"),
    DemoUser("sam", Role.AGENT, "sales", "sales agent"),
    DemoUser("mark", Role.MARKETER, "marketing_devices", "plans hardware campaigns"),
    DemoUser("mona", Role.MARKETER, "marketing_services", "plans service campaigns"),
    DemoUser("rita", Role.MARKETER, "research", "plans satisfaction surveys"),
    DemoUser("admin", Role.ADMIN, "cx", "superuser, Django admin"),
]


@transaction.atomic
def demo_users_ensure() -> list[DemoUser]:
    """Creates the demo users or puts them back to their demo role, team and password."""
    teams = {team.key: team for team in Team.objects.all()}
    password = make_password(DEMO_PASSWORD, salt=DEMO_SALT)
    for spec in DEMO_USERS:
        user, _ = User.objects.get_or_create(username=spec.username)
        user.team = teams[spec.team]
        user.is_active = True
        user.is_staff = user.is_superuser = spec.role == Role.ADMIN
        user.email = user.email or f"{spec.username}@example.com"
        # Reset every time: a changed password would make the printed logins lie.
        user.password = password
        user.save()
        user.groups.set([Group.objects.get(name=spec.role)])
    return DEMO_USERS


@transaction.atomic
def demo_token_rotate() -> str:
    """A fresh token for the demo integration; older ones are revoked (only their hash is stored)."""
    ApiToken.objects.filter(name=DEMO_TOKEN_NAME, revoked_at__isnull=True).update(revoked_at=timezone.now())
    _, key = api_token_create(name=DEMO_TOKEN_NAME, scopes=ApiScope.values)
    return key
