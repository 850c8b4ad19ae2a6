"""django-q2 entry point of the saved-search digests (scheduled as "search:saved_search_digests")."""

from .digests import send_due_digests


def send_saved_search_digests() -> str:
    return str(send_due_digests())
