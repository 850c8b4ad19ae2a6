from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """The site's user: editors, operators and (later) learners signing in through OIDC."""

    display_name = models.CharField(max_length=150, blank=True)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def __str__(self):
        return self.display_name or self.get_full_name() or self.username
