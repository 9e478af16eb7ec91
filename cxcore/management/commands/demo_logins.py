"""Prints how to enter the demo: the console URL, a login per role, the API docs and a fresh API token."""

from __future__ import annotations

from urllib.parse import urljoin

from django.core.management.base import BaseCommand
from django.urls import reverse

from cxcore.demo.users import DEMO_PASSWORD, DEMO_TOKEN_NAME, demo_token_rotate, demo_users_ensure
from cxcore.models import ApiScope


class Command(BaseCommand):
    help = "Ensure the demo users exist and print their logins, the API docs URL and a new demo API token."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000/", help="Where the console is served.")

    def handle(self, *args, url: str, **options):
        url = url if url.endswith("/") else url + "/"
        users = demo_users_ensure()
        key = demo_token_rotate()
        docs = reverse("api-docs")
        width = max(len(user.username) for user in users)
        self.stdout.write(f"CX Membrane console: {url}")
        self.stdout.write(f"Logins (password for all: {DEMO_PASSWORD}):")
        for user in users:
            self.stdout.write(
                f"  {user.username:<{width}}  /  {DEMO_PASSWORD}  /  {user.role:<10}  /  team {user.team:<18}"
                f"  {user.description}"
            )
        self.stdout.write(f"API docs: {urljoin(url, docs.lstrip('/'))}")
        self.stdout.write(
            f"API token '{DEMO_TOKEN_NAME}' (scopes {','.join(ApiScope.values)}; older demo tokens revoked):"
        )
        self.stdout.write(key)
