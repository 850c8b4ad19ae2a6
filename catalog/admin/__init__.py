"""The catalogue's editor admin (wagtail-modeladmin): listings, field locks, inspect, CSV export, dashboard.

Registered from catalog/wagtail_hooks.py. Kept free of import-time side effects because Django's admin
autodiscovery imports `catalog.admin` too.
"""
