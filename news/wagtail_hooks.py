"""Admin: configured feeds (editable) and imported items (inspect, hide) under one "News feeds" menu."""

from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from .models import FeedItem, FeedSource


class ImportedOnlyPolicy(ModelPermissionPolicy):
    """Feed items are written by imports: editors may inspect and hide them, never add them by hand."""

    def user_has_permission(self, user, action):
        if action == "add":
            return False
        return super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)


register_permission_policy(FeedItem, ImportedOnlyPolicy(FeedItem))


class FeedSourceViewSet(SnippetViewSet):
    model = FeedSource
    icon = "rss"
    menu_label = "Feeds"
    list_display = ["name", "source_name", "feed_type", "schedule_minutes", "enabled", "updated_at"]
    list_filter = ["feed_type", "enabled"]
    search_fields = ["name", "source_name", "url"]
    search_backend_name = None  # plain database filtering: these rows are not in the search index
    copy_view_enabled = False
    panels = [
        FieldRowPanel([FieldPanel("name"), FieldPanel("source_name")]),
        FieldPanel("url"),
        FieldRowPanel([FieldPanel("feed_type"), FieldPanel("schedule_minutes"), FieldPanel("enabled")]),
        FieldPanel("default_topics"),
    ]


class FeedItemViewSet(SnippetViewSet):
    model = FeedItem
    icon = "doc-full"
    menu_label = "Imported items"
    list_display = ["title", "source", "item_type", "published_at", "date_estimated", "hidden"]
    list_filter = ["source", "item_type", "hidden", "date_estimated"]
    search_fields = ["title", "guid", "link"]
    search_backend_name = None
    ordering = ["-published_at"]
    inspect_view_enabled = True
    copy_view_enabled = False
    panels = [
        FieldPanel("hidden"),
        MultiFieldPanel(
            [
                FieldPanel("title", read_only=True),
                FieldPanel("source", read_only=True),
                FieldPanel("link", read_only=True),
                FieldPanel("published_at", read_only=True),
            ],
            heading="Imported (changed only by the next import)",
        ),
    ]


class NewsFeedsGroup(SnippetViewSetGroup):
    items = (FeedSourceViewSet, FeedItemViewSet)
    menu_icon = "rss"
    menu_label = "News feeds"
    menu_name = "news-feeds"


register_snippet(NewsFeedsGroup)
