"""The back office's index page, with a link to the operators' report (``views.operators``)."""

from django.contrib import admin

admin.site.index_template = "web/operators/admin_index.html"
