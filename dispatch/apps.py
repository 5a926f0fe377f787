from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "dispatch"
    verbose_name = "dispatch"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (keeps reporting duties in step with the register)
