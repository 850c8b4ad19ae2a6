from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from cms import health, metrics, views
from cms.accounts import views as accounts_views

urlpatterns = [
    path("health/startup/", health.startup, name="health-startup"),
    path("health/liveness/", health.liveness, name="health-liveness"),
    path("health/readiness/", health.readiness, name="health-readiness"),
    path("health/full/", health.full, name="health-full"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("robots.txt", views.robots_txt, name="robots-txt"),
    path("sitemap.xml", views.sitemap, name="sitemap"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("django-admin/", admin.site.urls),
    # Signing out of the admin also ends an OIDC sign-in at the provider (cms/accounts/, issue 16).
    path("admin/logout/", accounts_views.sign_out),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("api/", include("cms.api")),
    path("auth/", include("social_django.urls", namespace="social")),
    # Sign-in and sign-out pages (cms/accounts/, issue 16).
    path("accounts/", include("cms.accounts.urls")),
    path("catalog/", include("catalog.urls")),
    path("search/", include("search.urls")),
    path("news/", include("news.urls")),
    path("imports/", include("importers.urls")),
    # --- Learner lists and "My learning" (issue 16, helper "learner") ---
    path("lists/", include("catalog.list_urls")),
    path("my/", include("search.saved.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
elif settings.SERVE_MEDIA_IMAGES:
    # Media on local disk under production settings (the embedded default): images only (cms.views.media_image).
    urlpatterns.append(re_path(r"^media/(?P<path>.+)$", views.media_image, name="media-image"))

# Wagtail's page serving comes last: it matches every remaining path. Its own serve pattern, through the view that
# takes the route from the content cache (cms.views.serve_page); Wagtail's other URLs (password form) follow.
urlpatterns.append(re_path(wagtail_urls.serve_pattern, views.serve_page, name="wagtail_serve"))
urlpatterns.append(path("", include(wagtail_urls)))
