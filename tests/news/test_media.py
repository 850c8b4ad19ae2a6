"""Media sources through the catalogue loader: podcasts (RSS + open-podcast-data YAML), YouTube Data API v3
(channels → playlists → videos, nextPageToken), ODL Video Service."""

import json

import pytest

from catalog.loader import load_resources
from catalog.models import LearningResource, ResourceType
from catalog.schemas import validate_record
from importers.errors import ImportFetchError
from importers.models import ImportRun
from importers.registry import get_source
from importers.runner import run_import
from importers.snapshots import SnapshotStore
from importers.sources.media_common import clock_seconds, iso_duration_seconds

PODCAST_YAML = b"""---
rss_url: RSS_URL
topics: Pedagogy and Curriculum, Digital Learning
offered_by: OCW
website: https://chalk-radio.example.org/
apple_podcasts_url: https://podcasts.apple.com/us/podcast/chalk-radio/id1
"""

PODCAST_RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"
     xmlns:podcast="https://podcastindex.org/namespace/1.0">
<channel>
  <title>Chalk Radio</title>
  <link>https://chalk-radio.example.org/</link>
  <description>Inspired teaching at MIT.</description>
  <language>en-us</language>
  <itunes:image href="https://cdn.example.org/cover.jpg"/>
  <item>
    <guid isPermaLink="false">ep-2</guid>
    <title>Episode two</title>
    <link>https://chalk-radio.example.org/2</link>
    <pubDate>Tue, 03 Nov 2026 10:00:00 GMT</pubDate>
    <itunes:duration>1:02:03</itunes:duration>
    <enclosure url="https://cdn.example.org/2.mp3" type="audio/mpeg" length="1"/>
    <podcast:transcript url="https://cdn.example.org/2.vtt" type="text/vtt"/>
  </item>
  <item>
    <guid isPermaLink="false">ep-1</guid>
    <title>Episode one</title>
    <pubDate>Mon, 02 Nov 2026 10:00:00 GMT</pubDate>
    <itunes:duration>1036</itunes:duration>
    <itunes:image href="https://cdn.example.org/1.jpg"/>
    <enclosure url="https://cdn.example.org/1.mp3" type="audio/mpeg" length="1"/>
  </item>
</channel>
</rss>
"""


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("PT51M12S", 3072), ("PT1H2M3S", 3723), ("P1DT1S", 86401), ("PT0S", 0), ("", None), ("garbage", None)],
)
def test_iso_duration(value, seconds):
    assert iso_duration_seconds(value) == seconds


@pytest.mark.parametrize(("value", "seconds"), [("00:17:16", 1036), ("17:16", 1036), ("1036", 1036), ("x", None)])
def test_clock_duration(value, seconds):
    assert clock_seconds(value) == seconds


def test_podcast_transform_from_own_fixture(snapshot_of):
    source = get_source("podcasts")
    records = list(
        source.transform(
            snapshot_of("podcasts", {"config/chalk-radio.yaml": PODCAST_YAML, "feeds/chalk-radio.xml": PODCAST_RSS})
        )
    )
    podcast, *episodes = records
    assert podcast["resource_type"] == "podcast" and podcast["source_id"] == "chalk-radio"
    assert podcast["topics"] == ["Pedagogy and Curriculum", "Digital Learning"]
    assert podcast["offered_by"] == {"code": "ocw", "name": "OCW"}
    assert podcast["image_url"] == "https://cdn.example.org/cover.jpg"
    assert podcast["url"] == "https://chalk-radio.example.org/"
    assert [c["source_id"] for c in podcast["children"]] == [e["source_id"] for e in episodes]
    two, one = episodes
    assert two["media_url"] == "https://cdn.example.org/2.mp3"
    assert two["transcript_url"] == "https://cdn.example.org/2.vtt"
    assert two["duration_seconds"] == 3723 and two["duration"] == "1 h 2 min"
    assert two["published_at"] == "2026-11-03T10:00:00+00:00"
    assert one["image_url"] == "https://cdn.example.org/1.jpg"
    assert one["duration_seconds"] == 1036
    assert all(not validate_record(r)[1] for r in records)


@pytest.mark.realdata
def test_podcast_real_samples(realdata, snapshot_of):
    source = get_source("podcasts")
    records = list(
        source.transform(
            snapshot_of(
                "podcasts",
                {
                    "config/chalk-radio.yaml": realdata / "podcast_yaml/chalk-radio.yaml",
                    "feeds/chalk-radio.xml": realdata / "podcast/mitlearn_test_podcast.rss",
                    "config/the-move.yaml": realdata / "podcast_yaml/the-move.yaml",
                    "feeds/the-move.xml": realdata / "podcast/transfermarkt_podcast.rss",
                    "config/jpal-voices.yaml": realdata / "podcast_yaml/jpal-voices.yaml",  # feed not fetched
                },
            )
        )
    )
    podcasts = [r for r in records if r["resource_type"] == "podcast"]
    assert [p["source_id"] for p in podcasts] == ["chalk-radio", "the-move"]
    chalk = podcasts[0]
    assert chalk["image_url"] == "https://awebsite.mit.edu/apicture.jpg"  # relative itunes:image resolved
    assert len(chalk["children"]) == 2
    episode = next(r for r in records if r["source_id"] == chalk["children"][0]["source_id"])
    assert episode["duration_seconds"] == 1036
    assert episode["media_url"] == "http://feeds.soundcloud.com/stream/episode1.mp3"
    assert len(podcasts[1]["children"]) == 10
    assert any("jpal-voices" in w for w in source.warnings)
    assert all(not validate_record(r)[1] for r in records)


@pytest.mark.django_db
def test_podcast_loads_through_the_catalogue_loader_with_ordered_episodes(snapshot_of):
    records = get_source("podcasts").transform(
        snapshot_of("podcasts", {"config/chalk-radio.yaml": PODCAST_YAML, "feeds/chalk-radio.xml": PODCAST_RSS})
    )
    result = load_resources("podcasts", records)
    assert result.failed == 0, result.errors
    podcast = LearningResource.objects.get(resource_type=ResourceType.PODCAST)
    episodes = [link.child.title for link in podcast.child_links.select_related("child")]
    assert episodes == ["Episode two", "Episode one"]
    assert {t.name for t in podcast.topics.all()} == {"Pedagogy and Curriculum", "Digital Learning"}


def _yt_documents(realdata):
    return {
        "config/channels.yaml": realdata / "youtube_config/open-video-data_channels.yaml",
        "channels/UCEBb1b_L6zDS3xTUrIALZOw/0001.json": realdata / "youtube_api/yt_channels.list.0.json",
        "playlists/UCEBb1b_L6zDS3xTUrIALZOw/0001.json": realdata / "youtube_api/yt_playlists.list.1.json",
        "playlistItems/PL221E2BBF13BECF6C/0001.json": realdata / "youtube_api/yt_playlistItems.list.1.json",
        "playlistItems/PL221E2BBF13BECF6C/0002.json": realdata / "youtube_api/yt_playlistItems.list_next.0.json",
        "videos/0001.json": realdata / "youtube_api/yt_videos.list.1.json",
        "videos/0002.json": realdata / "youtube_api/yt_videos.list.2.json",
    }


@pytest.mark.realdata
def test_youtube_real_samples(realdata, snapshot_of):
    records = list(get_source("youtube").transform(snapshot_of("youtube", _yt_documents(realdata))))
    videos = [r for r in records if r["resource_type"] == "video"]
    playlists = [r for r in records if r["resource_type"] == "video_playlist"]
    assert len(videos) == 74 and len(playlists) == 1
    markov = next(v for v in videos if v["source_id"] == "lGGDIGizcQ0")
    assert markov["duration_seconds"] == 51 * 60 + 12
    assert markov["keywords"] == ["Markov Matrices", "Fourier Series", "Linear Algebra"]
    assert markov["image_url"] == "https://i.ytimg.com/vi/lGGDIGizcQ0/sddefault.jpg"
    assert markov["offered_by"] == {"code": "ocw", "name": "OCW"}
    playlist = playlists[0]
    assert playlist["title"] == "MIT 18.06SC Linear Algebra, Fall 2011"
    assert len(playlist["children"]) == 74
    assert playlist["children"][0]["source_id"] == "hNDFwVVKVk0"  # playlist order kept
    assert all(not validate_record(r)[1] for r in records)


@pytest.mark.realdata
@pytest.mark.django_db
def test_youtube_real_samples_load(realdata, snapshot_of):
    records = get_source("youtube").transform(snapshot_of("youtube", _yt_documents(realdata)))
    result = load_resources("youtube", records)
    assert result.failed == 0, result.errors
    playlist = LearningResource.objects.get(resource_type=ResourceType.VIDEO_PLAYLIST)
    assert playlist.child_links.count() == 74


def _yt_page(kind, items, token=None):
    body = {"kind": f"youtube#{kind}ListResponse", "items": items}
    if token:
        body["nextPageToken"] = token
    return body


@pytest.mark.django_db
def test_youtube_extract_follows_next_page_tokens(allow_local_http, httpserver, settings, tmp_path):
    config = tmp_path / "channels.yaml"
    config.write_text("- channel_id: CH1\n  offered_by: mitx\n  playlists:\n    - id: all\n")
    settings.YOUTUBE_API_KEY = "test-key"
    settings.YOUTUBE_API_URL = httpserver.url_for("/youtube/v3")
    settings.YOUTUBE_CONFIG_PATH = str(config)
    channel = {"id": "CH1", "snippet": {"title": "Channel"}, "contentDetails": {"relatedPlaylists": {"uploads": "UU1"}}}
    playlist = {"id": "PL1", "snippet": {"title": "Playlist one", "channelId": "CH1", "thumbnails": {}}}
    httpserver.expect_request("/youtube/v3/channels").respond_with_json(_yt_page("channel", [channel]))
    httpserver.expect_request("/youtube/v3/playlists").respond_with_json(_yt_page("playlist", [playlist]))
    first = [{"contentDetails": {"videoId": "v1"}}, {"contentDetails": {"videoId": "v2"}}]
    httpserver.expect_request(
        "/youtube/v3/playlistItems",
        query_string={"part": "contentDetails", "playlistId": "PL1", "key": "test-key", "maxResults": "50"},
    ).respond_with_json(_yt_page("playlistItem", first, token="NEXT"))
    httpserver.expect_request(
        "/youtube/v3/playlistItems",
        query_string={
            "part": "contentDetails",
            "playlistId": "PL1",
            "key": "test-key",
            "maxResults": "50",
            "pageToken": "NEXT",
        },
    ).respond_with_json(_yt_page("playlistItem", [{"contentDetails": {"videoId": "v3"}}]))

    def video(vid, duration):
        return {
            "id": vid,
            "snippet": {"title": f"Video {vid}", "channelId": "CH1", "tags": ["a"], "thumbnails": {}},
            "contentDetails": {"duration": duration},
        }

    httpserver.expect_request("/youtube/v3/videos").respond_with_json(
        _yt_page("video", [video("v1", "PT1M"), video("v2", "PT2M"), video("v3", "PT1H")])
    )
    run = run_import("youtube")
    assert run.status == ImportRun.Status.SUCCEEDED, run.message
    playlist_row = LearningResource.objects.get(resource_type=ResourceType.VIDEO_PLAYLIST, source_id="PL1")
    assert [link.child.source_id for link in playlist_row.child_links.select_related("child")] == ["v1", "v2", "v3"]
    assert LearningResource.objects.get(source_id="v3").duration_seconds == 3600
    stored = SnapshotStore().load(run.snapshot)
    assert stored.documents and all("test-key" not in str(d.metadata) for d in stored.documents)


def test_youtube_without_api_key_fails_clearly(settings):
    settings.YOUTUBE_API_KEY = ""
    with pytest.raises(ImportFetchError, match="YOUTUBE_API_KEY"):
        list(get_source("youtube").extract(http=None))


@pytest.mark.realdata
def test_ovs_real_sample(realdata, snapshot_of):
    records = list(
        get_source("ovs").transform(snapshot_of("ovs", {"page-0001.json": realdata / "misc_mit/ovs_videos.json"}))
    )
    videos = [r for r in records if r["resource_type"] == "video"]
    assert [v["title"] for v in videos] == ["Introduction to Machine Learning", "Advanced Data Structures"]
    assert videos[0]["duration_seconds"] == 3661
    assert videos[0]["media_url"].endswith("video__index.m3u8")
    assert videos[0]["image_url"].startswith("https://d1rlgptj9v7p9j.cloudfront.net/")
    assert videos[0]["languages"] == ["en"]
    assert videos[1]["duration_seconds"] is None
    playlists = [r for r in records if r["resource_type"] == "video_playlist"]
    assert len(playlists) == 2
    assert all(not validate_record(r)[1] for r in records)


@pytest.mark.django_db
def test_ovs_runs_over_http_and_skips_private_videos(allow_local_http, httpserver, settings):
    settings.OVS_API_URL = httpserver.url_for("/api/v0/videos/")
    public = {"key": "k1", "title": "Public", "status": "Complete", "is_public": True, "duration": 60.0}
    private = {"key": "k2", "title": "Private", "status": "Complete", "is_public": False}
    page2 = httpserver.url_for("/api/v0/videos/?page=2")
    httpserver.expect_request("/api/v0/videos/", query_string="").respond_with_data(
        json.dumps({"next": page2, "results": [public, private]}), content_type="application/json"
    )
    httpserver.expect_request("/api/v0/videos/", query_string="page=2").respond_with_data(
        json.dumps({"next": None, "results": [{**public, "key": "k3", "title": "Third"}]}),
        content_type="application/json",
    )
    run = run_import("ovs")
    assert run.status == ImportRun.Status.SUCCEEDED, run.message
    assert set(LearningResource.objects.filter(source="ovs").values_list("source_id", flat=True)) == {"k1", "k3"}
