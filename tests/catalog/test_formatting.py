"""Prices and languages formatted for people, on the resource page and the cards."""

from decimal import Decimal

import pytest

from catalog.factories import CourseFactory, RunFactory
from catalog.templatetags.catalog_tags import language_name, language_names, money, price, price_range


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("2950.00", "USD", "$2,950"),
        (Decimal("49.50"), "eur", "€49.50"),
        ("1234567.891", "GBP", "£1,234,567.89"),
        ("300", "CHF", "300 CHF"),
        ("0.00", "USD", "Free"),
        (0, "", "Free"),
        ("", "USD", ""),
        (None, "USD", ""),
        ("not a number", "USD", ""),
    ],
)
def test_money(amount, currency, expected):
    assert money(amount, currency) == expected


def test_a_runs_price_keeps_its_label():
    assert price({"amount": "2950.00", "currency": "USD", "label": "Verified"}) == "Verified: $2,950"
    assert price({"amount": "0", "currency": "USD"}) == "Free"
    assert price({"currency": "USD"}) == ""


@pytest.mark.parametrize(
    ("free", "low", "high", "expected"),
    [
        (True, None, None, "Free"),
        (False, "2950.00", "2950.00", "$2,950"),
        (False, "1000", "2950", "$1,000–$2,950"),
        (False, None, None, "Paid"),
    ],
)
def test_price_range(free, low, high, expected):
    class Resource:
        currency = "USD"

    resource = Resource()
    resource.free = free
    resource.min_price = Decimal(low) if low else None
    resource.max_price = Decimal(high) if high else None
    assert price_range(resource) == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [("en", "English"), ("es", "Spanish"), ("pt-BR", "Portuguese (Brazil)"), ("zh", "Chinese"), ("qqq-!", "qqq-!")],
)
def test_language_name(code, expected):
    assert language_name(code) == expected


def test_language_names():
    assert language_names(["en", "fr"]) == "English, French"
    assert language_names([]) == ""


@pytest.mark.django_db
def test_the_resource_page_shows_prices_and_languages_for_people(client):
    course = CourseFactory(
        title="Paid course",
        free=False,
        min_price=Decimal("2950.00"),
        max_price=Decimal("2950.00"),
        currency="USD",
        languages=["en", "es"],
    )
    RunFactory(resource=course, prices=[{"amount": "2950.00", "currency": "USD", "label": "Full price"}])

    html = client.get(course.get_absolute_url()).content.decode()
    body = html.split("<body", 1)[1]  # (the JSON-LD in the head keeps machine-readable prices)

    assert "$2,950" in body and "Full price: $2,950" in body
    assert "2950.00" not in body and "USD" not in body
    assert "English, Spanish" in body and "<dd>en, es</dd>" not in body

    listing = client.get("/catalog/").content.decode()
    assert "$2,950" in listing and "2950.00" not in listing
