"""GB/T 4754-2017 industries: section, division, group, class."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.IntegerChoices):
    SECTION = 1, _("section")
    DIVISION = 2, _("division")
    GROUP = 3, _("group")
    CLASS = 4, _("class")


class Industry(models.Model):
    """One code of the classification; enterprises point at a class (four digits)."""

    code = models.CharField(_("code"), max_length=4, primary_key=True)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    section = models.CharField(_("section"), max_length=1)
    division = models.CharField(_("division"), max_length=2, blank=True)
    name = models.CharField(_("name"), max_length=128)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("industry")
        verbose_name_plural = _("industries")
        indexes = [
            # the division list for filters and association scopes
            models.Index(fields=["level", "code"], name="industry_level_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"
