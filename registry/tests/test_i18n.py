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


# --- the catalogue holds every string the code marks -------------------------------------------

# The names `makemessages` extracts (its own keywords and xgettext's defaults for Python). A
# translation function imported under any other name (`gettext_lazy as _l`) still translates at
# run time, but its strings never reach the catalogue: the page shows them in English.
EXTRACTED = {
    "_": "gettext",
    "gettext": "gettext",
    "gettext_lazy": "gettext",
    "gettext_noop": "gettext",
    "ngettext": "ngettext",
    "ngettext_lazy": "ngettext",
    "pgettext": "pgettext",
    "pgettext_lazy": "pgettext",
    "npgettext": "npgettext",
    "npgettext_lazy": "npgettext",
}
SKIPPED_DIRS = {".venv", "node_modules", "var", ".git", "tests", "migrations", "__pycache__"}
TEMPLATE_CALL = re.compile(
    r"\b(n?p?gettext)\(((?:\s*u?(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")\s*,?)+)"
)
LITERAL = re.compile(r"u?('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")")


def sources(suffix: str) -> list[Path]:
    found = []
    for path in Path(settings.BASE_DIR).rglob(f"*{suffix}"):
        parts = path.relative_to(settings.BASE_DIR).parts
        if not SKIPPED_DIRS & set(parts[:-1]):
            found.append(path)
    return sorted(found)


def _marked(kind: str, args: list[str]) -> tuple[str | None, str] | None:
    """(context, msgid) of a call to a function of `kind` with these literal arguments."""
    if kind.startswith("np") or kind.startswith("p"):
        return (args[0], args[1]) if len(args) >= 2 else None
    return (None, args[0]) if args else None


def python_marks(path: Path) -> tuple[list[tuple[str | None, str]], list[str]]:
    """The (context, msgid) pairs a module marks, and its translation functions bound to names
    makemessages does not extract ("line: name")."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    kinds: dict[str, str] = {}  # local name -> function kind
    hidden: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
            for alias in node.names:
                if alias.name in EXTRACTED:
                    local = alias.asname or alias.name
                    kinds[local] = EXTRACTED[alias.name]
                    if local not in EXTRACTED:
                        hidden.append(f"{node.lineno}: {alias.name} as {local}")
    marks = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if isinstance(node.func, ast.Attribute) and node.func.attr in EXTRACTED:
            name = node.func.attr
        kind = kinds.get(name or "") or (EXTRACTED.get(name or "") if name != "_" else None)
        if kind is None:
            continue
        args = []  # the leading literal arguments: `_(name)` marks nothing
        for arg in node.args:
            if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                break
            args.append(arg.value)
        mark = _marked(kind, args)
        if mark is not None:
            marks.append(mark)
    return marks, hidden


def template_marks(path: Path) -> list[tuple[str | None, str]]:
    """The (context, msgid) pairs a template marks, as makemessages reads them (templatize)."""
    import ast

    from django.utils.translation.template import templatize

    marks = []
    for kind, literals in TEMPLATE_CALL.findall(templatize(path.read_text(encoding="utf-8"))):
        args = [ast.literal_eval(text) for text in LITERAL.findall(literals)]
        mark = _marked(kind, args)
        if mark is not None:
            marks.append(mark)
    return marks


def test_translation_functions_go_by_names_makemessages_extracts():
    hidden = {}
    for path in sources(".py"):
        _, names = python_marks(path)
        if names:
            hidden[str(path.relative_to(settings.BASE_DIR))] = names
    assert hidden == {}


def test_every_string_the_code_and_templates_mark_is_in_the_catalogue():
    catalogue = {
        (m.get("msgctxt", [None])[0], m["msgid"][0]) for m in entries(CATALOGUE / "django.po")[1:]
    }
    marked: dict[tuple[str | None, str], str] = {}
    for path in sources(".py"):
        for mark in python_marks(path)[0]:
            marked.setdefault(mark, str(path.relative_to(settings.BASE_DIR)))
    for path in sources(".html"):
        for mark in template_marks(path):
            marked.setdefault(mark, str(path.relative_to(settings.BASE_DIR)))
    assert len(marked) > 300  # the scan found the strings at all
    missing = {f"{where}: {mark[1]!r}" for mark, where in marked.items() if mark not in catalogue}
    assert sorted(missing) == []
