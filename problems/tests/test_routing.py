"""Routing: the national defaults (installed by the migration and restored by ensure()), the most
specific rule winning, desks found up the tree, the 工信 fallback, and the handler with the
fewest open problems (a stable choice among equals)."""

import pytest

from accounts.models import Role
from lib import testing
from problems import defaults, routing
from problems.models import Department, RoutingRule

from .factories import raise_, step


def test_the_migration_installs_the_national_defaults(db):
    national = dict(RoutingRule.objects.filter(region__isnull=True).values_list("category", "kind"))
    assert national == defaults.RULES
    assert national["labour"] == "human_resources"
    assert national["transport"] == "transport"
    assert national["funds"] == "finance_office"
    assert national["customs"] == "customs"


def test_ensure_restores_missing_defaults_and_changes_nothing_else(db):
    RoutingRule.objects.filter(category__in=["labour", "customs"]).delete()
    RoutingRule.objects.filter(category="transport", region__isnull=True).update(kind="commerce")
    assert defaults.ensure() == 2
    assert defaults.ensure() == 0  # idempotent
    national = dict(RoutingRule.objects.filter(region__isnull=True).values_list("category", "kind"))
    assert national["labour"] == "human_resources"
    assert national["transport"] == "commerce"  # an administrator's change stays
    assert RoutingRule.objects.filter(region__isnull=True).count() == len(defaults.RULES)


def test_the_most_specific_rule_wins(db):
    assert routing.kind_for("funds", "150203") == "finance_office"
    RoutingRule.objects.create(category="funds", region_id="150000", kind="central_bank")
    assert routing.kind_for("funds", "150203") == "central_bank"  # the province's rule
    RoutingRule.objects.create(category="funds", region_id="150200", kind="commerce")
    assert routing.kind_for("funds", "150203") == "commerce"  # the city's, more specific
    assert routing.kind_for("funds", "150102") == "central_bank"  # Hohhot: the province's
    RoutingRule.objects.create(category="funds", region_id="150203", kind="finance_office")
    assert routing.kind_for("funds", "150203") == "finance_office"  # the county's own
    assert routing.kind_for("funds", "150204") == "commerce"  # its neighbour keeps the city's
    assert routing.kind_for("funds", "140105") == "finance_office"  # Shanxi: the default


def test_no_rule_at_all_means_the_industry_desk(db):
    RoutingRule.objects.filter(category="energy").delete()
    assert routing.kind_for("energy", "150203") == "industry"


def test_a_desk_is_found_up_the_tree(world, desks):
    # labour in Kundulun: the county's own human resources desk
    assert routing.desk_for("human_resources", "150203") == desks.county_hr
    # labour in Qingshan (no county desk): the city's
    assert routing.desk_for("human_resources", "150204") == desks.city_hr
    # labour in Hohhot's Xincheng (no county or city desk): the province's
    assert routing.desk_for("human_resources", "150102") == desks.province_hr
    # customs nowhere: the nearest industry desk (the county's, then the city's)
    assert routing.desk_for("customs", "150203") == desks.county_industry
    assert routing.desk_for("customs", "150204") == desks.city_industry


def test_with_no_desk_anywhere_the_county_industry_desk_is_opened(world, desks):
    before = Department.objects.count()
    desk = routing.desk_for("customs", "150102")
    assert (desk.region_id, desk.kind, desk.name) == ("150102", "industry", "新城区工业和信息化局")
    assert Department.objects.count() == before + 1
    assert routing.desk_for("customs", "150102") == desk  # opened once


def test_raise_routes_to_the_desk_and_a_member(world, desks):
    p = raise_(world.dave, world.steel, category="labour")
    assert (p.department, p.handler) == (desks.county_hr, desks.henry)
    p = raise_(world.dave, world.steel, category="transport")
    assert (p.department, p.handler) == (desks.county_transport, desks.kate)
    p = raise_(world.carol, world.steel, category="customs")
    assert (p.department, p.handler) == (desks.county_industry, None)  # officials work it


def test_the_member_with_fewest_open_problems_gets_it(world, desks):
    lena = testing.user("lena", Role.HANDLER, region_id="150203")
    desks.county_hr.members.add(lena)
    first, second = sorted([desks.henry, lena], key=lambda u: u.pk)
    handlers = [raise_(world.dave, world.steel).handler for _ in range(4)]
    # equal loads go to the lower id, so they alternate
    assert handlers == [first, second, first, second]
    # closing one of first's problems frees him: he gets the next one
    p = next(p for p in first.handled_problems.order_by("pk"))
    step("accept", first, p)
    step("answer", first, p, text="已解决")
    step("confirm", world.dave, p, rating=5)
    assert raise_(world.dave, world.steel).handler == first
    # an inactive member gets nothing
    first.is_active = False
    first.save(update_fields=["is_active"])
    assert {raise_(world.dave, world.steel).handler for _ in range(3)} == {second}


@pytest.mark.parametrize(
    ("code", "chain"),
    [
        ("150203", ["150203", "150200", "150000"]),
        ("150200", ["150200", "150000"]),
        ("441900", ["441900", "440000"]),  # Dongguan: no counties
    ],
)
def test_up_the_tree(code, chain):
    assert routing.up_the_tree(code) == chain
