"""Files belonging to a course: documents, pages, transcripts, with the text extracted from them."""

from django.db import models


class ContentFile(models.Model):
    resource = models.ForeignKey("catalog.LearningResource", on_delete=models.CASCADE, related_name="content_files")
    run = models.ForeignKey(
        "catalog.Run", null=True, blank=True, on_delete=models.CASCADE, related_name="content_files"
    )
    key = models.CharField(max_length=1024, help_text="Stable identity of the file within its resource.")
    title = models.CharField(max_length=512, blank=True)
    content_type = models.CharField(max_length=32, blank=True, help_text="page, file, video, problem, ...")
    mime_type = models.CharField(max_length=128, blank=True)
    file_extension = models.CharField(max_length=16, blank=True)
    source_path = models.CharField(max_length=1024, blank=True)
    url = models.URLField(max_length=2048, blank=True)
    content = models.TextField(blank=True, help_text="Extracted text.")
    file_size = models.PositiveBigIntegerField(null=True, blank=True)
    checksum = models.CharField(max_length=64, blank=True, help_text="sha256 of the file's bytes.")
    extraction_error = models.TextField(blank=True)
    published = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["resource", "key"]
        constraints = [models.UniqueConstraint(fields=["resource", "key"], name="catalog_contentfile_unique")]
        indexes = [models.Index(fields=["updated_at"], name="catalog_cf_updated")]

    def __str__(self):
        return self.title or self.key
