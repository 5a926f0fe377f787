"""Priority industries (seed 004 §二, §五, §六) and the risk-level guidance on the enterprise page."""

import csv
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from dispatch import priority
from dispatch.models import CountyRisk, RiskLevel

STANDARD = Path(settings.BASE_DIR) / "industries" / "data" / "gbt4754_2017.csv"


def _rows() -> list[dict[str, str]]:
    with priority.DATA.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_the_data_file_has_the_four_columns_and_categories():
    rows = _rows()
    assert list(rows[0]) == ["code", "category", "category_name", "basis"]
    assert {r["category"] for r in rows} == set(priority.CATEGORIES)
    for r in rows:
        # The Chinese name is the category's, and every row quotes the seed.
        assert r["category_name"] == priority.CATEGORIES[r["category"]][1], r
        assert len(r["basis"]) >= 10, r
    pairs = [(r["code"], r["category"]) for r in rows]
    assert len(pairs) == len(set(pairs))


def test_every_code_is_in_gbt4754_2017():
    with STANDARD.open(encoding="utf-8", newline="") as f:
        codes = {r["code"] for r in csv.DictReader(f)}
    missing = [r["code"] for r in _rows() if r["code"] not in codes]
    assert missing == []
    # Divisions, groups or classes: two to four digits, never a section letter.
    assert all(r["code"].isdigit() and 2 <= len(r["code"]) <= 4 for r in _rows())


@pytest.mark.parametrize(
    "code, expected",
    [
        ("2770", ["medical_supplies"]),  # 卫生材料及医药用品 (masks)
        ("3581", ["medical_supplies"]),  # ventilators, monitors
        ("1781", ["medical_supplies"]),  # non-woven cloth for masks
        ("2762", ["medical_supplies"]),  # through the group 276
        ("2750", []),  # veterinary medicines are left out
        ("1441", ["livelihood_farm"]),  # dairy, through the division 14
        ("2621", ["livelihood_farm"]),  # fertiliser, through the group 262
        ("2921", ["livelihood_farm"]),  # plastic film (农膜)
        ("3571", ["livelihood_farm"]),  # tractors, through 357
        ("1522", ["livelihood_farm"]),  # bottled water, through 152
        ("1512", []),  # liquor is not a necessity
        ("3611", ["long_chain"]),
        ("3670", ["long_chain"]),
        ("3421", ["long_chain"]),  # machine tools
        ("3612", ["long_chain", "strategic_emerging"]),  # new-energy vehicles are both
        ("3973", ["long_chain", "strategic_emerging"]),  # integrated circuits, in 39
        ("3825", ["strategic_emerging"]),  # photovoltaics (not power equipment)
        ("3823", ["long_chain"]),  # switchgear: power equipment
        ("3841", ["strategic_emerging"]),  # lithium-ion batteries
        ("3491", ["strategic_emerging"]),
        ("3120", []),  # steel
        ("0610", []),  # coal
        ("", []),
    ],
)
def test_categories_for(code, expected):
    assert priority.categories_for(code) == expected
    assert priority.is_priority(code) == bool(expected)


def test_the_longest_prefix_gives_the_basis():
    (parts,) = priority.matches("3670")
    assert (parts.code, parts.category) == ("3670", "long_chain")
    assert "汽车零部件" in parts.basis
    (car,) = priority.matches("3611")
    assert car.code == "36" and "汽车、电子、船舶" in car.basis
    (masks,) = priority.matches("2770")
    assert "口罩" in masks.basis


def test_guidance_follows_the_seed_for_each_level():
    assert "全面恢复正常生产生活秩序" in priority.guidance(RiskLevel.LOW).basis
    assert "有序恢复" in priority.guidance(RiskLevel.MEDIUM).basis
    assert "逐步恢复" in priority.guidance(RiskLevel.HIGH).basis
    with translation.override("en"):
        assert str(priority.guidance(RiskLevel.HIGH).headline) == (
            "Gradual resumption as the epidemic allows"
        )
    with translation.override("zh-hans"):
        assert str(priority.guidance(RiskLevel.HIGH).headline) == "根据疫情态势逐步复工复产"
    assert priority.guidance("nonsense") is priority.GUIDANCE[RiskLevel.LOW]


def test_enterprise_context_takes_the_level_in_effect_in_one_query(
    world, django_assert_num_queries
):
    CountyRisk.objects.create(region_id="150102", level="high", effective_from=date(2020, 2, 10))
    CountyRisk.objects.create(region_id="150102", level="medium", effective_from=date(2020, 2, 20))
    CountyRisk.objects.create(region_id="150203", level="high", effective_from=date(2020, 2, 1))
    with django_assert_num_queries(1):
        before = priority.enterprise_context(world.dairy, date(2020, 2, 9))
    during = priority.enterprise_context(world.dairy, date(2020, 2, 19))
    after = priority.enterprise_context(world.dairy, date(2020, 2, 20))
    assert (before["level"], before["since"], before["graded"]) == ("low", None, False)
    assert (during["level"], during["since"]) == ("high", date(2020, 2, 10))
    assert (after["level"], after["since"]) == ("medium", date(2020, 2, 20))
    assert after["guidance"] is priority.GUIDANCE["medium"]
    assert [m.category for m in after["priority"]] == ["livelihood_farm"]
    steel = priority.enterprise_context(world.steel, date(2020, 2, 19))
    assert steel["level"] == "high" and steel["priority"] == []


def test_the_enterprise_page_shows_guidance_and_priority(world):
    CountyRisk.objects.create(region_id="150102", level="medium", effective_from=date(2020, 2, 5))
    c = Client()
    c.force_login(world.alice)
    page = c.get(f"/enterprises/{world.dairy.uscc}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert page.context["policy"]["level"] == "medium"
    assert 'id="policy"' in html
    # The seed's words for a medium-risk county, and for a food maker.
    assert "合理安排企业复工复产" in html
    assert "推动食品、日用品等生活必需品企业复工复产" in html
    assert "2020-02-05" in html

    steel = c.get(f"/enterprises/{world.steel.uscc}/")
    assert steel.context["policy"]["level"] == "low"
    assert steel.context["policy"]["priority"] == []
    assert "全面恢复正常生产生活秩序" in steel.content.decode()
