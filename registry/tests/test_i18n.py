"""The Simplified Chinese catalogue: the default UI, the English switch, every msgid translated."""

import gettext
import re
from pathlib import Path

from django.conf import settings
from django.test import Client

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\{.*?\}\}")


def entries(po: Path) -> list[dict[str, list[str]]]:
    """The .po's entries as {keyword: [strings]}, with flags under "#,"; the header included."""
    result: list[dict[str, list[str]]] = []
    entry: dict[str, list[str]] = {}
    key = ""
    for line in [*po.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if entry:
                result.append(entry)
            entry, key = {}, ""
        elif line.startswith("#,"):
            entry.setdefault("#,", []).extend(f.strip() for f in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry[key][-1] += _unquote(line)
        else:
            key, _, text = line.partition(" ")
            entry.setdefault(key, []).append(_unquote(text))
    return result


def _unquote(text: str) -> str:
    assert text.startswith('"') and text.endswith('"'), text
    return text[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")


def client_for(user, language: str | None = None) -> Client:
    c = Client()
    c.force_login(user)
    if language:
        c.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return c


def test_the_list_page_is_chinese_by_default(world):
    page = client_for(world.bob).get("/enterprises/").content.decode()
    assert '<html lang="zh-hans">' in page
    assert "<h1>企业名录</h1>" in page and "<summary>筛选</summary>" in page
    assert "导出Excel" in page and "共 2 家企业" in page


def test_the_english_switch(world):
    c = client_for(world.bob)
    r = c.post("/i18n/setlang/", {"language": "en", "next": "/enterprises/"})
    assert r.status_code == 302 and r["Location"] == "/enterprises/"
    page = c.get("/enterprises/").content.decode()
    assert '<html lang="en">' in page
    assert "<h1>Enterprises</h1>" in page and "<summary>Filter</summary>" in page
    assert "企业名录" not in page and "2 enterprises" in page
    # the cookie alone does the same
    page = client_for(world.bob, "en").get(f"/enterprises/{world.steel.uscc}/").content.decode()
    assert "Normal headcount" in page and "正常用工人数" not in page


def test_every_msgid_has_a_chinese_msgstr_with_the_same_placeholders():
    po = entries(CATALOGUE / "django.po")
    header, messages = po[0], po[1:]
    assert header["msgid"] == [""] and "fuzzy" not in header.get("#,", [])
    assert "Language: zh_Hans\n" in header["msgstr"][0]
    assert "Plural-Forms: nplurals=1; plural=0;\n" in header["msgstr"][0]
    assert len(messages) > 100
    for m in messages:
        msgid = m["msgid"][0]
        assert "fuzzy" not in m.get("#,", []), msgid
        strings = m.get("msgstr", []) or [m[k][0] for k in m if k.startswith("msgstr[")]
        assert len(strings) == 1, f"{msgid!r}: one form (nplurals=1)"
        assert strings[0].strip(), f"{msgid!r} is untranslated"
        assert sorted(PLACEHOLDER.findall(strings[0])) == sorted(PLACEHOLDER.findall(msgid)), msgid


def test_the_compiled_catalogue_matches_the_po():
    """The committed .mo is what the .po says (a fresh machine needs no gettext to run)."""
    with (CATALOGUE / "django.mo").open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    for m in entries(CATALOGUE / "django.po")[1:]:
        msgid = m["msgid"][0]
        if "msgid_plural" in m:
            assert compiled.ngettext(msgid, m["msgid_plural"][0], 1) == m["msgstr[0]"][0]
        else:
            assert compiled.gettext(msgid) == m["msgstr"][0], msgid
