"""Editor journey: an edited imported field locks, survives a re-import, and unlocking brings the source's value back.

The resource is a real imported one: the csv_catalog source imports a small CSV of this test's own into the
site's database (`manage.py import csv_catalog --file`), then again with the source's title changed.
"""

import json
import re
import secrets

from playwright.sync_api import expect

CSV = "id,title,description,url,resource_type\n{id},{title},<p>A course imported from a CSV file.</p>,{url},course\n"


def import_csv(site, tmp_path, source_id: str, title: str) -> None:
    path = tmp_path / f"{source_id}-{secrets.token_hex(3)}.csv"
    path.write_text(CSV.format(id=source_id, title=title, url=f"https://courses.example.org/{source_id}/"))
    site.manage("import", "csv_catalog", "--file", str(path), "--force", "--no-progress")


def resource_state(site, source_id: str) -> dict:
    out = site.shell(
        "import json; from catalog.models import LearningResource as R; "
        f"r = R.objects.get(source='csv_catalog', source_id='{source_id}'); "
        "print('STATE=' + json.dumps({'pk': r.pk, 'slug': r.slug, 'title': r.title, 'locked': r.locked_fields, "
        "'source_title': (r.source_values or {}).get('title')}))"
    )
    line = next(line for line in out.splitlines() if line.startswith("STATE="))
    return json.loads(line.removeprefix("STATE="))


def test_an_edit_locks_survives_a_reimport_and_unlocking_restores_the_source(admin_page, browser_site, tmp_path):
    page, site = admin_page, browser_site
    source_id = f"lock-{secrets.token_hex(4)}"
    import_csv(site, tmp_path, source_id, "Source title one")
    resource = resource_state(site, source_id)
    assert resource["title"] == "Source title one" and resource["locked"] == []
    edit_url = f"/admin/catalogue/resources/edit/{resource['pk']}/"

    # The editor corrects the title: it locks.
    page.goto(edit_url)
    expect(page.locator('[data-lock-field="title"]')).to_contain_text("Imported")
    page.locator("#id_title").fill("Editor's better title")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("Locked against re-import: Title")
    assert resource_state(site, source_id)["locked"] == ["title"]

    # A re-import with a new source title keeps the editor's title and records the source's.
    import_csv(site, tmp_path, source_id, "Source title two")
    state = resource_state(site, source_id)
    assert state["title"] == "Editor's better title" and state["source_title"] == "Source title two"
    page.goto(f"/catalog/{state['slug']}/")
    expect(page.locator("h1")).to_have_text("Editor's better title")

    # The edit form shows the lock and the source's value; the editor unticks the one "Lock" box they see.
    page.goto(edit_url)
    lock = page.locator('[data-lock-field="title"]')
    expect(lock).to_contain_text("Locked")
    expect(lock).to_contain_text("Source title two")
    assert page.locator('input[name="lock__title"]').count() == 1
    checkbox = lock.get_by_role("checkbox")
    expect(checkbox).to_be_checked()
    checkbox.uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("Unlocked and restored from the source: Title")

    state = resource_state(site, source_id)
    assert state["locked"] == [] and state["title"] == "Source title two"
    page.goto(edit_url)
    expect(page.locator("#id_title")).to_have_value("Source title two")
    expect(page.locator('[data-lock-field="title"]')).to_contain_text("Imported")
    page.goto(f"/catalog/{state['slug']}/")
    expect(page.locator("h1")).to_have_text(re.compile("Source title two"))
