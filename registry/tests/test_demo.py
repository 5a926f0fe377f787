"""The Inner Mongolia demo: its size, codes, spread and logins, and that re-running changes nothing."""

import os
import re
import subprocess
import sys
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Sum
from django.test import override_settings

from accounts import scope
from accounts.models import Role, User
from industries.models import Industry
from lib.uscc import is_valid
from regions.models import Level, Region
from registry import demo
from registry.models import Contact, Enterprise, EnterpriseTag, KeyProject, Park

# Pinned so a change to the generator, or output that depends on the process (set order, hash
# seed), shows up here. Update it deliberately when the demo is meant to change.
PLAN_DIGEST = "cd451d72cf47b0ae5947fa992024adfcc87778dc40e2be908fc2c12a86ee5bb9"

CITIES = {c.code for c in demo.CITIES}
assert len(CITIES) == 12


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker):
    """One build for the whole module, inside a transaction rolled back at the end.

    The tests' own transactions nest inside it, so they see the demo and nothing leaks into
    other modules.
    """
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=fast):
        with transaction.atomic():
            out = StringIO()
            call_command("load_demo", stdout=out)
            yield out.getvalue()
            transaction.set_rollback(True)


def demo_rows() -> list[tuple]:
    return list(
        Enterprise.objects.filter(region__code__startswith="15").values_list(
            "uscc", "name", "headcount", "industry_id", "region_id"
        )
    )


def test_size_and_headcount_match_the_seed(built, db):
    qs = Enterprise.objects.filter(region__code__startswith="15")
    assert 2650 <= qs.filter(above_scale=True).count() <= 2850
    assert qs.count() == qs.filter(above_scale=True).count()
    total = qs.aggregate(n=Sum("headcount"))["n"]
    assert abs(total - demo.TARGET_HEADCOUNT) <= 0.03 * demo.TARGET_HEADCOUNT


def test_every_enterprise_is_in_an_existing_county_and_every_city_has_some(built, db):
    regions = set(Enterprise.objects.values_list("region_id", flat=True))
    counties = set(
        Region.objects.filter(code__in=regions, level=Level.COUNTY).values_list("code", flat=True)
    )
    assert regions == counties
    assert all(code.startswith("15") for code in regions)
    per_city = Counter(
        code[:4] + "00" for code in Enterprise.objects.values_list("region_id", flat=True)
    )
    assert set(per_city) == CITIES
    # economic weight: the three big cities lead, the three small leagues trail
    big = min(per_city[c] for c in ("150600", "150200", "150100"))
    small = max(per_city[c] for c in ("152900", "150300", "152200"))
    assert big > 2 * small


def test_usccs_are_valid_unique_and_carry_the_county(built, db):
    rows = list(Enterprise.objects.values_list("uscc", "region_id", "name"))
    usccs = [u for u, _, _ in rows]
    assert len(usccs) == len(set(usccs))
    assert all(is_valid(u) for u in usccs)
    assert all(u.startswith(f"91{region}MA") for u, region, _ in rows)
    names = [n for _, _, n in rows]
    assert len(names) == len(set(names))
    assert all(n.endswith(("有限公司", "有限责任公司", "股份有限公司")) for n in names)


def test_industries_sizes_and_tags_are_plausible(built, db):
    qs = Enterprise.objects.all()
    codes = set(qs.values_list("industry_id", flat=True))
    assert codes <= set(Industry.objects.filter(level=4).values_list("code", flat=True))
    divisions = Counter(code[:2] for code in qs.values_list("industry_id", flat=True))
    assert {"06", "44", "26", "31", "32", "14", "13"} <= {d for d, _ in divisions.most_common(10)}
    n = qs.count()
    sizes = Counter(qs.values_list("size_class", flat=True))
    assert sizes["small"] > n / 2 and 0.02 * n < sizes["large"] < 0.10 * n and sizes["micro"] == 0
    heads = sorted(qs.values_list("headcount", flat=True))
    assert sum(50 <= h <= 500 for h in heads) > 0.6 * n
    assert 5000 <= heads[-20] and heads[-1] <= 30000
    tags = Counter(EnterpriseTag.objects.values_list("tag", flat=True))
    assert 0.025 * n <= tags["leading"] <= 0.035 * n
    assert 0.08 * n <= tags["backbone"] <= 0.12 * n
    for tag in ("key_contact", "prevention_supplies", "livelihood", "foreign_trade"):
        assert 0.02 * n < tags[tag] < 0.4 * n, tag
    pharma = qs.filter(industry__code__startswith="27")
    assert pharma.exists()
    assert pharma.filter(tag_rows__tag="prevention_supplies").count() == pharma.count()


def test_parks_projects_and_contacts(built, db):
    parks = Park.objects.filter(region__code__startswith="15")
    per_city = Counter(code[:4] + "00" for code in parks.values_list("region_id", flat=True))
    assert set(per_city) == CITIES and all(2 <= v <= 4 for v in per_city.values())
    inside = Enterprise.objects.filter(park__isnull=False)
    assert 0.30 <= inside.count() / Enterprise.objects.count() <= 0.40
    # a park holds enterprises of its own county
    assert all(e.region_id == e.park.region_id for e in inside.select_related("park"))
    assert 30 <= KeyProject.objects.count() <= 50
    per_enterprise = Counter(Contact.objects.values_list("enterprise_id", flat=True))
    assert len(per_enterprise) == Enterprise.objects.count()
    assert set(per_enterprise.values()) <= {1, 2}
    assert all(
        re.fullmatch(r"1[358]\d{9}", phone)
        for phone in Contact.objects.values_list("phone", flat=True)
    )


def test_every_role_has_a_user_who_sees_their_scope(built, db):
    users = {u.username: u for u in User.objects.all()}
    assert {u.role for u in users.values()} == set(Role.values)
    n = Enterprise.objects.count()
    assert scope.enterprises(users["admin"]).count() == n
    assert users["admin"].is_superuser and users["admin"].is_staff
    assert scope.enterprises(users["nmg_official"]).count() == n
    baotou = scope.enterprises(users["baotou_official"])
    assert 0 < baotou.count() < n
    assert all(r.startswith("1502") for r in baotou.values_list("region_id", flat=True))
    kundulun = scope.enterprises(users["kundulun_official"])
    assert 0 < kundulun.count() < baotou.count()
    reporter = users["reporter"]
    assert list(scope.enterprises(reporter)) == [reporter.enterprise]
    manager = users["park_manager"]
    assert reporter.enterprise.park == manager.park and manager.park.region_id == "150203"
    assert 0 < scope.enterprises(manager).count() < kundulun.count()
    association = scope.enterprises(users["association"])
    assert association.exists()
    assert {c[:2] for c in association.values_list("industry_id", flat=True)} == {"06", "44", "26"}
    handler = users["handler"]
    assert handler.department == "人力资源和社会保障厅" and handler.region_id == "150000"
    assert users["reporter"].check_password(demo.PASSWORD)


def test_output_lists_the_logins(built):
    assert demo.PASSWORD in built
    for username in (
        "admin",
        "nmg_official",
        "baotou_official",
        "kundulun_official",
        "park_manager",
        "reporter",
        "association",
        "handler",
    ):
        assert re.search(rf"^\s.{username}\s+{demo.PASSWORD}", built, re.MULTILINE), username
    assert "150600" in built and "1,0" in built  # the per-city lines and the total


def test_rerun_adds_nothing_and_leaves_the_data_as_it_was(built, db):
    before = demo.digest(demo_rows())
    counts = [
        m.objects.count() for m in (Enterprise, EnterpriseTag, Contact, KeyProject, Park, User)
    ]
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert demo.digest(demo_rows()) == before
    assert [
        m.objects.count() for m in (Enterprise, EnterpriseTag, Contact, KeyProject, Park, User)
    ] == counts
    assert "0 added" in out.getvalue() and "existed already" in out.getvalue()


def test_the_database_holds_exactly_the_plan_and_the_plan_never_changes(built, db):
    plan = demo.build_plan()
    assert demo.plan_digest(plan) == demo.digest(demo_rows())
    assert demo.plan_digest(demo.build_plan()) == demo.plan_digest(plan)
    assert demo.plan_digest(plan) == PLAN_DIGEST


def test_the_plan_does_not_depend_on_the_hash_seed():
    # Set and dict order of strings changes with PYTHONHASHSEED; the demo must not.
    code = (
        "import django; django.setup(); from registry import demo; "
        "print(demo.plan_digest(demo.build_plan()))"
    )
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONHASHSEED": "12345", "DJANGO_SETTINGS_MODULE": "fugong.settings"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == demo.plan_digest(demo.build_plan())
