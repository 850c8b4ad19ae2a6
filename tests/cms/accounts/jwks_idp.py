"""A stand-in identity provider for the API-auth tests: discovery and JWKS served over real HTTP
(pytest-httpserver), tokens signed with keys generated here."""

import base64
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

REALM = "/realms/learnhub"
AUDIENCE = "learnhub-api"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class IdentityProvider:
    def __init__(self, httpserver):
        self.server = httpserver
        self.issuer = httpserver.url_for(REALM)
        self.keys = {}  # kid → (algorithm, private key)
        self.published: list[str] = []
        self.add_key("rsa-1", "RS256")
        self.publish("rsa-1")

    def add_key(self, kid: str, algorithm: str = "RS256"):
        if algorithm == "RS256":
            private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        else:
            private = ec.generate_private_key(ec.SECP256R1())
        self.keys[kid] = (algorithm, private)
        return private

    def jwks(self) -> dict:
        keys = []
        for kid in self.published:
            algorithm, private = self.keys[kid]
            converter = RSAAlgorithm if algorithm == "RS256" else ECAlgorithm
            jwk = converter.to_jwk(private.public_key(), as_dict=True)
            keys.append({**jwk, "kid": kid, "use": "sig", "alg": algorithm})
        return {"keys": keys}

    def publish(self, *kids: str):
        """Serve discovery and a JWKS holding exactly `kids` (replacing what was served)."""
        self.published = list(kids)
        self.server.clear_all_handlers()
        self.server.expect_request(f"{REALM}/.well-known/openid-configuration").respond_with_json(
            {"issuer": self.issuer, "jwks_uri": self.server.url_for(f"{REALM}/certs")}
        )
        self.server.expect_request(f"{REALM}/certs").respond_with_json(self.jwks())

    def jwks_fetches(self) -> int:
        return sum(1 for request, _ in self.server.log if request.path == f"{REALM}/certs")

    def claims(self, **overrides) -> dict:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": AUDIENCE,
            "sub": "subject-1",
            "iat": now,
            "exp": now + 300,
            "email": "learner@example.org",
            "email_verified": True,
        }
        claims.update(overrides)
        return {key: value for key, value in claims.items() if value is not None}

    def token(self, kid: str = "rsa-1", *, signing_kid: str | None = None, **overrides) -> str:
        """A token whose header names `kid`, signed with the key of `signing_kid` (default: the same)."""
        algorithm, private = self.keys[signing_kid or kid]
        return jwt.encode(self.claims(**overrides), private, algorithm=algorithm, headers={"kid": kid})

    def unsigned_token(self, algorithm: str = "none", *, secret: bytes = b"", **overrides) -> str:
        """A token with `alg: none` (no signature) or HS256 signed with `secret` (e.g. the public key's PEM)."""
        header = _b64(json.dumps({"alg": algorithm, "kid": "rsa-1", "typ": "JWT"}).encode())
        payload = _b64(json.dumps(self.claims(**overrides)).encode())
        signing_input = f"{header}.{payload}"
        if algorithm == "none":
            return f"{signing_input}."
        import hashlib
        import hmac

        signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{_b64(signature)}"


@pytest.fixture(name="idp")
def idp_fixture(httpserver, settings):
    """An identity provider configured the way production is: OIDC_ENDPOINT only, JWKS and issuer by discovery."""
    from cms.accounts.api_auth import reset_key_cache

    reset_key_cache()
    provider = IdentityProvider(httpserver)
    settings.SOCIAL_AUTH_OIDC_OIDC_ENDPOINT = provider.issuer
    settings.OIDC_JWKS_URL = ""
    settings.OIDC_ISSUER = ""
    settings.OIDC_AUDIENCE = AUDIENCE
    settings.OIDC_TOKEN_LEEWAY = 30
    settings.OIDC_JWKS_MIN_REFETCH_SECONDS = 60
    settings.OIDC_JWKS_TIMEOUT = 2.0
    yield provider
    reset_key_cache()


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}
