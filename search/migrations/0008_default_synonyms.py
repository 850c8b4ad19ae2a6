"""A default, editable synonym set: the common abbreviations of subjects and roles a learner types ("ml", "ux",
"pm"). Editors change or delete them in the admin (Search → Synonyms); this migration only adds groups whose first
term no existing group already lists, and its reverse removes the groups it added, unless an editor changed them."""

import re

from django.db import migrations

NOTE = "Default set shipped with Learnhub (edit freely)."
DEFAULT_SYNONYMS = [
    "ai, artificial intelligence",
    "ml, machine learning",
    "dl, deep learning",
    "rl, reinforcement learning",
    "nlp, natural language processing",
    "llm, large language model, large language models",
    "ux, user experience",
    "ui, user interface",
    "pm, project management, project manager",
    "pmp, project management professional",
    "seo, search engine optimization, search engine optimisation",
    "aws, amazon web services",
    "gcp, google cloud",
    "js, javascript",
    "cad, computer aided design, computer-aided design",
    "iot, internet of things",
    "vr, virtual reality",
    "ar, augmented reality",
    "bi, business intelligence",
    "hr, human resources",
    "qa, quality assurance",
    "gis, geographic information systems",
    "cpa, certified public accountant",
    "cfa, chartered financial analyst",
    "cs, computer science",
    "ee, electrical engineering",
    "econ, economics",
    "stats, statistics",
    "math, maths, mathematics",
    "calc, calculus",
    "bio, biology",
    "chem, chemistry",
    "coding, programming",
    "web dev, web development",
]


def _first_terms(Synonym):
    listed = set()
    for terms in Synonym.objects.values_list("terms", flat=True):
        listed.update(" ".join(part.lower().split()) for part in re.split(r"[,\n]+", terms) if part.strip())
    return listed


def add_defaults(apps, schema_editor):
    Synonym = apps.get_model("search", "Synonym")
    listed = _first_terms(Synonym)
    Synonym.objects.bulk_create(
        Synonym(terms=terms, note=NOTE) for terms in DEFAULT_SYNONYMS if terms.split(",")[0].strip() not in listed
    )


def remove_defaults(apps, schema_editor):
    apps.get_model("search", "Synonym").objects.filter(terms__in=DEFAULT_SYNONYMS, note=NOTE).delete()


class Migration(migrations.Migration):
    dependencies = [("search", "0007_ask")]

    operations = [migrations.RunPython(add_defaults, remove_defaults)]
