"""The project's URLs: the admin now; the REST API mounts under /api/v1/."""

from django.contrib import admin
from django.urls import path

admin.site.site_header = "Initiative Tracker"
admin.site.site_title = "Initiative Tracker"
admin.site.index_title = "Announced initiatives, from announcement to delivery"

urlpatterns = [
    path("admin/", admin.site.urls),
]
