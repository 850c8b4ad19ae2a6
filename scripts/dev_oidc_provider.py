"""A local OpenID Connect provider for trying sign-in with `make run`, no container needed.

    .venv/bin/python scripts/dev_oidc_provider.py [--port 9000] [--site http://127.0.0.1:8000] [--state DIR]

It is django-oauth-toolkit (a dev dependency: `make install-dev`) as its own small Django project, with its own
SQLite file under var/dev-oidc/ (nothing of Learnhub's database is touched). On start it makes an RS256 key, a
confidential client `learnhub` whose redirect URI is the site's `/auth/complete/oidc/`, and three people who sign
in with the password `learnhub-dev`: `editor` (role `learnhub-editors`), `importer` (`learnhub-import-operators`)
and `learner` (no role), each with a verified email address. It prints the `.env` lines that point Learnhub at it;
restart `make run` after adding them, then use "Sign in with Local provider" on /accounts/login/.

The ID token and userinfo carry `email`, `email_verified`, `name` and `groups` (the claim `OIDC_ROLES_CLAIM` reads
by default), so the role mapping of `OIDC_ROLE_MAP` applies as with Keycloak. Signing out of Learnhub signs out here
too (RP-initiated logout). Never expose it: the passwords are fixed and printed.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / "var" / "dev-oidc"  # its database and key; --state elsewhere
CLIENT_ID = "learnhub"
PASSWORD = "learnhub-dev"  # noqa: S105 (a local development provider; printed on start)
PEOPLE = {
    "editor": ("Edith Editor", ["learnhub-editors"]),
    "importer": ("Ian Importer", ["learnhub-import-operators"]),
    "learner": ("Lea Learner", []),
}
LOGIN_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Local provider: sign in</title>'
    "<style>body{font:16px system-ui;max-width:24rem;margin:4rem auto}"
    "label,input,button{display:block;margin:.4rem 0}</style></head><body><h1>Local OIDC provider</h1>"
    "<p>Sign in as editor, importer or learner, password <code>learnhub-dev</code>.</p>"
    '{% if form.errors %}<p role="alert">Wrong username or password.</p>{% endif %}'
    '<form method="post">{% csrf_token %}<label>Username <input name="username" autofocus></label>'
    '<label>Password <input name="password" type="password"></label><button type="submit">Sign in</button>'
    "</form></body></html>"
)


def configure(state: Path) -> None:
    import django
    from django.conf import settings

    state.mkdir(parents=True, exist_ok=True)
    key_file = state / "rsa.pem"
    if not key_file.exists():
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    settings.configure(
        DEBUG=True,
        SECRET_KEY=secrets.token_urlsafe(32),
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "oauth2_provider",
        ],
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
        ],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(state / "db.sqlite3")}},
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "APP_DIRS": False,
                "OPTIONS": {
                    "loaders": [
                        ("django.template.loaders.locmem.Loader", {"registration/login.html": LOGIN_PAGE}),
                        "django.template.loaders.app_directories.Loader",
                    ],
                    "context_processors": ["django.template.context_processors.request"],
                },
            }
        ],
        LOGIN_URL="/accounts/login/",
        # Separate from Learnhub's (both run on 127.0.0.1): a cookie of the same name would sign one out of the other.
        SESSION_COOKIE_NAME="dev_oidc_sessionid",
        CSRF_COOKIE_NAME="dev_oidc_csrftoken",
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        USE_TZ=True,
        OAUTH2_PROVIDER={
            "OIDC_ENABLED": True,
            "OIDC_RSA_PRIVATE_KEY": key_file.read_text(),
            "OAUTH2_VALIDATOR_CLASS": f"{__name__}.DevValidator",
            "SCOPES": {"openid": "OpenID Connect", "profile": "Profile", "email": "Email"},
            "PKCE_REQUIRED": False,
            "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
            "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": False,
        },
    )
    django.setup()


def _validator_class():
    from oauth2_provider.oauth2_validators import OAuth2Validator

    class DevValidator(OAuth2Validator):
        oidc_claim_scope = None  # every claim in the ID token and userinfo, whatever the scopes

        def get_additional_claims(self, request):
            user = request.user
            return {
                "email": user.email,
                "email_verified": True,
                "name": user.get_full_name(),
                "preferred_username": user.username,
                "groups": list(user.groups.values_list("name", flat=True)),
            }

    return DevValidator


def urls():
    from django.contrib.auth import views as auth_views
    from django.urls import include, path

    return [
        path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
        path("accounts/login/", auth_views.LoginView.as_view()),
    ]


def prepare(site: str) -> str:
    """Migrate, create the people and the client; returns the client secret (a new one on every start)."""
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command

    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0)
    for username, (name, groups) in PEOPLE.items():
        user, _ = User.objects.get_or_create(username=username)
        user.first_name, _, user.last_name = name.partition(" ")
        user.email = f"{username}@learnhub.invalid"
        user.set_password(PASSWORD)
        user.save()
        user.groups.set([Group.objects.get_or_create(name=group)[0] for group in groups])
    secret = secrets.token_urlsafe(24)
    Application.objects.filter(client_id=CLIENT_ID).delete()
    Application.objects.create(
        name="Learnhub (local)",
        client_id=CLIENT_ID,
        client_secret=secret,  # hashed by django-oauth-toolkit on save
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=f"{site}/auth/complete/oidc/",
        post_logout_redirect_uris=f"{site}/",
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )
    return secret


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--site", default="http://127.0.0.1:8000", help="Learnhub's address (its SITE_URL)")
    parser.add_argument("--state", type=Path, default=STATE, help="folder for its database and key")
    args = parser.parse_args(argv)
    try:
        import oauth2_provider  # noqa: F401
    except ImportError:
        print("django-oauth-toolkit is a dev dependency: run `make install-dev` first.", file=sys.stderr)
        return 1
    configure(args.state)
    secret = prepare(args.site.rstrip("/"))
    issuer = f"http://127.0.0.1:{args.port}/o"
    print(
        "Local OIDC provider for Learnhub. Add to .env and restart `make run`:\n\n"
        f"OIDC_ENDPOINT={issuer}\nOIDC_CLIENT_ID={CLIENT_ID}\nOIDC_CLIENT_SECRET={secret}\n"
        "OIDC_PROVIDER_NAME=Local provider\n\n"
        f"People (password {PASSWORD}): editor (Editors), importer (Import operators), learner (no role).\n"
        f"Serving {issuer} (Ctrl-C stops).",
        flush=True,
    )
    from django.core.servers.basehttp import get_internal_wsgi_application, run

    run("127.0.0.1", args.port, get_internal_wsgi_application(), threading=True)
    return 0


def __getattr__(name):
    # Resolved once Django is configured: django-oauth-toolkit imports OAUTH2_VALIDATOR_CLASS by its dotted path,
    # and Django this module's urlpatterns (ROOT_URLCONF).
    if name == "DevValidator":
        return _validator_class()
    if name == "urlpatterns":
        return urls()
    raise AttributeError(name)


if __name__ == "__main__":
    sys.exit(main())
