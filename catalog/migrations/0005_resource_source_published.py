"""Keep the source's own `published` beside the effective one, so that un-hiding a resource needs no import.

Existing rows: `source_published` is taken from `published`. That is exact for rows that are not hidden, and for
hidden rows still published (no import has run since they were hidden). A hidden, unpublished row may have been
published by its source: it is recorded as unpublished, and the next import that lists it records the source's
value (the loader rewrites a row whose `source_published` differs from its record). Hidden rows become unpublished,
as `published` now means "published by the source and not hidden".
"""

from django.db import migrations, models
from django.db.models import F


def derive_source_published(apps, schema_editor):
    LearningResource = apps.get_model("catalog", "LearningResource")
    LearningResource.objects.update(source_published=F("published"))
    LearningResource.objects.filter(hidden=True, published=True).update(published=False)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0004_resource_updated_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="learningresource",
            name="source_published",
            field=models.BooleanField(
                default=True,
                verbose_name="published by the source",
                help_text="As the source says; `published` follows it unless the resource is hidden.",
            ),
        ),
        migrations.AlterField(
            model_name="learningresource",
            name="published",
            field=models.BooleanField(
                db_index=True,
                default=True,
                help_text="Published by the source and not hidden: what learners see.",
            ),
        ),
        # Reversing leaves hidden rows unpublished, as the old loader left them after an import.
        migrations.RunPython(derive_source_published, migrations.RunPython.noop, elidable=True),
    ]
