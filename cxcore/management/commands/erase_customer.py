from django.core.management.base import BaseCommand, CommandError

from cxcore.erasure import AlreadyErased, customer_erase
from cxcore.models import Customer


class Command(BaseCommand):
    help = (
        "Erases a customer's personal data: name, email, phone, attributes, consent and every signal's "
        "payload. The decision log, stage history and facts stay, under a random pseudonym. Logged."
    )

    def add_arguments(self, parser):
        parser.add_argument("external_id", help="the customer's id in the source systems")
        parser.add_argument("--by", default="manage.py erase_customer", help="who asked (kept in the log)")

    def handle(self, *args, external_id, by, **options):
        customer = Customer.objects.filter(external_id=external_id).first()
        if customer is None:
            raise CommandError(f"No customer {external_id!r}: nothing was erased.")
        try:
            erasure = customer_erase(customer, erased_by=by)
        except AlreadyErased as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Erased {external_id}: now {erasure.pseudonym}; {erasure.signals_cleared} signal payloads cleared; "
            "decisions and stage history kept under the pseudonym."
        )
