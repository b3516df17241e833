"""The include as a project writes it."""
from django.urls import include, path

urlpatterns = [path("djfront/", include("djfront.urls"))]
