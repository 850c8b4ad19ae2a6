from django.db import migrations

# The seed's built-in feeds; an empty URL means "the address from the settings" (OL_NEWS_FEED_URL, ...).
SEEDS = [
    ("ol_news", "MIT Open Learning", "rss", 60),
    ("mitpe_news", "MIT Professional Education", "mitpe_news", 360),
    ("mitpe_events", "MIT Professional Education events", "mitpe_events", 360),
    ("ol_events", "MIT Open Learning events", "ol_events", 360),
]


def seed(apps, schema_editor):
    FeedSource = apps.get_model("news", "FeedSource")
    for source_name, name, feed_type, minutes in SEEDS:
        FeedSource.objects.get_or_create(
            source_name=source_name,
            defaults={"name": name, "feed_type": feed_type, "url": "", "schedule_minutes": minutes},
        )


class Migration(migrations.Migration):
    dependencies = [("news", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
