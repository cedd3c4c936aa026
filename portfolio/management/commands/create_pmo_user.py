"""``manage.py create_pmo_user``: the first PMO user of a new installation (or make a user PMO).

Interactive by default (asks for the password twice); ``--noinput`` takes the password from the
``VALUEGATE_PMO_PASSWORD`` environment variable, for scripts and ``docker compose run``.
The password must pass ``AUTH_PASSWORD_VALIDATORS``. An existing user is added to the PMO group
and keeps their password, so the command is safe to run twice.
"""

import getpass
import os

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from usecases.models import RoleSource
from usecases.role_changes import role_changes_by
from usecases.roles import LEADERSHIP, PMO

PASSWORD_ENV = "VALUEGATE_PMO_PASSWORD"


class Command(BaseCommand):
    help = "Create a user in the PMO group (or add an existing user to it)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="", help="Where reminders and flags are e-mailed.")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument(
            "--leadership", action="store_true", help="Also add the user to Leadership."
        )
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help=f"Do not prompt; a new user's password comes from ${PASSWORD_ENV}.",
        )

    def handle(self, *args, username, email, first_name, last_name, leadership, interactive, **_):
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        password = None
        if user is None:
            password = self._password(interactive, User(username=username, email=email))
        groups = [PMO, LEADERSHIP] if leadership else [PMO]
        group_rows = list(Group.objects.filter(name__in=groups))
        if len(group_rows) != len(groups):
            raise CommandError("The role groups do not exist yet: run `manage.py migrate` first.")
        with transaction.atomic():
            if user is None:
                user = User.objects.create_user(
                    username=username,
                    email=email,
                    password=password,
                    first_name=first_name,
                    last_name=last_name,
                )
                created = True
            else:
                created = False
            with role_changes_by(RoleSource.COMMAND, reason="manage.py create_pmo_user"):
                user.groups.add(*group_rows)  # audited: RoleChange per group given
        verb = "Created" if created else "Updated existing user"
        self.stdout.write(self.style.SUCCESS(f"{verb} {username}: member of {', '.join(groups)}."))

    def _password(self, interactive: bool, user) -> str:
        if not interactive:
            password = os.environ.get(PASSWORD_ENV, "")
            if not password:
                raise CommandError(f"--noinput needs the password in ${PASSWORD_ENV}.")
        else:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The two passwords differ.")
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        return password
