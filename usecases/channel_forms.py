"""The chat channel form (``channel_views``); the rules are in ``usecases.channels``."""

from django import forms

from . import channels
from .models import AlertEvent, ChannelKind


class ChannelForm(forms.Form):
    name = forms.CharField(
        max_length=channels.NAME_MAX, help_text="How you recognise it, e.g. #ai-portfolio."
    )
    kind = forms.ChoiceField(label="Kind", choices=ChannelKind.choices)
    url = forms.CharField(
        label="Webhook URL",
        max_length=channels.URL_MAX,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=(
            "Slack: the incoming webhook URL (https://hooks.slack.com/services/…). Teams: the URL "
            "of the Workflows trigger “When a Teams webhook request is received”. Stored "
            "encrypted, shown back masked."
        ),
    )
    secret = forms.CharField(
        label="Signing secret",
        required=False,
        strip=False,
        max_length=200,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=(
            f"Generic JSON webhook only: at least {channels.SECRET_MIN} characters; the body is "
            "signed with HMAC-SHA256 in X-Valuegate-Signature. Never shown back."
        ),
    )
    events = forms.MultipleChoiceField(
        label="Events", choices=AlertEvent.choices, widget=forms.CheckboxSelectMultiple
    )
    scope = forms.ChoiceField(
        label="Scope",
        choices=list(channels.SCOPES.items()),
        widget=forms.RadioSelect,
        required=False,
    )
    enabled = forms.BooleanField(label="On (alerts are sent)", required=False, initial=True)

    def __init__(self, *args, channel=None, pmo=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.channel = channel
        if channel is not None:
            self.fields["url"].help_text = (
                f"Stored: {channel.url_hint}. Leave empty to keep it; paste a new URL to "
                "replace it."
            )
            if channel.secret_sealed:
                self.fields["secret"].help_text = "A secret is stored. Leave empty to keep it."
        else:
            self.fields["url"].required = True
        if channel is not None or not pmo:
            del self.fields["scope"]
        else:
            self.fields["scope"].initial = channels.PMO_WIDE
