"""Lookup tables shared by resources: topics (a tree), offerors, platforms, departments, instructors."""

from django.db import models
from django.utils.text import slugify


class Topic(models.Model):
    """A subject, possibly under a broader one (Computer Science → Machine Learning)."""

    name = models.CharField(max_length=128)
    slug = models.SlugField(max_length=140, unique=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children")
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="catalog_topic_unique_name_under_parent")
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.name)[:140]
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return f"{self.parent.name} › {self.name}" if self.parent_id else self.name


class Offeror(models.Model):
    """Who offers a resource (an MIT school, an institution, a podcast producer)."""

    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    url = models.URLField(max_length=500, blank=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Platform(models.Model):
    """Where a resource is taken (MITx Online, edX, OCW, YouTube, ...)."""

    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    url = models.URLField(max_length=500, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Department(models.Model):
    """An academic department (e.g. 6 — Electrical Engineering and Computer Science)."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    school = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}" if self.code != self.name else self.name


class Instructor(models.Model):
    """A person who teaches or presents; matched across sources by full name."""

    full_name = models.CharField(max_length=255, unique=True)
    first_name = models.CharField(max_length=128, blank=True)
    last_name = models.CharField(max_length=128, blank=True)

    class Meta:
        ordering = ["last_name", "full_name"]

    def __str__(self):
        return self.full_name
