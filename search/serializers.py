"""Response shapes of the search API (also its OpenAPI schema)."""

from rest_framework import serializers

from .service import MODES


class SearchHitSerializer(serializers.Serializer):
    key = serializers.CharField(help_text='"resource:12", "page:5" or "news:3".')
    kind = serializers.ChoiceField(choices=["resource", "page", "news"])
    id = serializers.IntegerField(source="object_id", help_text="The id of the resource, page or news item.")
    type = serializers.CharField(source="doc_type", help_text="course, program, video, ..., news, page.")
    title = serializers.CharField()
    url = serializers.CharField()
    image_url = serializers.CharField(allow_blank=True)
    summary = serializers.CharField(allow_blank=True)
    title_html = serializers.CharField(help_text="The title, HTML-escaped, matches wrapped in <mark>.")
    snippet_html = serializers.CharField(allow_blank=True, help_text="Matching passage, HTML-escaped, with <mark>.")
    score = serializers.FloatField()
    published_at = serializers.DateTimeField(allow_null=True)
    start_date = serializers.DateTimeField(allow_null=True)
    details = serializers.DictField(source="display", help_text="Offeror, platform, level, free, topics, ...")


class FacetOptionSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField(help_text="Matches with this value, given the other facets' selections.")
    selected = serializers.BooleanField()
    parent = serializers.CharField(allow_blank=True, help_text="Topics: the parent topic's value.")


class FacetSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="Also the query parameter that filters by it.")
    label = serializers.CharField()
    options = FacetOptionSerializer(many=True)


class SearchResponseSerializer(serializers.Serializer):
    query = serializers.CharField(allow_blank=True)
    count = serializers.IntegerField()
    count_capped = serializers.BooleanField(
        help_text="True when `count` is an estimate (the site shows “about 500+”); false when it is exact. Keyword "
        "search counts every match: every document holding a word of the query, its typo fix or a one-word "
        "synonym, or most words of a synonym's phrase (`lexical`, and the keyword half of `hybrid`). Semantic "
        "search counts every neighbour it shows (those close enough, at most 200). Hybrid search's count is an "
        "estimate when more keywords matched than it ranks (200): it counts the ranked ones only."
    )
    facet_counts_estimated = serializers.BooleanField(
        help_text="True when the facet counts are estimates (the site shows “about” on each); false when each is "
        "the exact number of matches with that value, given the other facets' selections."
    )
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    num_pages = serializers.IntegerField()
    sort = serializers.CharField()
    did_you_mean = serializers.CharField(allow_blank=True)
    mode = serializers.ChoiceField(choices=list(MODES), help_text="The mode asked for.")
    mode_used = serializers.ChoiceField(
        choices=list(MODES),
        help_text="The mode that produced the results: `lexical` when an empty query browsed, or when semantic or "
        "hybrid search was unavailable (then `notice` says so).",
    )
    notice = serializers.CharField(allow_blank=True, help_text="Why the results differ from what was asked, if so.")
    no_close_match = serializers.BooleanField(
        help_text="Nothing in the catalogue is a good match: `results` are only the nearest few (at most 3), "
        "shown as such."
    )
    results = SearchHitSerializer(many=True)
    facets = FacetSerializer(many=True)


class SuggestionSerializer(serializers.Serializer):
    query = serializers.CharField(allow_blank=True)
    completions = serializers.ListField(child=serializers.CharField())
    results = SearchHitSerializer(many=True)


class SearchErrorSerializer(serializers.Serializer):
    errors = serializers.DictField(child=serializers.CharField(), help_text="Parameter → what was wrong.")


class ContentChunkSerializer(serializers.Serializer):
    content_file_id = serializers.IntegerField()
    file_title = serializers.CharField(allow_blank=True)
    chunk = serializers.IntegerField(help_text="The chunk's position in its file (0-based).")
    text = serializers.CharField(
        help_text="The chunk's text (at most 512 tokens, and no more than the encoder reads; overlapping its "
        "neighbours)."
    )
    score = serializers.FloatField(help_text="Cosine similarity to the query (higher is closer).")


class ContentResourceSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="resource.pk")
    title = serializers.CharField(source="resource.title")
    url = serializers.SerializerMethodField(help_text="The resource's page in the catalogue.")
    type = serializers.CharField(source="resource.resource_type")
    score = serializers.FloatField(help_text="The best chunk's score.")
    chunks = ContentChunkSerializer(many=True, help_text="Best first.")

    def get_url(self, group) -> str:
        return group.resource.get_absolute_url()


class ContentSearchResponseSerializer(serializers.Serializer):
    query = serializers.CharField()
    count = serializers.IntegerField(help_text="Chunks returned (at most `limit`).")
    results = ContentResourceSerializer(many=True, help_text="Resources ordered by their best chunk.")
