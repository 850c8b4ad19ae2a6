"""scripts/dev_oidc_provider.py, the local provider docs/operations.md offers for trying sign-in with `make run`:
started as its own process, it serves OIDC discovery, signs a person in and issues an RS256 ID token that carries
what Learnhub's pipeline needs (a verified email address and the role groups)."""

import re
import subprocess
import sys
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest

from tests.conftest import REPO_ROOT
from tests.support.network import free_port

SITE = "http://learnhub.test"


@pytest.fixture
def provider(tmp_path):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "scripts/dev_oidc_provider.py", "--port", str(port), "--site", SITE, "--state", str(tmp_path)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    try:
        while not any(line.startswith("Serving") for line in lines):
            line = process.stdout.readline()
            assert line, "the provider stopped:\n" + "".join(lines)
            lines.append(line)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/o/.well-known/openid-configuration", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the provider never answered"
                time.sleep(0.2)
        settings = dict(re.findall(r"^(OIDC_\w+)=(.*)$", "".join(lines), re.M))
        yield base, settings
    finally:
        process.terminate()
        process.wait(timeout=10)


def sign_in(base, settings, username):
    """The authorization-code flow as a browser and Learnhub's backend run it; the ID token's claims."""
    redirect_uri = f"{SITE}/auth/complete/oidc/"
    with httpx.Client(base_url=base) as browser:
        login = browser.get(
            "/o/authorize/",
            params={
                "client_id": settings["OIDC_CLIENT_ID"],
                "response_type": "code",
                "scope": "openid email profile",
                "redirect_uri": redirect_uri,
                "state": "s1",
                "nonce": "n1",
            },
            follow_redirects=True,
        )
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
        answer = browser.post(
            login.url.raw_path.decode(),
            data={"csrfmiddlewaretoken": csrf, "username": username, "password": "learnhub-dev"},
        )
        while answer.status_code == 302 and not answer.headers["location"].startswith(SITE):
            answer = browser.get(answer.headers["location"])
        assert answer.status_code == 302, answer.text[:300]
        back = urlsplit(answer.headers["location"])
    query = parse_qs(back.query)
    assert f"{back.scheme}://{back.netloc}{back.path}" == redirect_uri and query["state"] == ["s1"]
    tokens = httpx.post(
        f"{base}/o/token/",
        data={"grant_type": "authorization_code", "code": query["code"][0], "redirect_uri": redirect_uri},
        auth=(settings["OIDC_CLIENT_ID"], settings["OIDC_CLIENT_SECRET"]),
    ).json()
    discovery = httpx.get(f"{base}/o/.well-known/openid-configuration").json()
    key = jwt.PyJWKClient(discovery["jwks_uri"]).get_signing_key_from_jwt(tokens["id_token"])
    audience, issuer = settings["OIDC_CLIENT_ID"], discovery["issuer"]
    return jwt.decode(tokens["id_token"], key.key, algorithms=["RS256"], audience=audience, issuer=issuer)


def test_it_prints_the_settings_and_serves_discovery_at_the_printed_issuer(provider):
    base, settings = provider
    assert settings["OIDC_ENDPOINT"] == f"{base}/o" and settings["OIDC_CLIENT_ID"] == "learnhub"
    assert settings["OIDC_CLIENT_SECRET"] and settings["OIDC_PROVIDER_NAME"] == "Local provider"
    discovery = httpx.get(f"{base}/o/.well-known/openid-configuration").json()
    assert discovery["issuer"] == settings["OIDC_ENDPOINT"]
    assert discovery["end_session_endpoint"]  # signing out of Learnhub signs out here too


@pytest.mark.parametrize(("username", "groups"), [("editor", ["learnhub-editors"]), ("learner", [])])
def test_a_person_signs_in_and_the_id_token_carries_a_verified_email_and_roles(provider, username, groups):
    claims = sign_in(*provider, username)
    assert claims["email"] == f"{username}@learnhub.invalid" and claims["email_verified"] is True
    assert claims["groups"] == groups and claims["nonce"] == "n1"
