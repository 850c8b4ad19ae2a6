from django.conf import settings
from django.db import models
from django.utils import timezone


class ApiKey(models.Model):
    """A service's key to the API (`Authorization: Api-Key <key>` or `X-Api-Key: <key>`).

    Only the key's public prefix (to find the row) and a SHA-256 hash of the whole key are stored: the key itself is
    shown once, when it is created in the admin (cms.accounts.api_key_admin), and cannot be recovered. Keys are
    revoked, never deleted by the API's own code, so that the admin keeps the record of who had access."""

    name = models.CharField(max_length=100, help_text="The service that uses this key, e.g. “Next.js frontend”.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="api_keys",
        help_text="The person who answers for this key (to ask before revoking it).",
    )
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="After this the key is refused. Empty: it does not expire."
    )
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name", "-created_at"]
        verbose_name = "API key"
        verbose_name_plural = "API keys"

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def status(self) -> str:
        """ "active", "revoked" or "expired"."""
        if self.revoked_at:
            return "revoked"
        if self.expires_at and self.expires_at <= timezone.now():
            return "expired"
        return "active"
