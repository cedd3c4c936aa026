"""``make run``'s start-up (issue 16): one block with the address and every demo login, printed
when the server listens (``manage.py rundemo``); no axes banner from each process."""

from django.conf import settings

from portfolio.demo import USERS
from portfolio.management.commands.rundemo import Command, start_block


def test_the_block_names_the_address_once_and_every_login():
    block = start_block("http://127.0.0.1:8123/")
    assert block.count("http://127.0.0.1:8123/") == 1
    assert "PORT=8123 make run" in block
    for user in USERS:
        assert block.count(f"{user.username}  ") >= 1 and block.count(user.password) == 1


def test_the_server_prints_the_block_when_it_listens(capsys):
    command = Command()
    command.addr, command._raw_ipv6, command.protocol = "127.0.0.1", False, "http"
    command.on_bind(8123)
    out = capsys.readouterr().out
    assert out.count("Valuegate is running at http://127.0.0.1:8123/") == 1
    assert "Starting WSGI development server" not in out  # Django's own banner is replaced


def test_axes_prints_no_banner():
    assert settings.AXES_VERBOSE is False
