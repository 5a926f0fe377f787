"""Load regions, industries and check the calendar and size table; re-running changes nothing."""

from django.core.management.base import BaseCommand

from industries.loader import load_industries
from industries.sizes import thresholds
from regions.loader import load_regions
from regions.models import Level, Region
from workdays.calendar import package_years


class Command(BaseCommand):
    help = (
        "Load GB/T 2260 regions, GB/T 4754-2017 industries, and check the calendar and SME table."
    )

    def handle(self, *args, **options):
        regions = load_regions()
        counties = Region.objects.filter(level=Level.COUNTY, active=True).count()
        self.stdout.write(f"regions: {_fmt(regions)}; active counties: {counties}")
        industries = load_industries()
        self.stdout.write(f"industries: {_fmt(industries)}")
        years = package_years()
        self.stdout.write(
            f"working-day calendar: package covers {years[0]}–{years[-1]}; other years use overrides, else Mon–Fri"
        )
        self.stdout.write(f"SME size table: {len(thresholds())} thresholds")


def _fmt(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items())
