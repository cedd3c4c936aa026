"""``/api/v1/notification-channels/``: what each role sees and may change (the statuses per role
are in tests/security/permission_matrix.py), the field rules with their messages, and the URL and
secret never coming back."""

import pytest

from usecases.models import NotificationChannel

pytestmark = pytest.mark.django_db

URL = "/api/v1/notification-channels/"
SLACK = "https://93.184.216.34/services/T0AAA/B0BBB/abcdefghij"


def body(**over):
    return {
        "kind": "slack",
        "name": "#ai-portfolio",
        "url": SLACK,
        "events": ["flag_raised"],
        **over,
    }


@pytest.fixture
def channels(api_for):
    """A PMO-wide channel, Olivia's and Oscar's personal ones, each made by its owner."""
    made = {}
    for role, name in (("pmo", "PMO"), ("owner", "Olivia"), ("other_owner", "Oscar")):
        response = api_for(role).post(URL, body(name=name), format="json")
        assert response.status_code == 201, response.content
        made[name] = response.json()
    return made


def names(response):
    return sorted(c["name"] for c in response.json()["results"])


def test_each_role_sees_its_channels(api_for, channels):
    assert names(api_for("pmo").get(URL)) == ["Olivia", "Oscar", "PMO"]
    assert names(api_for("admin").get(URL)) == ["Olivia", "Oscar", "PMO"]
    assert names(api_for("owner").get(URL)) == ["Olivia"]
    assert names(api_for("other_owner").get(URL)) == ["Oscar"]
    for role in ("contributor", "leader", "outsider"):
        assert api_for(role).get(URL).status_code == 403
    assert channels["PMO"]["scope"] == "pmo" and channels["PMO"]["owner"] is None
    assert channels["Olivia"]["scope"] == "personal" and channels["Olivia"]["owner"] == "olivia"


def test_another_owners_channel_does_not_exist_for_a_value_owner(api_for, channels):
    oscar = channels["Oscar"]["id"]
    olivia = api_for("owner")
    assert olivia.get(f"{URL}{oscar}/").status_code == 404
    assert olivia.patch(f"{URL}{oscar}/", {"name": "mine"}, format="json").status_code == 404
    assert olivia.delete(f"{URL}{oscar}/").status_code == 404
    assert olivia.post(f"{URL}{oscar}/test/").status_code == 404
    assert olivia.get(f"{URL}{channels['PMO']['id']}/").status_code == 404
    assert NotificationChannel.objects.get(pk=oscar).name == "Oscar"
    # The PMO may change and delete anyone's.
    pmo = api_for("pmo")
    assert pmo.patch(f"{URL}{oscar}/", {"enabled": False}, format="json").status_code == 200
    assert pmo.delete(f"{URL}{oscar}/").status_code == 204


def test_only_the_pmo_adds_pmo_wide_channels(api_for):
    response = api_for("owner").post(URL, body(scope="pmo"), format="json")
    assert response.status_code == 400
    assert response.json()["scope"] == [
        "Only the PMO adds PMO-wide channels; yours is personal (your use cases only)."
    ]
    assert api_for("contributor").post(URL, body(), format="json").status_code == 403
    assert api_for("leader").post(URL, body(), format="json").status_code == 403
    personal = api_for("pmo").post(URL, body(scope="personal"), format="json").json()
    assert personal["scope"] == "personal" and personal["owner"] == "pia"


def test_the_url_and_the_secret_never_come_back(api_for):
    pmo = api_for("pmo")
    made = pmo.post(URL, body(kind="json", secret="s3cret-of-twenty-chars"), format="json").json()
    for shown in (made, pmo.get(f"{URL}{made['id']}/").json(), pmo.get(URL).json()):
        text = str(shown)
        assert "abcdefghij" not in text and "s3cret" not in text
    assert made["url_hint"] == "https://93.184.216.34/…/ghij"
    assert made["has_secret"] is True
    assert "url" not in made and "secret" not in made


def test_a_change_keeps_the_url_and_secret_unless_given(api_for):
    pmo = api_for("pmo")
    made = pmo.post(URL, body(kind="json", secret="s3cret-of-twenty-chars"), format="json").json()
    changed = pmo.patch(
        f"{URL}{made['id']}/", {"name": "Renamed", "events": ["gate_closed"]}, format="json"
    ).json()
    assert changed["url_hint"] == made["url_hint"] and changed["has_secret"]
    assert changed["events"] == ["gate_closed"]
    moved = pmo.patch(
        f"{URL}{made['id']}/", {"url": "https://93.184.216.35/hooks/newone"}, format="json"
    ).json()
    assert moved["url_hint"] == "https://93.184.216.35/…/wone"
    refused = pmo.patch(f"{URL}{made['id']}/", {"scope": "personal"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["scope"] == [
        "The scope of a channel cannot change: add a new channel instead."
    ]


@pytest.mark.parametrize(
    ("over", "field", "message"),
    [
        ({"name": "  "}, "name", "Name the channel (e.g. #ai-portfolio)."),
        ({"url": ""}, "url", "Paste the webhook URL the chat tool gave you."),
        ({"events": []}, "events", "Choose at least one event to send to this channel."),
        ({"events": ["coffee"]}, "events", '"coffee" is not a valid choice.'),
        ({"kind": "irc"}, "kind", '"irc" is not a valid choice.'),
        ({"kind": "json"}, "secret", "A generic webhook is signed: enter a secret of at least 16"),
        ({"kind": "json", "secret": "short"}, "secret", "Use a signing secret of at least 16"),
    ],
)
def test_bad_input_is_a_field_message(api_for, over, field, message):
    response = api_for("pmo").post(URL, body(**over), format="json")
    assert response.status_code == 400, response.content
    assert message in str(response.json()[field])
    assert not NotificationChannel.objects.exists()
