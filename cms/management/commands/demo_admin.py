import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from cms.management.base import LearnhubCommand, require_migrated


class Command(LearnhubCommand):
    help = (
        "Set a new password for the demo admin (DEMO_ADMIN_USERNAME, default `admin`), creating the superuser if it "
        "is missing: --password, else DEMO_ADMIN_PASSWORD, else a random one, printed. `make admin` runs this."
    )

    def add_arguments(self, parser):
        parser.add_argument("--password", help="The new password (default: DEMO_ADMIN_PASSWORD, else random).")

    def handle(self, *args, password=None, **options):
        require_migrated()
        username = settings.DEMO_ADMIN_USERNAME
        source = "--password" if password else "DEMO_ADMIN_PASSWORD" if settings.DEMO_ADMIN_PASSWORD else ""
        password = password or settings.DEMO_ADMIN_PASSWORD or secrets.token_urlsafe(12)
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError(f"password refused: {' '.join(error.messages)}") from None
        if user is None:
            User.objects.create_superuser(username=username, email=f"{username}@example.com", password=password)
            action = "Created the superuser"
        else:
            user.set_password(password)
            user.is_active = True
            user.save(update_fields=["password", "is_active"])
            action = "Set the password of"
        shown = f"the password from {source}" if source else f"password {password!r}"
        self.stdout.write(f"{action} {username!r}: sign in at /admin/ with {shown}.")
