"""``manage.py rundemo [addrport]``: Django's development server (``runserver``, static files
included) that announces itself as one block: the address, how to stop it, where the worker
logs, and the demo logins (``make run``; issue 16: the start-up log said the same things several
times over)."""

import sys

from django.contrib.staticfiles.management.commands.runserver import Command as RunserverCommand

from portfolio import demo


def start_block(url: str) -> str:
    """What ``make run`` prints once the server listens."""
    quit_key = "CTRL-BREAK" if sys.platform == "win32" else "CONTROL-C"
    rule = "-" * 72
    return "\n".join(
        [
            rule,
            f"Valuegate is running at {url}  (quit with {quit_key})",
            "Celery worker + beat log: var/celery.log · another port: PORT=8123 make run",
            "A development server: for production see docs/deploy.md.",
            "",
            "Demo logins:",
            demo.login_table(demo.USERS),
            rule,
        ]
    )


class Command(RunserverCommand):
    help = "Serve the demo with Django's development server; print the address and the logins."

    def on_bind(self, server_port):
        host = "0.0.0.0" if self.addr == "0" else self.addr
        if self._raw_ipv6:
            host = f"[{self.addr}]"
        self.stdout.write(start_block(f"{self.protocol}://{host}:{server_port}/"))
