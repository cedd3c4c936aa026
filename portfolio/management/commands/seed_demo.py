"""``manage.py seed_demo``: load the demo portfolio (idempotent) and print one login per role."""

from django.core.management.base import BaseCommand

from portfolio import demo


class Command(BaseCommand):
    help = (
        "Load the demo portfolio relative to today: one user per role, use cases in every stage "
        "with business cases, and six months of weekly and monthly reviews. Running it again "
        "adds only what is missing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--quiet", action="store_true", help="Print nothing (no summary, no login table)."
        )

    def handle(self, *args, quiet=False, **options):
        result = demo.seed_demo()
        if quiet:
            return
        self.stdout.write(self.style.SUCCESS(result.summary()))
        self.stdout.write("\nDemo logins:\n" + demo.login_table(result.users) + "\n")
