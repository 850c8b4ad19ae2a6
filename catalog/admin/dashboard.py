"""The Wagtail dashboard panel: catalogue counts by type and by source (public / total), in one query."""

from collections import defaultdict

from django.db.models import Count, Q

from wagtail.admin.ui.components import Component

from catalog.models import LearningResource, ResourceType


def catalogue_counts() -> dict:
    """Counts of resources by type and by source: `{"by_type": [...], "by_source": [...], "total", "public"}`.

    One grouped query; "public" means published and not hidden (what learners can see).
    """
    rows = (
        LearningResource.objects.order_by()
        .values("resource_type", "source")
        .annotate(total=Count("id"), public=Count("id", filter=Q(published=True, hidden=False)))
    )
    by_type, by_source = defaultdict(lambda: [0, 0]), defaultdict(lambda: [0, 0])
    for row in rows:
        for bucket, key in ((by_type, row["resource_type"]), (by_source, row["source"])):
            bucket[key][0] += row["public"]
            bucket[key][1] += row["total"]
    labels = dict(ResourceType.choices)
    return {
        "by_type": [
            {"key": key, "label": labels.get(key, key), "public": public, "total": total}
            for key, (public, total) in sorted(by_type.items(), key=lambda item: (-item[1][1], item[0]))
        ],
        "by_source": [
            {"key": key, "label": key, "public": public, "total": total}
            for key, (public, total) in sorted(by_source.items(), key=lambda item: (-item[1][1], item[0]))
        ],
        "public": sum(public for public, _ in by_type.values()),
        "total": sum(total for _, total in by_type.values()),
    }


class CatalogueSummaryPanel(Component):
    name = "catalogue_summary"
    template_name = "catalog/admin/dashboard_panel.html"
    order = 150

    def __init__(self, index_url: str = ""):
        self.index_url = index_url

    def get_context_data(self, parent_context=None):
        return {**catalogue_counts(), "index_url": self.index_url}
