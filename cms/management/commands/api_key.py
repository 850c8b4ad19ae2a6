from datetime import timedelta

from django.core.management.base import CommandError
from django.utils import timezone

from cms.accounts.api_keys import issue_key, revoke_key
from cms.management.base import LearnhubCommand, require_migrated
from cms.models import ApiKey


class Command(LearnhubCommand):
    help = (
        "Per-service API keys (also in the admin: Settings → API keys). `api_key create NAME [--days N]` prints a new "
        "key once; `api_key revoke PREFIX` refuses a key from now on; `api_key list` shows every key without secrets."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="Create a key and print it (the only time it is shown).")
        create.add_argument("name", help="The service that will use the key, e.g. 'Next.js frontend'.")
        create.add_argument("--days", type=int, help="Expire after this many days (default: never).")
        revoke = actions.add_parser("revoke", help="Revoke a key by its prefix (the 8 characters after lh_).")
        revoke.add_argument("prefix")
        actions.add_parser("list", help="List the keys: prefix, status, name, last use.")

    def handle(self, *args, action, **options):
        require_migrated()
        getattr(self, f"_{action}")(**options)

    def _create(self, name, days=None, **options):
        if days is not None and days < 1:
            raise CommandError(f"--days must be 1 or more, got {days}")
        api_key = ApiKey(name=name, expires_at=timezone.now() + timedelta(days=days) if days else None)
        raw_key = issue_key(api_key)
        api_key.save()
        self.stderr.write(f"Created API key {api_key.prefix}… for {name!r}; it is shown once, here:")
        self.stdout.write(raw_key)

    def _revoke(self, prefix, **options):
        prefix = prefix.removeprefix("lh_").split("_", 1)[0]
        api_key = ApiKey.objects.filter(prefix=prefix).first()
        if api_key is None:
            raise CommandError(f"no API key with prefix {prefix!r}; `manage.py api_key list` shows them")
        revoke_key(api_key)
        self.stdout.write(
            f"Revoked API key {api_key.prefix}… ({api_key.name}) at {api_key.revoked_at:%Y-%m-%d %H:%M} UTC"
        )

    def _list(self, **options):
        for api_key in ApiKey.objects.all():
            used = f"{api_key.last_used_at:%Y-%m-%d %H:%M}" if api_key.last_used_at else "never used"
            self.stdout.write(f"{api_key.prefix}  {api_key.status:<8}  {api_key.name}  (last used: {used})")
