"""``manage.py create_pmo_user``: the first PMO user of a deployment."""

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from tests.conftest import PASSWORD
from usecases.roles import is_leadership, is_pmo

STRONG = "plenty-of-entropy-4711"


def run(*args, **options):
    out = StringIO()
    call_command("create_pmo_user", *args, stdout=out, **options)
    return out.getvalue()


@pytest.mark.django_db
def test_noinput_creates_a_pmo_user_from_the_environment(monkeypatch):
    monkeypatch.setenv("VALUEGATE_PMO_PASSWORD", STRONG)
    out = run("pia", "--noinput", "--email", "pia@example.com", "--first-name", "Pia")
    user = User.objects.get(username="pia")
    assert "Created pia: member of PMO" in out
    assert user.check_password(STRONG)
    assert user.email == "pia@example.com" and user.first_name == "Pia"
    assert is_pmo(user) and not is_leadership(user)
    assert not user.is_superuser and not user.is_staff


@pytest.mark.django_db
def test_interactive_asks_twice(monkeypatch):
    answers = iter([STRONG, STRONG])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    run("pia", "--leadership")
    user = User.objects.get(username="pia")
    assert user.check_password(STRONG)
    assert is_pmo(user) and is_leadership(user)


@pytest.mark.django_db
def test_interactive_passwords_must_match(monkeypatch):
    answers = iter([STRONG, STRONG + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    with pytest.raises(CommandError, match="differ"):
        run("pia")
    assert not User.objects.filter(username="pia").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("password", ["", "password", "short"])
def test_weak_or_missing_password_is_refused(monkeypatch, password):
    monkeypatch.setenv("VALUEGATE_PMO_PASSWORD", password)
    with pytest.raises(CommandError):
        run("pia", "--noinput")
    assert not User.objects.filter(username="pia").exists()


def test_existing_user_joins_pmo_and_keeps_the_password(owner, monkeypatch):
    monkeypatch.delenv("VALUEGATE_PMO_PASSWORD", raising=False)
    out = run("olivia", "--noinput")
    owner.refresh_from_db()
    assert "Updated existing user olivia" in out
    assert owner.check_password(PASSWORD)
    assert is_pmo(User.objects.get(pk=owner.pk))
    run("olivia", "--noinput")  # twice is fine
    assert owner.groups.filter(name="PMO").count() == 1
