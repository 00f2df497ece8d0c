from django.contrib import admin
from django.urls import include, path

from tsunagu.api.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("tsunagu.process.urls")),
    path("", include("tsunagu.web.urls")),
]
