"""A real OpenID Connect provider for the tests: ``server.js`` (oidc-provider, Node) on a free
loopback port, with its users in a JSON file the test may rewrite between two sign-ins."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

HERE = Path(__file__).parent
CLIENT_ID = "valuegate"
CLIENT_SECRET = "valuegate-test-secret"
PMO_GROUP = "vg-pmo"
LEADERSHIP_GROUP = "vg-leadership"

#: The provider's users: username → what server.js reads (``sub``, password, claims).
USERS = {
    "ann": {
        "sub": "sub-ann-0001",
        "password": "ann-idp-pass",
        "email": "ann@example.com",
        "name": "Ann Admiral",
        "groups": [PMO_GROUP, "everyone"],
    },
    "ben": {
        "sub": "sub-ben-0002",
        "password": "ben-idp-pass",
        "email": "ben@example.com",
        "name": "Ben Board",
        "groups": [LEADERSHIP_GROUP, "everyone"],
    },
    "cleo": {
        "sub": "sub-cleo-0003",
        "password": "cleo-idp-pass",
        "email": "cleo@example.com",
        "name": "Cleo Crew",
        "groups": ["everyone"],
        "preferred_username": None,  # no preferred_username: the e-mail address is the username
    },
    # Entra ID past 200 groups: no "groups" list, a groups overage instead (server.js).
    "dora": {
        "sub": "sub-dora-0004",
        "password": "dora-idp-pass",
        "email": "dora@example.com",
        "name": "Dora Drift",
        "overage": True,
    },
    "eve": {
        "sub": "sub-eve-0005",
        "password": "eve-idp-pass",
        "email": "eve@example.com",
        "name": "Eve Ever",
        "hasgroups": True,
    },
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def node_modules_ready() -> bool:
    return (HERE / "node_modules" / "oidc-provider").is_dir()


@dataclass
class Provider:
    users_file: Path
    redirect_uris: list[str]
    issuer: str | None = None
    post_logout_redirect_uris: list[str] = field(default_factory=list)
    end_session: bool = True
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def write_users(self, users: dict) -> None:
        self.users_file.write_text(json.dumps(users))

    def set_groups(self, username: str, groups: list[str]) -> None:
        users = json.loads(self.users_file.read_text())
        users[username]["groups"] = groups
        self.write_users(users)

    def start(self) -> Provider:
        if not node_modules_ready():
            raise RuntimeError("tests/oidc/node_modules is missing: run `npm ci` in tests/oidc")
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("Node.js is needed for the OpenID Connect provider of the tests")
        env = {
            **os.environ,
            "PORT": str(self.port),
            "USERS_FILE": str(self.users_file),
            "CLIENT_ID": CLIENT_ID,
            "CLIENT_SECRET": CLIENT_SECRET,
            "REDIRECT_URIS": ",".join(self.redirect_uris),
            "POST_LOGOUT_REDIRECT_URIS": ",".join(self.post_logout_redirect_uris),
            "END_SESSION": "on" if self.end_session else "off",
        }
        if self.issuer:
            env["ISSUER"] = self.issuer
        self.process = subprocess.Popen(
            [node, "server.js"],
            cwd=HERE,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 60  # a loaded machine starts Node slowly
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"oidc provider exited: {self.process.stdout.read()}")
            try:
                requests.get(f"{self.url}/.well-known/openid-configuration", timeout=10)
                return self
            except requests.RequestException:  # not listening yet, or slow to answer
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("oidc provider did not start within 60 s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def sign_in(self, authorize_url: str, username: str, password: str) -> str:
        """A user's browser at the provider, without a browser: from the authorization request
        through the sign-in form to the redirect back to Valuegate; that redirect's URL."""
        session = requests.Session()
        url = authorize_url
        for _ in range(10):
            response = session.get(url, allow_redirects=False, timeout=10)
            if response.is_redirect:
                url = urljoin(url, response.headers["Location"])
                if urlsplit(url).netloc != urlsplit(self.url).netloc:
                    return url
                continue
            assert response.status_code == 200, response.text
            assert 'name="username"' in response.text, response.text
            response = session.post(
                url + "/login",
                data={"username": username, "password": password},
                allow_redirects=False,
                timeout=10,
            )
            assert response.is_redirect, response.text
            url = urljoin(url, response.headers["Location"])
            if urlsplit(url).netloc != urlsplit(self.url).netloc:
                return url
        raise AssertionError("the provider never sent the browser back")
