"""Desks and problems for tests, made through the real services at a chosen local time.

The desks (with the world of lib/testing.py):
- 昆都仑区 150203: human resources (henry), transport (kate), industry (no members: its officials
  carol, bob and alice work it);
- 包头市 150200: human resources (grace, the world's handler), industry;
- 内蒙古自治区 150000: human resources (ivan).
Hohhot's 新城区 150102 has none: its problems go to a 工信 desk opened for the county.
"""

from dataclasses import dataclass
from datetime import datetime
from unittest import mock

from django.utils import timezone

from accounts.models import Role, User
from lib import testing
from problems import actions
from problems.models import Department, Problem


def at(year: int, month: int, day: int, hour: int = 9, minute: int = 0):
    """Patch the clock (timezone.now) to a local time."""
    moment = timezone.make_aware(datetime(year, month, day, hour, minute))
    return mock.patch("django.utils.timezone.now", return_value=moment)


@dataclass
class Desks:
    county_hr: Department
    county_transport: Department
    county_industry: Department
    city_hr: Department
    city_industry: Department
    province_hr: Department
    henry: User
    kate: User
    ivan: User


def desks(world) -> Desks:
    henry = testing.user("henry", Role.HANDLER, region_id="150203", department="昆区人社局")
    kate = testing.user("kate", Role.HANDLER, region_id="150203", department="昆区交通局")
    ivan = testing.user("ivan", Role.HANDLER, region_id="150000", department="自治区人社厅")

    def desk(region: str, kind: str, name: str, *members: User) -> Department:
        d = Department.objects.create(region_id=region, kind=kind, name=name)
        d.members.set(members)
        return d

    return Desks(
        county_hr=desk("150203", "human_resources", "昆都仑区人力资源和社会保障局", henry),
        county_transport=desk("150203", "transport", "昆都仑区交通运输局", kate),
        county_industry=desk("150203", "industry", "昆都仑区工业和信息化局"),
        city_hr=desk("150200", "human_resources", "包头市人力资源和社会保障局", world.grace),
        city_industry=desk("150200", "industry", "包头市工业和信息化局"),
        province_hr=desk("150000", "human_resources", "内蒙古自治区人力资源和社会保障厅", ivan),
        henry=henry,
        kate=kate,
        ivan=ivan,
    )


def raise_(
    actor,
    enterprise,
    *,
    when: tuple = (2020, 2, 17, 10, 0),
    category: str = "labour",
    urgency: str = "normal",
    description: str = "缺少熟练工人，春节后返岗不足一半",
) -> Problem:
    with at(*when):
        return actions.raise_problem(
            actor=actor,
            enterprise=enterprise,
            category=category,
            description=description,
            urgency=urgency,
        )


def step(name: str, actor, problem: Problem, *, when: tuple = (2020, 2, 17, 11, 0), **values):
    """Take a transition on the problem's current version, as of `when`."""
    with at(*when):
        fresh = Problem.objects.get(pk=problem.pk)
        return actions.act(
            actor=actor, problem_id=fresh.pk, action=name, version=fresh.version, **values
        )
