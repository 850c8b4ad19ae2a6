"""The database's full-text index now serves title autocomplete only (text queries use the postings, highlights
are computed in Python): SQLite's FTS5 table keeps the title column alone, PostgreSQL's tsvector the title alone.
Both are refilled from the stored documents, in both directions."""

from django.db import migrations

FTS = "tokenize = 'porter unicode61 remove_diacritics 2'"
FORWARD = {
    "sqlite": [
        "DROP TABLE IF EXISTS search_fts",
        f"CREATE VIRTUAL TABLE search_fts USING fts5(title, {FTS})",
        "INSERT INTO search_fts (rowid, title) SELECT id, title FROM search_searchdocument",
    ],
    "postgresql": [
        "UPDATE search_searchdocument SET search_vector = to_tsvector('english', unaccent(coalesce(title, '')))",
    ],
}
BACKWARD = {
    "sqlite": [
        "DROP TABLE IF EXISTS search_fts",
        f"CREATE VIRTUAL TABLE search_fts USING fts5(title, people, body, content, {FTS})",
        "INSERT INTO search_fts (rowid, title, people, body, content) "
        "SELECT id, title, people, body, content FROM search_searchdocument",
    ],
    "postgresql": [
        "UPDATE search_searchdocument SET search_vector = "
        "setweight(to_tsvector('english', unaccent(coalesce(title, ''))), 'A') || "
        "setweight(to_tsvector('english', unaccent(coalesce(people, ''))), 'B') || "
        "setweight(to_tsvector('english', unaccent(coalesce(body, ''))), 'C') || "
        "setweight(to_tsvector('english', unaccent(left(coalesce(content, ''), 500000))), 'D')",
    ],
}


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0004_postings")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
