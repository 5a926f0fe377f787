from django.apps import AppConfig


class ProblemsConfig(AppConfig):
    name = "problems"
    verbose_name = "problems"

    def ready(self) -> None:
        from . import notices

        notices.connect()
