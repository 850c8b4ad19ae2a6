from django.db import models


class WorkerHeartbeat(models.Model):
    """Last time a task worker of each queue ran its heartbeat task; read by /health/full/."""

    queue = models.CharField(max_length=50, unique=True)
    seen_at = models.DateTimeField()
    hostname = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["queue"]

    def __str__(self):
        return f"{self.queue} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"


class PageCacheGeneration(models.Model):
    """The anonymous page cache's generation (cms/page_cache.py): one row whose token changes whenever public
    content changes. It lives in the database, not the cache, so that every process (the embedded setup's
    per-process cache included) sees a change at once."""

    token = models.BigIntegerField(default=0)

    def __str__(self):
        return f"page cache generation {self.token}"
