"""LanguageService, catalogs and locales: plural rules, fallbacks, persistence, malformed catalogs."""

import json
from pathlib import Path

import pytest

from reelkit.builtin_plugins.language import catalogs as cat
from reelkit.builtin_plugins.language import locales
from reelkit.builtin_plugins.language.service import LanguageService
from reelkit.sdk import InputInvalid

SHIPPED = ("de", "en", "fr", "ja", "ru")


def service(tmp_path: Path, *extra: dict, default: str = "en", **kw) -> LanguageService:
    svc = LanguageService(
        config_dir=tmp_path / "config", default_locale=default, collect=lambda: [cat.load_packaged(), *extra], **kw
    )
    svc.reload()
    return svc


def test_shipped_catalogs_have_the_same_keys_and_valid_entries():
    shipped = cat.load_packaged()
    assert sorted(shipped) == list(SHIPPED)
    assert cat.merge([shipped]) == shipped  # nothing dropped as malformed
    for loc in SHIPPED:
        assert set(shipped[loc]) == set(shipped["en"]), loc


def test_every_shipped_plural_entry_covers_its_languages_categories():
    from babel import Locale

    for loc, entries in cat.load_packaged().items():
        needed = set(Locale.parse(loc).plural_form.tags) | {"other"}
        for key, entry in entries.items():
            if isinstance(entry, dict):
                assert needed <= set(entry), (loc, key, needed - set(entry))


def test_normalize_and_unknown_locales():
    assert locales.normalize("pt-br") == "pt_BR"
    assert locales.normalize("zh_Hant_TW") == "zh_Hant_TW"
    assert locales.normalize("zh_TW") == "zh_Hant_TW"  # Babel's likely subtags
    assert locales.normalize(" EN ") == "en"
    assert locales.normalize("es_419") == "es_419"
    for bad in ("xx_YY_ZZ_1", "", "klingon", "en-"):
        with pytest.raises(InputInvalid) as e:
            locales.normalize(bad)
        assert e.value.code == "language.locale_unknown"


def test_fallback_chain():
    assert locales.fallback_chain("pt_BR", "en") == ["pt_BR", "pt", "en"]
    assert locales.fallback_chain("zh_Hant_TW", "de") == ["zh_Hant_TW", "zh_Hant", "zh", "de", "en"]


@pytest.mark.parametrize(
    ("locale", "count", "text"),
    [
        ("en", 0, "No files"),
        ("en", 1, "1 file"),
        ("en", 2, "2 files"),
        ("en", 1234, "1,234 files"),
        ("de", 1, "1 Datei"),
        ("de", 1234, "1.234 Dateien"),
        ("fr", 1, "1 fichier"),
        ("fr", 2, "2 fichiers"),
        ("fr", 1_000_000, "1 000 000 de fichiers"),
        ("ru", 1, "1 файл"),
        ("ru", 3, "3 файла"),
        ("ru", 5, "5 файлов"),
        ("ru", 21, "21 файл"),
        ("ru", 1.5, "1,5 файла"),
        ("ja", 1, "1 個のファイル"),
        ("ja", 7, "7 個のファイル"),
    ],
)
def test_plural_forms(tmp_path, locale, count, text):
    t = service(tmp_path).translate("filesystem.files", {"count": count}, locale)
    assert (t.text.replace("\u202f", " ").replace("\xa0", " "), t.locale, t.found) == (text, locale, True)


def test_fallback_from_region_to_language_to_default_to_key(tmp_path):
    pt = {"pt": {"common.ok": "Certo"}, "pt_BR": {"common.cancel": "Cancelar (BR)"}}
    svc = service(tmp_path, pt)
    assert svc.translate("common.cancel", locale="pt_BR").text == "Cancelar (BR)"
    assert svc.translate("common.ok", locale="pt_BR").text == "Certo"
    t = svc.translate("common.retry", locale="pt_BR")
    assert (t.text, t.locale) == ("Try again", "en")
    t = svc.translate("no.such.key", locale="pt_BR")
    assert (t.text, t.locale, t.found) == ("no.such.key", None, False)


def test_default_locale_comes_before_english(tmp_path):
    svc = service(tmp_path, {"de": {"only.de": "Nur deutsch"}}, default="de")
    assert svc.translate("only.de", locale="ja").text == "Nur deutsch"
    assert svc.translate("common.cancel", locale="es").text == "Abbrechen"


def test_placeholders_are_plain_names_only(tmp_path):
    evil = {"en": {"x.evil": "{name.__class__} {0} {{literal}} {missing} {name}"}}
    t = service(tmp_path, evil).translate("x.evil", {"name": "Ann"})
    assert t.text == "{name.__class__} {0} {literal} {missing} Ann"


def test_count_must_be_a_number_for_plurals(tmp_path):
    svc = service(tmp_path)
    with pytest.raises(InputInvalid):
        svc.translate("filesystem.files", {"count": "many"})
    with pytest.raises(InputInvalid):
        svc.translate("filesystem.files", {"count": True})
    assert svc.translate("filesystem.files", {"count": "3"}).text == "3 files"
    assert svc.translate("filesystem.files").text == "{count} files"  # no count: the "other" form


def test_malformed_contributions_are_skipped_not_fatal(tmp_path):
    bad = [
        "not a dict",
        {"klingon": {"a": "b"}},
        {"de": ["not", "a", "dict"]},
        {"fr": {"ok.key": "bien", "bad.plural": {"lots": "x"}, "bad.type": 3}},
        {7: {"a": "b"}, None: {}},
    ]
    svc = service(tmp_path, *bad)
    assert svc.translate("ok.key", locale="fr").text == "bien"
    assert svc.translate("bad.plural", locale="fr").found is False
    assert svc.available() == list(SHIPPED)


def test_later_contributions_override_earlier_ones(tmp_path):
    svc = service(tmp_path, {"de": {"common.cancel": "Stopp"}})
    assert svc.translate("common.cancel", locale="de").text == "Stopp"


def test_set_locale_persists_atomically_and_notifies(tmp_path):
    seen = []
    svc = service(tmp_path, on_change=lambda prev, new: seen.append((prev, new)))
    assert svc.locale == "en"
    assert svc.set_locale("pt-br") == "pt_BR"
    state = tmp_path / "config" / "language.json"
    assert json.loads(state.read_text()) == {"locale": "pt_BR"}
    assert [p.name for p in state.parent.iterdir()] == ["language.json"]
    assert seen == [("en", "pt_BR")]
    svc.set_locale("pt_BR")
    assert seen == [("en", "pt_BR")]  # no change, no event
    assert service(tmp_path).locale == "pt_BR"  # a new service (a restart) reads it back
    assert svc.translate("common.cancel").text == "Cancel"  # pt_BR has no catalog: falls back to en


def test_set_unknown_locale_changes_nothing(tmp_path):
    svc = service(tmp_path)
    svc.set_locale("de")
    with pytest.raises(InputInvalid):
        svc.set_locale("xx-unknown")
    assert svc.locale == "de"
    assert json.loads((tmp_path / "config" / "language.json").read_text()) == {"locale": "de"}


def test_corrupt_state_file_falls_back_to_the_default(tmp_path):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "language.json").write_text("{not json")
    assert service(tmp_path, default="fr").locale == "fr"
    (tmp_path / "config" / "language.json").write_text('{"locale": "nope-nope"}')
    assert service(tmp_path).locale == "en"


def test_native_names():
    assert locales.native_name("de") == "Deutsch"
    assert locales.native_name("ja") == "日本語"
    assert locales.native_name("ru") == "русский"
    assert locales.english_name("pt_BR") == "Portuguese (Brazil)"
