"""Both catalogues exist, and the Chinese one translates every message the code marks."""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation

ROOT = Path(settings.BASE_DIR)
IGNORED_DIRS = {"locale", "venv", "tests", "staticfiles", "media", "artifacts", "node_modules", "scripts"}


def _entries(po_file):
    """(msgid, msgstr, fuzzy) of every entry but the header, read with the stdlib only."""
    entries, current, field, fuzzy = [], None, None, False

    def finish():
        if current and current.get("msgid"):
            entries.append((current["msgid"], current.get("msgstr", ""), current["fuzzy"]))

    for line in Path(po_file).read_text(encoding="utf-8").splitlines():
        if line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
        elif line.startswith("msgid "):
            finish()
            current, field = {"fuzzy": fuzzy, "msgid": _unquote(line[6:])}, "msgid"
            fuzzy = False
        elif line.startswith("msgid_plural "):
            field = "msgid_plural"
        elif line.startswith("msgstr") and current is not None:
            field = "msgstr"
            current["msgstr"] = current.get("msgstr", "") + _unquote(line.split(" ", 1)[1])
        elif line.startswith('"') and current is not None and field in ("msgid", "msgstr"):
            current[field] = current.get(field, "") + _unquote(line)
    finish()
    return entries


def _unquote(text):
    return text.strip()[1:-1].encode("utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")


@pytest.fixture(scope="module")
def fresh_catalogue(tmp_path_factory):
    """The messages the code marks today, extracted into a scratch folder."""
    # makemessages writes beside the nearest `locale` folder, so it runs in a scratch folder
    # that links to the sources but not to the committed catalogues.
    scratch = tmp_path_factory.mktemp("messages")
    for entry in ROOT.iterdir():
        if entry.is_dir() and entry.name not in IGNORED_DIRS and not entry.name.startswith("."):
            (scratch / entry.name).symlink_to(entry)
    (scratch / "locale").mkdir()
    cwd = os.getcwd()
    os.chdir(scratch)
    try:
        with translation.override(None), pytest.MonkeyPatch.context() as patch:
            patch.setattr(settings, "LOCALE_PATHS", [str(scratch / "locale")])
            call_command("makemessages", locale=["zh_Hans"], symlinks=True, verbosity=0)
    finally:
        os.chdir(cwd)
    return {msgid for msgid, _msgstr, _fuzzy in _entries(scratch / "locale/zh_Hans/LC_MESSAGES/django.po")}


def test_both_catalogues_are_there():
    assert (ROOT / "locale/zh_Hans/LC_MESSAGES/django.po").is_file()
    assert (ROOT / "locale/en/LC_MESSAGES/django.po").is_file()


def test_every_marked_message_has_a_chinese_translation(fresh_catalogue):
    committed = {
        msgid: (msgstr, fuzzy)
        for msgid, msgstr, fuzzy in _entries(ROOT / "locale/zh_Hans/LC_MESSAGES/django.po")
    }
    missing = sorted(msgid for msgid in fresh_catalogue if msgid not in committed or not committed[msgid][0])
    fuzzy = sorted(msgid for msgid in fresh_catalogue if committed.get(msgid, ("", False))[1])
    assert missing == [], f"untranslated in locale/zh_Hans: {missing}"
    assert fuzzy == [], f"fuzzy in locale/zh_Hans: {fuzzy}"


def test_the_interface_speaks_chinese_by_default_and_english_on_request():
    from ledger.models import Item

    with translation.override("zh-hans"):
        assert str(Item.Status.CLOSED.label) == "已销号"
    with translation.override("en"):
        assert str(Item.Status.CLOSED.label) == "Closed"
