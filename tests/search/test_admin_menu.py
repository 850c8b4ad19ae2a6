"""The admin's main menu lists "Search synonyms" (as the README says), and it leads to the synonym list."""

from django.contrib.auth import get_user_model
from django.test import RequestFactory

from wagtail.admin.menu import admin_menu

import pytest

from search.models import Synonym

pytestmark = pytest.mark.django_db


def test_the_admin_menu_has_search_synonyms(admin_client):
    request = RequestFactory().get("/admin/")
    request.user = get_user_model().objects.get(username="admin")
    items = {item.label: item for item in admin_menu.menu_items_for_request(request)}
    assert "Search synonyms" in items
    Synonym.objects.create(terms="ai, artificial intelligence")
    response = admin_client.get(items["Search synonyms"].url)
    assert response.status_code == 200
    assert "artificial intelligence" in response.content.decode()
