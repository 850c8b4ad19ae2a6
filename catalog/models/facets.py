"""The browse page's facet counts, precomputed: public resources counted per combination of facet values.

`FacetCombination` holds, for the public catalogue, how many resources share each combination of the facet fields
(type, level, delivery, cost, certificate, offeror, platform): rows with no topic count each resource once; rows
with a topic count each (resource, topic) link once. Their number follows the variety of the catalogue, not its
size, so the browse page counts over a few thousand rows whether the catalogue holds 10k or 100k resources.

`CatalogueVersion` (one row) says whether those rows are current: every change that can move a count bumps
`version` inside its own transaction, and a rebuild records the version it read in `built`. The browse page uses
the rows only while `built == version`; otherwise it counts over the resources themselves (exact, slower). See
catalog.browse_counts for who bumps and rebuilds.
"""

from django.db import models


class FacetCombination(models.Model):
    """How many public resources (or resource-topic links) share one combination of facet values."""

    topic = models.ForeignKey(
        "catalog.Topic", null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    resource_type = models.CharField(max_length=32)
    level = models.CharField(max_length=16, blank=True)
    delivery = models.CharField(max_length=16, blank=True)
    free = models.BooleanField()
    certification = models.BooleanField()
    offered_by = models.ForeignKey(
        "catalog.Offeror", null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    platform = models.ForeignKey(
        "catalog.Platform", null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    resources = models.PositiveIntegerField()

    class Meta:
        verbose_name = "facet combination"

    def __str__(self):
        return f"{self.resources} × {self.resource_type}/{self.level}/{self.topic_id}"


class CatalogueVersion(models.Model):
    """One row (pk 1): the catalogue's version and the version the facet combinations were built from."""

    version = models.PositiveBigIntegerField(default=1)
    built = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"catalogue v{self.version} (counts of v{self.built})"
