"""Risk levels (分区分级): the sheet import with its dry run, the /dispatch/risk/ page and the
/api/v1/risk-levels API, each scoped (out of scope is 404 or a row error, never a write)."""

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import include, path

from accounts.models import ApiToken
from audit.models import AuditEvent
from dispatch import risk
from dispatch.models import CountyRisk
from fugong import urls as project_urls
from lib import spreadsheets
from regions.models import Level, Region

# The page is included at /dispatch/risk/ by the project's URL map; until it is, these tests add
# it themselves (this module serves as the URL map).
urlpatterns = list(project_urls.urlpatterns)
if not any(getattr(p, "namespace", None) == "risk" for p in urlpatterns):
    urlpatterns.insert(0, path("dispatch/risk/", include("dispatch.risk_urls")))
pytestmark = pytest.mark.urls(__name__)

SHEET = (
    "区划代码,风险等级,生效日期\n"
    "150203,高风险,2020-02-10\n"  # 2: good
    "150204,中,2020/2/12\n"  # 3: good
    "159999,低,2020-02-10\n"  # 4: no such region
    "150102,高,2020-02-10\n"  # 5: Hohhot, outside Baotou
    "150200,高,2020-02-10\n"  # 6: a city
    "150202,很高,2020-02-10\n"  # 7: bad level
    "150205,low,2020-13-01\n"  # 8: bad date
    "150203,中风险,2020-02-10\n"  # 9: the same county and date again
    ",,\n"  # 10: blank, skipped
    "150206,,2020-02-10\n"  # 11: no level
)


def csv_bytes(text: str = SHEET) -> bytes:
    return text.encode("utf-8")


def logged_in(user) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="en")  # the assertions read the English msgids
    c.force_login(user)
    return c


def api(user) -> Client:
    _, raw = ApiToken.issue(user)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


# --- words ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, level",
    [
        ("low", "low"),
        ("HIGH", "high"),
        ("低", "low"),
        ("中风险", "medium"),
        (" 高 风险 ", "high"),
        ("高风险地区", "high"),
        ("很高", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_level(text, level):
    assert risk.parse_level(text) == level


@pytest.mark.parametrize(
    "value, day",
    [
        ("2020-02-10", date(2020, 2, 10)),
        ("2020/2/10", date(2020, 2, 10)),
        ("2020.2.10", date(2020, 2, 10)),
        ("2020年2月10日", date(2020, 2, 10)),
        ("2020-02-10 00:00:00", date(2020, 2, 10)),
        (date(2020, 2, 10), date(2020, 2, 10)),
        (43871, date(2020, 2, 10)),  # Excel's day number
        ("2020-13-01", None),
        ("2020-02-30", None),
        ("yesterday", None),
        (12, None),
        (True, None),
    ],
)
def test_parse_date(value, day):
    assert risk.parse_date(value) == day


# --- the import ----------------------------------------------------------------------------------


def test_a_check_lists_every_bad_row_and_writes_nothing(world):
    result = risk.import_levels(
        actor=world.bob, data=csv_bytes(), filename="levels.csv", dry_run=True
    )
    by_line = {r.line: r for r in result.rows}
    assert sorted(by_line) == [2, 3, 4, 5, 6, 7, 8, 9, 11]  # the blank line is skipped
    assert {line: r.errors for line, r in by_line.items() if r.errors} == {
        4: {"region": risk.UNKNOWN_REGION},
        5: {"region": risk.OUT_OF_SCOPE},
        6: {"region": risk.NOT_A_COUNTY},
        7: {"level": risk.BAD_LEVEL},
        8: {"effective_from": risk.BAD_DATE},
        9: {"effective_from": risk.TWICE},
        11: {"level": risk.BLANK},
    }
    assert (by_line[2].level, by_line[2].effective_from, by_line[2].name) == (
        "high",
        date(2020, 2, 10),
        "昆都仑区",
    )
    assert (by_line[3].level, by_line[3].effective_from) == ("medium", date(2020, 2, 12))
    assert result.summary == {"new": 2, "changed": 0, "unchanged": 0, "errors": 7, "to_write": 2}
    assert CountyRisk.objects.count() == 0
    assert not AuditEvent.objects.filter(action="set_risk").exists()


def test_an_import_writes_the_good_rows_only_and_says_what_changed(world):
    result = risk.import_levels(
        actor=world.bob, data=csv_bytes(), filename="levels.csv", dry_run=False
    )
    assert result.written == 2
    assert sorted(
        CountyRisk.objects.values_list("region_id", "level", "effective_from", "source", "set_by")
    ) == [
        ("150203", "high", date(2020, 2, 10), "import", world.bob.pk),
        ("150204", "medium", date(2020, 2, 12), "import", world.bob.pk),
    ]
    assert AuditEvent.objects.filter(action="set_risk", actor=world.bob).count() == 2
    # Out of scope (150102), unknown and city codes were never written.
    assert not CountyRisk.objects.filter(region_id__in=["150102", "150200", "159999"]).exists()

    again = risk.import_levels(
        actor=world.bob,
        data=csv_bytes("区划代码,风险等级,生效日期\n150203,高,2020-02-10\n150204,低,2020-02-12\n"),
        filename="levels.csv",
        dry_run=False,
    )
    assert [(r.outcome, r.before) for r in again.rows] == [
        ("unchanged", "high"),
        ("changed", "medium"),
    ]
    assert again.written == 1
    assert CountyRisk.objects.get(region_id="150204").level == "low"


def test_a_county_official_cannot_import_a_neighbour(world):
    result = risk.import_levels(
        actor=world.carol,
        data=csv_bytes("区划代码,风险等级,生效日期\n150204,高,2020-02-10\n150203,高,2020-02-10\n"),
        filename="x.csv",
        dry_run=False,
    )
    assert [r.errors for r in result.rows] == [{"region": risk.OUT_OF_SCOPE}, {}]
    assert list(CountyRisk.objects.values_list("region_id", flat=True)) == ["150203"]


def test_an_xlsx_with_real_dates_and_numeric_codes(world):
    buffer = io.BytesIO()
    workbook = spreadsheets.safe_workbook(buffer)
    sheet = workbook.add_worksheet("levels")
    dates = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, ["说明：包头市风险等级"])  # a title above the header
    sheet.write_row(1, 0, ["区划代码", "风险等级", "生效日期"])
    sheet.write_number(2, 0, 150203)
    sheet.write_string(2, 1, "中风险")
    sheet.write_datetime(2, 2, date(2020, 2, 14), dates)
    sheet.write_string(3, 0, "150204")
    sheet.write_string(3, 1, "high")
    sheet.write_number(3, 2, 43875)  # a date typed into a plain number cell
    workbook.close()
    rows = risk.check(world.bob, risk.read(buffer.getvalue(), "levels.xlsx"))
    assert [(r.line, r.region, r.level, r.effective_from, r.errors) for r in rows] == [
        (3, "150203", "medium", date(2020, 2, 14), {}),
        (4, "150204", "high", date(2020, 2, 14), {}),
    ]


def test_sheets_without_the_columns_are_refused(world):
    with pytest.raises(spreadsheets.SpreadsheetError) as missing:
        risk.read(csv_bytes("区划代码,风险等级\n150203,高\n"), "x.csv")
    assert "生效日期" in str(missing.value)
    with pytest.raises(spreadsheets.SpreadsheetError) as none:
        risk.read(csv_bytes("a,b,c\n1,2,3\n"), "x.csv")
    assert str(none.value) == risk.NO_HEADER


# --- the page ------------------------------------------------------------------------------------


def test_the_page_lists_the_officials_counties_with_their_levels(
    world, django_assert_max_num_queries
):
    CountyRisk.objects.create(region_id="150203", level="high", effective_from=date(2020, 2, 10))
    CountyRisk.objects.create(region_id="150203", level="medium", effective_from=date(2020, 2, 20))
    CountyRisk.objects.create(region_id="150102", level="high", effective_from=date(2020, 2, 1))
    c = logged_in(world.bob)
    with django_assert_max_num_queries(11):  # 10, and the inbox's unread count
        page = c.get("/dispatch/risk/?date=2020-02-15")
    assert page.status_code == 200
    rows = {r["code"]: r for r in page.context["rows"]}
    baotou = set(
        Region.objects.filter(level=Level.COUNTY, active=True, code__startswith="1502").values_list(
            "code", flat=True
        )
    )
    assert set(rows) == baotou and "150102" not in rows
    assert rows["150203"]["level"] == "high"
    assert rows["150203"]["since"] == date(2020, 2, 10)
    assert rows["150203"]["next"][:2] == (date(2020, 2, 20), "medium")
    assert rows["150204"]["level"] == "low" and rows["150204"]["since"] is None
    counts = {value: n for value, _, n in page.context["counts"]}
    assert counts == {"low": len(baotou) - 1, "medium": 0, "high": 1}
    assert 'id="county-150203"' in page.content.decode()

    # The query count does not grow with the counties shown (the whole province).
    province = logged_in(world.alice)
    # and for a province's official, whether the navigation offers the dispatch settings
    with django_assert_max_num_queries(12):
        assert province.get("/dispatch/risk/").status_code == 200


@pytest.mark.parametrize("who", ["dave", "erin", "frank", "grace"])
def test_the_page_is_404_for_anyone_who_cannot_set_levels(world, who):
    assert logged_in(getattr(world, who)).get("/dispatch/risk/").status_code == 404


@pytest.mark.parametrize("region, status", [("150100", 404), ("150200", 200), ("15x", 404)])
def test_the_page_is_404_outside_the_officials_area(world, region, status):
    assert logged_in(world.bob).get(f"/dispatch/risk/?region={region}").status_code == status


def test_an_administrator_picks_a_province(world):
    CountyRisk.objects.create(region_id="150102", level="high", effective_from=date(2020, 2, 1))
    page = logged_in(world.root).get("/dispatch/risk/")
    assert page.status_code == 200
    assert [r["code"] for r in page.context["rows"]] == ["150102"]  # graded counties only
    assert "150000" in [p.code for p in page.context["provinces"]]
    province = logged_in(world.root).get("/dispatch/risk/?region=150000")
    assert len(province.context["rows"]) > 50


def test_setting_a_level_on_the_page(world):
    c = logged_in(world.bob)
    done = c.post(
        "/dispatch/risk/set/",
        {"region": "150203", "level": "high", "effective_from": "2020-02-10", "back": "150200"},
    )
    assert done.status_code == 302 and done.url == "/dispatch/risk/?region=150200"
    row = CountyRisk.objects.get()
    assert (row.region_id, row.level, row.effective_from, row.source, row.set_by) == (
        "150203",
        "high",
        date(2020, 2, 10),
        "web",
        world.bob,
    )
    assert AuditEvent.objects.filter(action="set_risk", actor=world.bob).count() == 1

    # Outside Baotou: 404 and nothing written; a bad level is refused with a message.
    outside = c.post(
        "/dispatch/risk/set/", {"region": "150102", "level": "high", "effective_from": "2020-02-10"}
    )
    assert outside.status_code == 404
    bad = c.post(
        "/dispatch/risk/set/",
        {"region": "150204", "level": "extreme", "effective_from": "2020-02-10"},
        follow=True,
    )
    assert bad.status_code == 200
    assert "The level was not set" in bad.content.decode()
    assert list(CountyRisk.objects.values_list("region_id", flat=True)) == ["150203"]
    assert logged_in(world.dave).post("/dispatch/risk/set/", {}).status_code == 404


def test_importing_on_the_page_checks_first_then_imports_the_checked_rows(world):
    c = logged_in(world.bob)
    checked = c.post(
        "/dispatch/risk/import/",
        {"file": SimpleUploadedFile("levels.csv", csv_bytes()), "mode": "check"},
    )
    assert checked.status_code == 200
    html = checked.content.decode()
    assert risk.OUT_OF_SCOPE in html and risk.BAD_LEVEL in html and 'id="confirm-import"' in html
    assert CountyRisk.objects.count() == 0
    token = checked.context["token"]

    # Someone else cannot replay the check, and a tampered one is refused.
    assert (
        logged_in(world.carol).post("/dispatch/risk/import/confirm/", {"token": token}).status_code
        == 404
    )
    assert c.post("/dispatch/risk/import/confirm/", {"token": token + "x"}).status_code == 400
    assert CountyRisk.objects.count() == 0

    imported = c.post("/dispatch/risk/import/confirm/", {"token": token})
    assert imported.status_code == 200
    assert imported.context["result"].written == 2
    assert sorted(CountyRisk.objects.values_list("region_id", "level")) == [
        ("150203", "high"),
        ("150204", "medium"),
    ]


def test_importing_on_the_page_straight_away_and_bad_files(world):
    c = logged_in(world.bob)
    straight = c.post(
        "/dispatch/risk/import/",
        {"file": SimpleUploadedFile("levels.csv", csv_bytes()), "mode": "import"},
    )
    assert straight.status_code == 200 and straight.context["result"].written == 2
    assert not straight.context["token"]
    bad = c.post(
        "/dispatch/risk/import/",
        {"file": SimpleUploadedFile("levels.pdf", b"%PDF-1.4"), "mode": "check"},
    )
    assert bad.status_code == 400 and 'id="import-error"' in bad.content.decode()
    assert c.post("/dispatch/risk/import/", {"mode": "check"}).status_code == 400
    assert CountyRisk.objects.count() == 2


# --- the API -------------------------------------------------------------------------------------


def test_api_lists_the_levels_in_effect(world):
    CountyRisk.objects.create(region_id="150203", level="high", effective_from=date(2020, 2, 10))
    CountyRisk.objects.create(region_id="150203", level="medium", effective_from=date(2020, 2, 20))
    CountyRisk.objects.create(region_id="150102", level="high", effective_from=date(2020, 2, 1))
    c = api(world.bob)
    got = c.get("/api/v1/risk-levels?date=2020-02-15")
    assert got.status_code == 200
    body = got.json()
    assert body["region"] == "150200" and body["date"] == "2020-02-15"
    items = {i["region"]: i for i in body["items"]}
    assert all(code.startswith("1502") for code in items)
    assert items["150203"] == {
        "region": "150203",
        "name": "昆都仑区",
        "level": "high",
        "effective_from": "2020-02-10",
    }
    assert items["150204"]["level"] == "low" and items["150204"]["effective_from"] is None
    later = c.get("/api/v1/risk-levels?region=150203&date=2020-02-21").json()
    assert [(i["region"], i["level"]) for i in later["items"]] == [("150203", "medium")]

    assert c.get("/api/v1/risk-levels?region=150100").status_code == 404
    assert c.get("/api/v1/risk-levels?date=2020-02-30").status_code == 422
    assert api(world.dave).get("/api/v1/risk-levels").status_code == 404
    assert Client().get("/api/v1/risk-levels").status_code == 401


def test_api_sets_a_level(world):
    c = api(world.bob)
    body = {"region": "150203", "level": "high", "effective_from": "2020-02-10"}
    created = c.post("/api/v1/risk-levels", body, content_type="application/json")
    assert created.status_code == 201
    assert created.json() == {
        "region": "150203",
        "name": "昆都仑区",
        "level": "high",
        "effective_from": "2020-02-10",
        "source": "api",
    }
    replaced = c.post(
        "/api/v1/risk-levels", {**body, "level": "中风险"}, content_type="application/json"
    )
    assert replaced.status_code == 200 and replaced.json()["level"] == "medium"
    assert list(CountyRisk.objects.values_list("region_id", "level")) == [("150203", "medium")]


@pytest.mark.parametrize(
    "who, body, status, field",
    [
        ("bob", {"region": "150102"}, 404, None),  # Hohhot: outside Baotou
        ("bob", {"region": "159999"}, 404, None),  # no such region
        ("grace", {}, 404, None),  # a handler sees Baotou but sets nothing
        ("dave", {}, 404, None),
        ("bob", {"region": "150200"}, 422, "region"),  # a city
        ("bob", {"level": "extreme"}, 422, "level"),
        ("bob", {"effective_from": "2020-02-30"}, 422, "effective_from"),
        ("bob", {"effective_from": "1999-12-31"}, 422, "effective_from"),
    ],
)
def test_api_refuses_what_it_must(world, who, body, status, field):
    payload = {"region": "150203", "level": "high", "effective_from": "2020-02-10", **body}
    answer = api(getattr(world, who)).post(
        "/api/v1/risk-levels", payload, content_type="application/json"
    )
    assert answer.status_code == status
    if field:
        assert answer.json()["detail"][0]["loc"] == ["body", field]
    assert CountyRisk.objects.count() == 0


def test_a_retired_county_code_is_refused(world):
    Region.objects.filter(code="150206").update(active=False)
    rows = risk.check(
        world.bob, [risk.Row(line=2, region="150206", level_text="高", date_text="2020-02-10")]
    )
    assert rows[0].errors == {"region": risk.RETIRED}
    answer = api(world.bob).post(
        "/api/v1/risk-levels",
        {"region": "150206", "level": "high", "effective_from": "2020-02-10"},
        content_type="application/json",
    )
    assert answer.status_code == 422 and answer.json()["detail"][0]["msg"] == risk.RETIRED
    assert CountyRisk.objects.count() == 0
