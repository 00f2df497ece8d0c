from django.apps import AppConfig


class BenchConfig(AppConfig):
    name = "tsunagu.bench"
    verbose_name = "Benchmarks"
