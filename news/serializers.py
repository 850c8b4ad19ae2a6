from rest_framework import serializers

from .models import FeedItem


class FeedItemSerializer(serializers.ModelSerializer):
    """An imported news item or event; `summary` and `content` are sanitised HTML."""

    topics = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    url = serializers.SerializerMethodField(help_text="The item's page on this site.")

    class Meta:
        model = FeedItem
        fields = [
            "id",
            "source",
            "item_type",
            "title",
            "summary",
            "content",
            "link",
            "url",
            "author",
            "published_at",
            "date_estimated",
            "image_url",
            "image_alt",
            "topics",
            "categories",
            "starts_at",
            "ends_at",
            "location",
            "online",
            "registration_url",
        ]
        read_only_fields = fields

    def get_url(self, item) -> str:
        return item.get_absolute_url()
