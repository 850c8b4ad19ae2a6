"""The facets every engine offers: their keys (also the query parameters), labels and value labels."""

from dataclasses import dataclass

from catalog.models import CertificationType, Delivery, Level, ResourceType


@dataclass(frozen=True)
class FacetDefinition:
    key: str
    label: str
    # Fixed value → label maps; facets of lookup tables (topic, offeror, ...) carry labels in the index.
    choices: tuple[tuple[str, str], ...] = ()
    hierarchical: bool = False

    def value_label(self, value: str, fallback: str = "") -> str:
        return dict(self.choices).get(value) or fallback or value


DOC_TYPE_CHOICES = (*ResourceType.choices, ("news", "News"), ("page", "Page"))

LANGUAGE_NAMES = {
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "de": "German",
    "pt": "Portuguese",
    "zh": "Chinese",
    "ja": "Japanese",
    "ar": "Arabic",
    "hi": "Hindi",
    "ru": "Russian",
    "it": "Italian",
    "ko": "Korean",
}

FACETS: tuple[FacetDefinition, ...] = (
    FacetDefinition("type", "Type", DOC_TYPE_CHOICES),
    FacetDefinition("topic", "Topic", hierarchical=True),
    FacetDefinition("offeror", "Offered by"),
    FacetDefinition("platform", "Platform"),
    FacetDefinition("department", "Department"),
    FacetDefinition("level", "Level", tuple(Level.choices)),
    FacetDefinition("certification", "Certificate", tuple(CertificationType.choices)),
    FacetDefinition("price", "Price", (("free", "Free"), ("paid", "Paid"))),
    FacetDefinition("delivery", "Delivery", tuple(Delivery.choices)),
    FacetDefinition("language", "Language", tuple(LANGUAGE_NAMES.items())),
)
FACET_KEYS = tuple(facet.key for facet in FACETS)
FACETS_BY_KEY = {facet.key: facet for facet in FACETS}
