"""Property: whatever the region tree and whoever asks, every listed row lies in the caller's
subtree and the count equals a direct database count (RELIABILITY check 20)."""

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from accounts.models import ApiToken, Role
from lib import testing
from regions.models import Level, Region, prefix_of
from registry.models import Enterprise

COUNTIES = [
    "150102",
    "150105",
    "150203",
    "150204",
    "150206",
    "150602",
    "150621",
    "152921",
    "140105",
    "110101",
]
INDUSTRIES = ["3110", "1441", "0610", "2614", "4411"]


class ScopeProperty(TestCase):
    @settings(max_examples=30, deadline=None)
    @given(
        placements=st.lists(
            st.tuples(st.sampled_from(COUNTIES), st.sampled_from(INDUSTRIES)), max_size=15
        ),
        official_at=st.sampled_from(
            [*COUNTIES, "150000", "150100", "150200", "150600", "152900", "140000"]
        ),
        filter_at=st.sampled_from(["", "150000", "150200", "150203", "140000", "152900"]),
    )
    def test_lists_stay_in_the_subtree(self, placements, official_at, filter_at):
        for county, industry in placements:
            testing.enterprise(county, industry, phone="")
        official = testing.user(f"o{official_at}", Role.OFFICIAL, region_id=official_at)
        _, raw = ApiToken.issue(official)
        r = self.client.get(
            f"/api/v1/enterprises?page_size=200&region={filter_at}",
            HTTP_AUTHORIZATION=f"Bearer {raw}",
        )
        prefix = prefix_of(official_at)
        rows = r.json()["items"]
        assert all(row["region"].startswith(prefix) for row in rows)
        direct = Enterprise.objects.filter(region__code__startswith=prefix)
        if filter_at:
            direct = direct.filter(region__code__startswith=prefix_of(filter_at))
        assert r.json()["count"] == direct.count() == len(rows)


def test_the_sampled_counties_exist(db):
    assert Region.objects.filter(code__in=COUNTIES, level=Level.COUNTY).count() == len(COUNTIES)
