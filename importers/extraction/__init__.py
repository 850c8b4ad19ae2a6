"""Content extraction: text from documents (Tika) and safe unpacking of course archives."""
