from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "tsunagu.matching"
