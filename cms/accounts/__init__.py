"""Accounts: how people sign in and out, and what their identity provider lets them do.

- `providers.py`: which "Sign in with ..." providers are configured (OIDC, Open edX), for pages and templates;
- `backends.py`: the Open edX OAuth2 backend and the local password backend (off with LOCAL_PASSWORD_LOGIN);
- `pipeline.py`: social-auth steps: verified email only, linking by verified email, admin access from roles;
- `logout.py`: RP-initiated logout (the provider's end_session_endpoint);
- `views.py` / `urls.py`: /accounts/login/ and /accounts/logout/.
"""
