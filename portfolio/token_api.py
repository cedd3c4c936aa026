"""``/api/v1/auth/token/``: ``POST`` username + password → a token; ``DELETE`` revokes the
token the request carries.

``POST`` needs no authentication (the credentials in the body are the authentication: no session,
so no CSRF token) and goes through the same lockouts and limits as the login page (axes and
``login_limits``: 429 with ``Retry-After``). Each ``POST`` issues a new token (``api_tokens``).
An account with two-factor sign-in (required for PMO members and superusers under
``MFA_REQUIRED``) also sends ``code`` (``portfolio.mfa.check_token_code``); a wrong code counts as
a failed login. An account without a password (single sign-on) gets no token here.
``DELETE`` takes only a token (a browser session has no token to revoke: 401).
"""

from django.contrib.auth import authenticate, user_logged_in
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from .api_tokens import TokenAuthentication, api_token_issue, api_token_revoke
from .mfa import check_token_code


class TokenCredentialsSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)
    code = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text="The current two-factor code (authenticator app) or a recovery code: needed "
        "when the account uses two-factor sign-in (PMO members and superusers when "
        "MFA_REQUIRED is on).",
    )

    def validate(self, attrs):
        request = self.context["request"]
        user = authenticate(request=request, username=attrs["username"], password=attrs["password"])
        if user is None:
            raise serializers.ValidationError(
                "Unable to log in with provided credentials.", code="authorization"
            )
        problem = check_token_code(request, user, attrs.get("code", "").strip())
        if problem:
            raise serializers.ValidationError({"code": [problem]}, code="mfa")
        attrs["user"] = user
        return attrs


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send it as ``Authorization: Token <token>``.")
    expires_at = serializers.DateTimeField(help_text="After this the token gets 401.")


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


TOO_MANY = OpenApiResponse(
    DetailSerializer,
    description="Too many attempts (a locked-out username or address, or the sign-in limits); "
    "the ``Retry-After`` header says how many seconds to wait.",
)


class TokenView(APIView):
    def _is_delete(self) -> bool:
        # ``self.request`` is Django's request while DRF builds its own (``initialize_request``);
        # the schema generator sets a mock one per method (and none while building it).
        return getattr(self.request, "method", None) == "DELETE"

    def get_authenticators(self):
        # Only DELETE takes a token; other methods are open (POST's body is the credentials,
        # anything else is a 405).
        return [TokenAuthentication()] if self._is_delete() else []

    def get_permissions(self):
        return [IsAuthenticated()] if self._is_delete() else [AllowAny()]

    @extend_schema(
        operation_id="auth_token_create",
        request=TokenCredentialsSerializer,
        responses={200: TokenSerializer, 429: TOO_MANY},
        description="A new API token for these credentials, valid for ``API_TOKEN_TTL_DAYS`` "
        "days. Every call issues a new token; a user keeps at most 10 (the oldest is revoked).",
    )
    def post(self, request):
        serializer = TokenCredentialsSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        token, instance = api_token_issue(user=user)
        user_logged_in.send(sender=user.__class__, request=request, user=user)
        data = TokenSerializer({"token": token, "expires_at": instance.expiry}).data
        return Response(data)

    @extend_schema(
        operation_id="auth_token_destroy",
        request=None,
        responses={204: None},
        description="Revoke the token this request carries; it gets 401 from now on.",
    )
    def delete(self, request):
        api_token_revoke(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)
