"""Create an API token for an integration; the key is printed once, alone on the last line."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from cxcore.models import ApiScope
from cxcore.services import api_token_create


class Command(BaseCommand):
    help = "Create a bearer token for an integration. The key is shown only once: store it."

    def add_arguments(self, parser):
        parser.add_argument("name", help="Name of the integration, e.g. helpdesk.")
        parser.add_argument(
            "--scopes",
            required=True,
            help=f"Comma-separated scopes of: {', '.join(ApiScope.values)}.",
        )

    def handle(self, *args, name: str, scopes: str, **options):
        wanted = [scope.strip() for scope in scopes.split(",") if scope.strip()]
        try:
            token, key = api_token_create(name=name, scopes=wanted)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stderr.write(f"Created token {token.prefix}… '{token.name}' with scopes {', '.join(token.scopes)}.")
        self.stdout.write(key)
