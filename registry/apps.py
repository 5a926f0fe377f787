from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = _("Enterprise register")

    def ready(self) -> None:
        from . import signals  # noqa: F401  (a deleted park announces the enterprises it leaves)
