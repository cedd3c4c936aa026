"""The flow ``make prod-smoke`` drives over HTTP against the running production shape.

Standard library only (urllib). ``scripts/prod-smoke.sh`` starts gunicorn, a Celery worker and
Celery beat, then runs ``python scripts/smoke_flow.py --base-url http://127.0.0.1:<port>`` with the
same environment; users are created and the worker's notification is read through ``manage.py``
(the database the processes share), everything else goes through HTTP as a client would:

  health → login page (CSP, static files) → users (``create_pmo_user`` and an owner) → tokens →
  use case created by the PMO → business case → weekly review with 30 % rework by the owner →
  stop-loss flag in the API → use case back in redesign → duplicate week refused → a reminder the
  worker created when beat enqueued the cadence task → a token revoked (then refused).

Each step prints PASS / FAIL / SKIP (skipped: an earlier step it needs failed) with the reason;
the exit status is 1 if any step did not pass.
"""

import argparse
import base64
import datetime
import hashlib
import hmac
import json
import os
import re
import secrets
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OWNER = "smoke-owner"
PMO = "smoke-pmo"


class StepFailed(Exception):
    pass


class Skip(Exception):
    pass


def iso_week(day: datetime.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def manage(*args: str, env: dict | None = None, timeout: int = 120) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise StepFailed(f"manage.py {args[0]} exited {result.returncode}: {' | '.join(tail)}")
    return result.stdout


def totp(secret: str) -> str:
    """The current RFC 6238 code (SHA-1, 6 digits, 30 s) of a base32 secret."""
    key = base64.b32decode(secret)
    digest = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 10**6:06d}"


def shell_json(code: str, timeout: int = 120) -> dict:
    """Run ``code`` in ``manage.py shell`` and parse the JSON it prints last."""
    out = manage("shell", "-c", code, timeout=timeout)
    return json.loads(out.strip().splitlines()[-1])


class Http:
    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")

    def __call__(self, method, path, *, token=None, body=None, form=None):
        headers = {"Accept": "application/json"}
        data = None
        if token:
            headers["Authorization"] = f"Token {token}"
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        request = urllib.request.Request(
            self.base_url + path, data=data, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return Response(response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, error.headers, error.read())


class Response:
    def __init__(self, status, headers, content: bytes):
        self.status, self.headers, self.content = status, headers, content

    def json(self):
        try:
            return json.loads(self.content)
        except ValueError:
            return None

    def expect(self, *statuses, what: str):
        if self.status not in statuses:
            detail = self.content[:300].decode(errors="replace").replace("\n", " ")
            hint = " (endpoint not there yet?)" if self.status == 404 else ""
            raise StepFailed(f"{what}: HTTP {self.status}{hint}: {detail}")
        return self


class Flow:
    def __init__(self, base_url: str, reminder_timeout: float):
        self.http = Http(base_url)
        self.reminder_timeout = reminder_timeout
        self.results: list[tuple[str, str, str]] = []
        self.state: dict = {}
        self.passwords = {OWNER: secrets.token_urlsafe(18), PMO: secrets.token_urlsafe(18)}

    # --- bookkeeping ----------------------------------------------------------------------
    def step(self, name, func, *needs):
        missing = [need for need in needs if need not in self.state]
        if missing:
            self.results.append((name, "SKIP", f"needs {', '.join(missing)}"))
        else:
            try:
                detail = func() or ""
                self.results.append((name, "PASS", detail))
            except StepFailed as exc:
                self.results.append((name, "FAIL", str(exc)))
            except Exception as exc:  # a bug in this script or a crash: still report it
                self.results.append((name, "FAIL", f"{type(exc).__name__}: {exc}"))
        status, detail = self.results[-1][1:]
        print(f"  {status:4}  {name}{': ' + detail if detail else ''}", flush=True)

    def run(self) -> bool:
        self.step("health check /healthz", self.healthz)
        self.step("login page: CSP nonce, security headers, hashed static files", self.login_page)
        self.step("users: PMO via create_pmo_user, value owner", self.users)
        self.step("API token for the PMO", lambda: self.token(PMO), "users")
        self.step("API token for the value owner", lambda: self.token(OWNER), "users")
        self.step("anonymous API request refused", self.anonymous_refused)
        self.step("PMO creates a use case (POST use-cases/)", self.create_use_case, "token:pmo")
        self.step(
            "PMO sets the business case (PUT business-case/)",
            self.business_case,
            "token:pmo",
            "use_case",
        )
        self.step(
            "owner posts a weekly review with 30% rework (POST weekly-reviews/)",
            self.weekly_review,
            "token:owner",
            "use_case",
        )
        self.step(
            "stop-loss flag visible (GET flags/?use_case=)",
            self.stop_loss_flag,
            "token:owner",
            "review",
        )
        self.step(
            "use case returned to redesign, funding conditional",
            self.back_to_redesign,
            "token:owner",
            "review",
        )
        self.step(
            "second review of the same week refused (400)",
            self.duplicate_week,
            "token:owner",
            "review",
        )
        self.step(
            "reminder created by the worker (beat → Redis → worker → notification)",
            self.reminder,
            "use_case",
        )
        self.step("PMO revokes its token (DELETE auth/token/)", self.revoke_token, "token:pmo")
        return all(status == "PASS" for _, status, _ in self.results)

    # --- steps ----------------------------------------------------------------------------
    def healthz(self):
        response = self.http("GET", "/healthz").expect(200, what="GET /healthz")
        if response.json() != {"status": "ok"}:
            raise StepFailed(f"unexpected body {response.content[:100]!r}")

    def login_page(self):
        response = self.http("GET", "/accounts/login/").expect(200, what="GET /accounts/login/")
        csp = response.headers.get("Content-Security-Policy", "")
        nonce = re.search(r"'nonce-([^']+)'", csp)
        if not nonce:
            raise StepFailed(f"no script nonce in Content-Security-Policy: {csp!r}")
        html = response.content.decode()
        if f'nonce="{nonce.group(1)}"' not in html:
            raise StepFailed("the page's <script> tags do not carry the header's nonce")
        for header, expected in [
            ("X-Frame-Options", "DENY"),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "same-origin"),
        ]:
            if response.headers.get(header) != expected:
                raise StepFailed(f"{header} is {response.headers.get(header)!r}")
        css = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', html)
        if not css:
            raise StepFailed("the stylesheet is not served under a hashed name (collectstatic?)")
        static = self.http("GET", css.group(1)).expect(200, what=f"GET {css.group(1)}")
        if "immutable" not in static.headers.get("Cache-Control", ""):
            raise StepFailed(f"hashed static file not cached forever: {static.headers}")
        return f"nonce ok, {css.group(1)} served by WhiteNoise"

    def users(self):
        manage(
            "create_pmo_user",
            PMO,
            "--noinput",
            "--email",
            f"{PMO}@example.com",
            env={"VALUEGATE_PMO_PASSWORD": self.passwords[PMO]},
        )
        code = (
            "import json, os\n"
            "from django.contrib.auth.models import User\n"
            "from usecases import clock\n"
            f"User.objects.create_user({OWNER!r}, {OWNER + '@example.com'!r}, "
            "os.environ['SMOKE_OWNER_PASSWORD'], first_name='Smoke', last_name='Owner')\n"
            "print(json.dumps({'today': clock.today().isoformat()}))\n"
        )
        os.environ["SMOKE_OWNER_PASSWORD"] = self.passwords[OWNER]
        today = datetime.date.fromisoformat(shell_json(code)["today"])
        # The PMO must use two-factor sign-in in production (MFA_REQUIRED): an authenticator app
        # with a secret the flow knows, as if the PMO had scanned its QR code.
        self.totp_secret = base64.b32encode(secrets.token_bytes(20)).decode()
        code = (
            "import json, os\n"
            "from allauth.mfa.totp.internal.auth import TOTP\n"
            "from django.contrib.auth.models import User\n"
            f"TOTP.activate(User.objects.get(username={PMO!r}), os.environ['SMOKE_TOTP'])\n"
            "print(json.dumps({}))\n"
        )
        os.environ["SMOKE_TOTP"] = self.totp_secret
        shell_json(code)
        self.state.update(users=True, today=today)
        return f"server date {today}, the PMO with an authenticator app"

    def sign_in(self, body, code_from=None):
        """POST the token endpoint as a well-behaved client: the site checks at most
        ``LOGIN_CHECKS_PER_SECOND`` passwords per second in total, so a 429 is waited out
        (its ``Retry-After``, at most three times) rather than read as a failure. With
        ``code_from`` (an authenticator), each attempt sends the code current when it is sent."""
        for _attempt in range(3):
            if code_from:
                body = {**body, "code": totp(code_from)}
            response = self.http("POST", "/api/v1/auth/token/", body=body)
            if response.status != 429:
                return response
            time.sleep(min(5, int(response.headers.get("Retry-After") or 1)))
        return response

    def token(self, username):
        body = {"username": username, "password": self.passwords[username]}
        authenticator = None
        if username == PMO:  # two-factor sign-in is required of the PMO in production
            self.sign_in(body).expect(
                400, what="POST /api/v1/auth/token/ without the PMO's two-factor code"
            )
            authenticator = self.totp_secret
        response = self.sign_in(body, authenticator).expect(200, what="POST /api/v1/auth/token/")
        body = response.json() or {}
        token, expires_at = body.get("token"), body.get("expires_at")
        if not token or not expires_at:
            raise StepFailed(f"no token and expiry in {response.content[:100]!r}")
        self.state[f"token:{'pmo' if username == PMO else 'owner'}"] = token
        return f"expires {expires_at}"

    def revoke_token(self):
        token = self.state["token:pmo"]
        self.http("DELETE", "/api/v1/auth/token/", token=token).expect(
            204, what="DELETE /api/v1/auth/token/"
        )
        self.http("GET", "/api/v1/use-cases/", token=token).expect(
            401, what="GET /api/v1/use-cases/ with the revoked token"
        )
        return "204, then 401 with it"

    def anonymous_refused(self):
        response = self.http("GET", "/api/v1/use-cases/")
        response.expect(401, what="anonymous GET /api/v1/use-cases/")
        return f"HTTP {response.status}"

    def create_use_case(self):
        today = self.state["today"]
        body = {
            "name": f"Smoke test assistant {secrets.token_hex(3)}",
            "description": "Created by make prod-smoke.",
            "business_unit": "Customer Service",
            "workflow": "Inbound e-mail triage",
            "stage": "rollout",
            "value_owner": OWNER,
            "target_users": 100,
            "live_since": (today - datetime.timedelta(days=70)).isoformat(),
            "funding_status": "funded",
        }
        response = self.http(
            "POST", "/api/v1/use-cases/", token=self.state["token:pmo"], body=body
        ).expect(201, what="POST /api/v1/use-cases/")
        use_case = response.json()
        if use_case.get("value_owner") != OWNER or use_case.get("stage") != "rollout":
            raise StepFailed(f"unexpected use case {use_case}")
        self.state["use_case"] = use_case["id"]
        return f"use case {use_case['id']}"

    def business_case(self):
        body = {
            "baseline_tasks_per_week": "1000",
            "baseline_minutes_per_task": "12",
            "baseline_source": "production",
            "hourly_cost": "45.00",
            "pilot_effort_reduction": "0.30",
            "reclaimable_share": "0.50",
            "adoption_pessimistic": "0.40",
            "adoption_base": "0.60",
            "adoption_optimistic": "0.80",
            "planned_monthly_run_cost": "1200.00",
            "planned_monthly_support_cost": "800.00",
            "planned_monthly_maintenance_cost": "500.00",
            "one_off_integration_cost": "20000.00",
            "one_off_training_cost": "5000.00",
        }
        path = f"/api/v1/use-cases/{self.state['use_case']}/business-case/"
        response = self.http("PUT", path, token=self.state["token:pmo"], body=body)
        response.expect(200, what=f"PUT {path}")
        if response.json().get("hourly_cost") != "45.00":
            raise StepFailed(f"unexpected business case {response.json()}")

    def _review_body(self):
        # The week before last: last week stays missing, so the worker has a reminder to send.
        self.state["week"] = iso_week(self.state["today"] - datetime.timedelta(days=14))
        return {
            "use_case": self.state["use_case"],
            "week": self.state["week"],
            "active_users": 80,
            "target_users": 100,
            "tasks_total": 1000,
            "tasks_with_ai": 800,
            "reworked_outputs": 240,  # 30 % rework: the default policy stops at 15 %
            "exceptions": 20,
            "minutes_saved_per_task": "3.00",
            "rework_minutes_per_output": "4.00",
            "quality_score": 80,
            "backlog": 50,
            "declared_hours_saved": "40.00",
            "notes": "make prod-smoke",
        }

    def weekly_review(self):
        response = self.http(
            "POST",
            "/api/v1/weekly-reviews/",
            token=self.state["token:owner"],
            body=self._review_body(),
        ).expect(201, what="POST /api/v1/weekly-reviews/")
        review = response.json()
        if review.get("rework_rate") != "0.3000":
            raise StepFailed(f"rework_rate is {review.get('rework_rate')!r}, expected '0.3000'")
        self.state["review"] = review["id"]
        return f"review {review['id']} for {self.state['week']}, rework_rate 0.3000"

    def stop_loss_flag(self):
        path = f"/api/v1/flags/?use_case={self.state['use_case']}"
        response = self.http("GET", path, token=self.state["token:owner"])
        response.expect(200, what=f"GET {path}")
        payload = response.json()
        flags = payload.get("results", payload) if isinstance(payload, dict) else payload
        stop_loss = [f for f in flags if f.get("kind") == "stop_loss"]
        if not stop_loss:
            raise StepFailed(f"no stop_loss flag in {flags}")
        if stop_loss[0].get("resolved_at"):
            raise StepFailed("the stop_loss flag is already resolved")
        return f"flag {stop_loss[0].get('id')} for {stop_loss[0].get('period')}"

    def back_to_redesign(self):
        path = f"/api/v1/use-cases/{self.state['use_case']}/"
        use_case = (
            self.http("GET", path, token=self.state["token:owner"])
            .expect(200, what=f"GET {path}")
            .json()
        )
        if (use_case.get("stage"), use_case.get("funding_status")) != ("redesign", "conditional"):
            raise StepFailed(
                f"stage {use_case.get('stage')!r}, funding {use_case.get('funding_status')!r}"
            )

    def duplicate_week(self):
        response = self.http(
            "POST",
            "/api/v1/weekly-reviews/",
            token=self.state["token:owner"],
            body=self._review_body(),
        ).expect(400, what="second POST /api/v1/weekly-reviews/ for the same week")
        return response.content[:120].decode(errors="replace")

    def reminder(self):
        last_week = iso_week(self.state["today"] - datetime.timedelta(days=7))
        code = (
            "import json, time\n"
            "from usecases.models import Notification\n"
            f"deadline = time.monotonic() + {self.reminder_timeout}\n"
            "found = None\n"
            "while found is None and time.monotonic() < deadline:\n"
            f"    found = Notification.objects.filter(recipient__username={OWNER!r},\n"
            f"        kind='weekly_reminder', subject_id={self.state['use_case']},\n"
            f"        period={last_week!r}).values('title', 'created_at').first()\n"
            "    if found is None:\n"
            "        time.sleep(1)\n"
            "print(json.dumps(found, default=str))\n"
        )
        started = time.monotonic()
        found = shell_json(code, timeout=int(self.reminder_timeout) + 60)
        if not found:
            raise StepFailed(
                f"no weekly_reminder for {OWNER} and {last_week} after "
                f"{self.reminder_timeout:.0f} s (is the worker consuming? beat sending?)"
            )
        return f"after {time.monotonic() - started:.0f} s: {found['title']}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--reminder-timeout", type=float, default=60.0)
    args = parser.parse_args()
    flow = Flow(args.base_url, args.reminder_timeout)
    ok = flow.run()
    counts = {s: sum(1 for _, status, _ in flow.results if status == s) for s in ("PASS", "FAIL")}
    skipped = len(flow.results) - counts["PASS"] - counts["FAIL"]
    print(f"flow: {counts['PASS']} passed, {counts['FAIL']} failed, {skipped} skipped")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
