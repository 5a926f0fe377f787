"""Working-day calendar: the chinesecalendar package, corrected or extended by an override table."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DayOverride(models.Model):
    """A date whose working status an administrator sets (for years the package lacks, or fixes)."""

    date = models.DateField(_("date"), primary_key=True)
    is_workday = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("working-day override")
        verbose_name_plural = _("working-day overrides")

    def __str__(self) -> str:
        return f"{self.date} {'workday' if self.is_workday else 'day off'}"
