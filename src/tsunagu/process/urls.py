from django.urls import path

from tsunagu.process import views

app_name = "process"

urlpatterns = [
    path(
        "milestones/<int:milestone_id>/deliveries/", views.delivery_create, name="delivery_create"
    ),
    path("deliveries/<int:delivery_id>/approve/", views.delivery_approve, name="delivery_approve"),
    path(
        "deliveries/<int:delivery_id>/revision/", views.delivery_revision, name="delivery_revision"
    ),
    path("delivery-files/<int:file_id>/", views.delivery_file_download, name="file_download"),
]
