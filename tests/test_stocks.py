"""The film-stock catalog: config/film_stocks.toml is complete and unambiguous, lookups and user stocks work."""

from __future__ import annotations

import re
import unicodedata

import pytest

from filmflow.errors import ConfigError, NotFoundError
from filmflow.stockfamilies import choose_stocks
from filmflow.stocks import (
    PROCESSES,
    STOCK_FORMATS,
    STOCK_TYPES,
    Stock,
    StockCatalog,
    config_dir,
    ei_for_push,
    load_toml,
    normalize_alias,
    push_stops,
    stock_matches,
)

BUILTIN_FORMATS = {"135", "120", "220", "4x5", "8x10"}


@pytest.fixture(scope="module")
def catalog() -> StockCatalog:
    return StockCatalog.load()


@pytest.fixture(scope="module")
def raw() -> dict:
    return load_toml(config_dir() / "film_stocks.toml")["stocks"]


# --------------------------------------------------------------------------- the data


def test_at_least_150_stocks(catalog: StockCatalog, raw: dict) -> None:
    assert len(raw) >= 150
    assert len(catalog.all()) == len(raw)


def test_every_stock_has_every_field_with_a_valid_value(raw: dict) -> None:
    required = {"manufacturer", "name", "iso", "process", "type", "formats", "edge_print", "aliases"}
    for key, f in raw.items():
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", key), key
        assert required <= set(f), (key, required - set(f))
        assert set(f) <= required | {"discontinued", "respooled", "family"}, key
        assert isinstance(f.get("family", "x"), str) and f.get("family", "x").strip(), key
        assert isinstance(f["name"], str) and f["name"].strip() == f["name"] and f["name"], key
        assert isinstance(f["manufacturer"], str) and f["manufacturer"], key
        assert isinstance(f["iso"], int) and not isinstance(f["iso"], bool) and f["iso"] > 0, key
        assert f["process"] in PROCESSES, key
        assert f["type"] in STOCK_TYPES, key
        assert f["formats"] and set(f["formats"]) <= BUILTIN_FORMATS, key
        assert isinstance(f["edge_print"], str) and f["edge_print"] == f["edge_print"].upper(), key
        assert isinstance(f["aliases"], list) and all(isinstance(a, str) and a for a in f["aliases"]), key
        assert f.get("discontinued", False) in (True, False) and f.get("respooled", False) in (True, False), key


def test_the_brief_s_stocks_are_there(catalog: StockCatalog) -> None:
    for name in ("Kodak Portra 160", "Kodak Portra 400", "Kodak Portra 800", "Kodak Ektar 100", "Kodak Gold 200",
                 "Kodak UltraMax 400", "Kodak ColorPlus 200", "Kodak ProImage 100", "Kodak Ektachrome E100",
                 "Kodak Tri-X 400", "Kodak T-Max 100", "Kodak T-Max 400", "Kodak T-Max P3200", "Eastman Double-X 5222",
                 "Kodak Vision3 50D", "Kodak Vision3 250D", "Kodak Vision3 200T", "Kodak Vision3 500T",
                 "Kodak Kodachrome 64", "Kodak Portra 160NC", "Kodak Portra 160VC", "Kodak BW400CN", "Kodak Plus-X 125",
                 "Fujicolor C200", "Fujifilm Superia X-TRA 400", "Fujifilm Pro 400H", "Fujifilm Pro 160NS",
                 "Fujifilm Velvia 50", "Fujifilm Velvia 100", "Fujifilm Provia 100F", "Fujifilm Astia 100F",
                 "Fujifilm Neopan 100 Acros II", "Fujifilm Natura 1600", "Fujicolor Industrial 100",
                 "Ilford HP5 Plus", "Ilford FP4 Plus", "Ilford Delta 3200", "Ilford Pan F Plus 50", "Ilford XP2 Super",
                 "Ilford SFX 200", "Kentmere Pan 100", "Kentmere Pan 400", "Harman Phoenix 200",
                 "Fomapan 100 Classic", "Foma Retropan 320 Soft", "Adox CHS 100 II", "Adox CMS 20 II", "Adox Scala 50",
                 "Rollei RPX 25", "Rollei Retro 80S", "Rollei Infrared 400", "Rollei Ortho 25 Plus", "Agfa Vista 200",
                 "AgfaPhoto APX 100", "AgfaPhoto CT Precisa 100", "CineStill 800T", "CineStill 50D", "CineStill 400D",
                 "CineStill BwXX", "Lomography Color Negative 400", "Lomography LomoChrome Purple",
                 "Lomography Berlin Kino 400", "ORWO Wolfen NC500", "ORWO UN54", "Ferrania P30", "Shanghai GP3 100",
                 "Lucky SHD 100", "Svema Foto 100", "Film Washi S", "Kosmo Foto Mono 100", "Street Candy ATM 400"):
        stock = catalog.find(name)
        assert stock is not None and stock.name == name, name


def test_facts_of_some_stocks(catalog: StockCatalog) -> None:
    portra = catalog.get("Portra 400")
    assert (portra.manufacturer, portra.iso, portra.process, portra.type, portra.edge_print) == (
        "Kodak", 400, "C-41", "color negative", "KODAK PORTRA 400")
    assert "120" in portra.formats and not portra.discontinued
    assert catalog.get("Vision3 500T").process == "ECN-2" and catalog.get("Vision3 500T").respooled
    cs = catalog.get("CineStill 800T")
    assert cs.process == "C-41" and cs.respooled and cs.iso == 800
    assert catalog.get("Velvia 50").process == "E-6" and catalog.get("Velvia 50").type == "color slide"
    assert catalog.get("XP2").process == "C-41" and catalog.get("XP2").type == "b&w negative"
    assert catalog.get("Pro 400H").discontinued


def test_no_normalised_alias_names_two_stocks(raw: dict) -> None:
    owner: dict[str, str] = {}
    clashes = []
    for key, f in raw.items():
        for text in {key, f["name"], *f["aliases"]}:
            folded = normalize_alias(text)
            assert folded, (key, text)
            if owner.setdefault(folded, key) != key:
                clashes.append((text, owner[folded], key))
    assert not clashes


def test_aliases_are_not_bare_numbers_or_words_of_everyday_text(raw: dict) -> None:
    everyday = {"gold", "delta", "phoenix", "metropolis", "kentmere", "natura", "precisa", "half", "color", "plus",
                "pro", "film", "kodak", "fuji", "fujifilm", "ilford", "foto", "ultra", "blackbird", "redbird", "tx"}
    for key, f in raw.items():
        for alias in f["aliases"]:
            folded = normalize_alias(alias)
            assert any(ch.isalpha() for ch in folded), (key, alias)
            assert folded not in everyday, (key, alias)
            assert len(folded) >= 2, (key, alias)


def test_every_alias_is_found_in_text_as_itself(catalog: StockCatalog, raw: dict) -> None:
    """No alias contains punctuation that would stop it matching inside a folder name."""
    for key, f in raw.items():
        for alias in (f["name"], *f["aliases"]):
            found = catalog.find_in_text(f"2023-05-01 {alias} Seoul")
            assert found is not None and found[0].key == key, (key, alias)
            assert (found[1], found[2]) == (11, 11 + len(alias)), (key, alias)


# --------------------------------------------------------------------------- lookups


@pytest.mark.parametrize(("text", "key"), [
    ("Portra400", "kodak-portra-400"), ("portra_400", "kodak-portra-400"), ("Portra 400", "kodak-portra-400"),
    ("PORTRA-400", "kodak-portra-400"), ("P400", "kodak-portra-400"), ("kodak-portra-400", "kodak-portra-400"),
    ("HP5+", "ilford-hp5-plus"), ("HP5 Plus", "ilford-hp5-plus"), ("HP5", "ilford-hp5-plus"),
    ("hp5 plus", "ilford-hp5-plus"), ("Tri-X", "kodak-tri-x-400"), ("TriX400", "kodak-tri-x-400"),
    ("TX400", "kodak-tri-x-400"), ("Ektar100", "kodak-ektar-100"), ("CineStill 800T", "cinestill-800t"),
    ("CS800T", "cinestill-800t"), ("Gold200", "kodak-gold-200"), ("C200", "fujifilm-c200"),
    ("Superia400", "fujifilm-superia-xtra-400"), ("Acros", "fujifilm-acros-100-ii"),
    ("포트라400", "kodak-portra-400"), ("포트라 400", "kodak-portra-400"), ("포트라", "kodak-portra-400"),
    ("엑타100", "kodak-ektar-100"), ("엑타", "kodak-ektar-100"), ("골드200", "kodak-gold-200"), ("골드", "kodak-gold-200"),
    ("울트라맥스", "kodak-ultramax-400"), ("울맥", "kodak-ultramax-400"), ("컬러플러스", "kodak-colorplus-200"),
    ("트라이엑스", "kodak-tri-x-400"), ("트엑", "kodak-tri-x-400"), ("후지 C200", "fujifilm-c200"),
    ("후지C200", "fujifilm-c200"), ("후지 400", "fujifilm-400"), ("벨비아", "fujifilm-velvia-50"),
    ("프로비아", "fujifilm-provia-100f"), ("아크로스", "fujifilm-acros-100-ii"), ("일포드 HP5", "ilford-hp5-plus"),
    ("델타", "ilford-delta-400"), ("시네스틸 800T", "cinestill-800t"), ("티맥스", "kodak-t-max-400"),
    ("ポートラ400", "kodak-portra-400"), ("ポートラ", "kodak-portra-400"), ("エクター", "kodak-ektar-100"),
    ("ゴールド", "kodak-gold-200"), ("トライX", "kodak-tri-x-400"), ("ベルビア", "fujifilm-velvia-50"),
    ("プロビア", "fujifilm-provia-100f"), ("アクロス", "fujifilm-acros-100-ii"), ("ネオパン", "fujifilm-neopan-400"),
    ("シネスティル", "cinestill-800t"), ("業務用100", "fujifilm-industrial-100"),
    ("ＰＯＲＴＲＡ４００", "kodak-portra-400"), ("ﾎﾟｰﾄﾗ400", "kodak-portra-400"),
])
def test_find_by_alias(catalog: StockCatalog, text: str, key: str) -> None:
    stock = catalog.find(text)
    assert stock is not None and stock.key == key
    assert catalog.get(text).key == key


def test_normalize_alias() -> None:
    assert normalize_alias("Portra 400") == normalize_alias("portra_400") == normalize_alias("PORTRA-400") == "portra400"
    assert normalize_alias("HP5+") == normalize_alias("HP5 Plus") == "hp5plus"
    assert normalize_alias("6×7") == "6x7"
    nfc = "포트라 400"
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfd != nfc and normalize_alias(nfd) == normalize_alias(nfc) == "포트라400"
    assert normalize_alias("Fantôme") == normalize_alias(unicodedata.normalize("NFD", "Fantôme"))


def test_find_unknown_is_none_and_get_raises_naming_close_matches(catalog: StockCatalog) -> None:
    assert catalog.find("Portra 4000") is None
    with pytest.raises(NotFoundError) as e:
        catalog.get("Portra 4000")
    msg = str(e.value)
    assert msg.startswith("unknown film stock 'Portra 4000'; did you mean Kodak Portra 400")
    assert "`filmflow stocks`" in msg
    with pytest.raises(NotFoundError, match="unknown film stock 'zzqqxx'"):
        catalog.get("zzqqxx")


def test_closest(catalog: StockCatalog) -> None:
    assert catalog.closest("Portra 4000")[0].key == "kodak-portra-400"
    assert catalog.closest("Ektarr 100")[0].key == "kodak-ektar-100"
    assert len(catalog.closest("Portra", n=2)) <= 2
    assert catalog.closest("") == []


def test_search(catalog: StockCatalog) -> None:
    names = [s.name for s in catalog.search("portra")]
    assert names[0] == "Kodak Portra 400"  # the exact alias first
    assert {"Kodak Portra 160", "Kodak Portra 800", "Kodak Portra 160NC"} <= set(names)
    assert all(s.manufacturer == "Ilford" or "ilford" in normalize_alias(s.name) or
               any("ilford" in normalize_alias(a) for a in s.aliases) for s in catalog.search("ILFORD"))
    assert [s.key for s in catalog.search("트라이")] == ["kodak-tri-x-400"]
    assert catalog.search("") == catalog.all()
    assert catalog.search("no such film at all") == []


def test_find_in_text(catalog: StockCatalog) -> None:
    text = "000123_Portra400_35mm"
    stock, s, e = catalog.find_in_text(text)
    assert stock.key == "kodak-portra-400" and text[s:e] == "Portra400"
    stock, s, e = catalog.find_in_text("포트라400 서울 산책")
    assert stock.key == "kodak-portra-400" and (s, e) == (0, 6)
    stock, s, e = catalog.find_in_text("#42 kodak gold 200 beach")
    assert stock.key == "kodak-gold-200" and (s, e) == (4, 18)  # the longest alias wins
    stock, s, e = catalog.find_in_text("Gold200")
    assert stock.key == "kodak-gold-200" and (s, e) == (0, 7)
    assert catalog.find_in_text("Golden Gate") is None
    assert catalog.find_in_text("ゴールドラッシュ") is None
    assert catalog.find_in_text("") is None
    stock, s, e = catalog.find_in_text("Portra 400 NC trip")
    assert stock.key == "kodak-portra-400nc"


def test_find_in_text_spans_refer_to_the_original_nfd_text(catalog: StockCatalog) -> None:
    text = unicodedata.normalize("NFD", "서울 포트라400 산책")
    stock, s, e = catalog.find_in_text(text)
    assert stock.key == "kodak-portra-400"
    assert unicodedata.normalize("NFC", text[s:e]) == "포트라400"
    assert unicodedata.normalize("NFC", text[:s] + text[e:]) == "서울  산책"


def test_stock_matches(catalog: StockCatalog) -> None:
    p400, nc = catalog.get("Portra 400"), catalog.get("Portra 400NC")
    assert stock_matches(p400, "portra400") and stock_matches(p400, "포트라") and stock_matches(p400, "P400")
    assert not stock_matches(nc, "portra400")
    assert stock_matches(nc, "portra") and stock_matches(nc, "kodak")  # whole words of the name
    assert not stock_matches(p400, "port") and not stock_matches(p400, "")
    assert {s.key for s in catalog.matching("kodak portra")} >= {"kodak-portra-160", "kodak-portra-400", "kodak-portra-800"}
    assert all(s.manufacturer == "Ilford" for s in catalog.matching("ilford"))


def test_push_and_ei_arithmetic() -> None:
    assert push_stops(800, 400) == 1.0
    assert push_stops(1600, 400) == 2.0
    assert push_stops(200, 400) == -1.0
    assert push_stops(3200, 400) == 3.0
    assert push_stops(400, 160) == 1.33
    assert push_stops(400, 400) == 0.0
    assert ei_for_push(160, 1) == 320
    assert ei_for_push(400, -1) == 200
    assert ei_for_push(400, 2) == 1600
    assert ei_for_push(100, 1 / 3) == 125


# --------------------------------------------------------------------------- user stocks


def test_user_stock_is_added_with_defaults(catalog: StockCatalog) -> None:
    cat = StockCatalog.load({"my-bulk-xx": {"name": "Double-X bulk roll", "iso": 250, "process": "b&w",
                                            "aliases": ["my xx", "더블엑스"]}})
    s = cat.get("my xx")
    assert s == Stock(key="my-bulk-xx", manufacturer="Double-X", name="Double-X bulk roll", iso=250, process="B&W",
                      type="b&w negative", formats=("135",), edge_print="DOUBLE-X BULK ROLL",
                      aliases=("my xx", "더블엑스"))
    assert cat.find("더블엑스").key == "my-bulk-xx"  # a user alias takes over a built-in one
    assert cat.find("Double-X").key == "kodak-double-x-5222"
    assert len(cat.all()) == len(catalog.all()) + 1
    found = cat.find_in_text("2023-05-01 my xx Seoul")
    assert found is not None and found[0].key == "my-bulk-xx"


def test_user_override_of_a_builtin_key() -> None:
    cat = StockCatalog.load({"kodak-portra-400": {"iso": 320, "aliases": ["my portra"], "formats": ["120"]}})
    s = cat.get("my portra")
    assert s.key == "kodak-portra-400" and s.iso == 320 and s.formats == ("120",)
    assert s.name == "Kodak Portra 400" and s.process == "C-41"
    assert cat.get("포트라400") is s  # built-in aliases are kept


@pytest.mark.parametrize(("fields", "words"), [
    ({"iso": 100, "process": "C-41"}, "has no 'name'"),
    ({"name": "X", "process": "C-41"}, "has no 'iso'"),
    ({"name": "X", "iso": 100}, "has no 'process'"),
    ({"name": "X", "iso": "fast", "process": "C-41"}, "iso = 'fast'"),
    ({"name": "X", "iso": 0, "process": "C-41"}, "iso = 0"),
    ({"name": "X", "iso": 100, "process": "K-14"}, "process = 'K-14'"),
    ({"name": "X", "iso": 100, "process": "C-41", "type": "instant"}, "type = 'instant'"),
    ({"name": "X", "iso": 100, "process": "C-41", "formats": ["70mm"]}, "formats"),
    ({"name": "X", "iso": 100, "process": "C-41", "aliases": [3]}, "aliases"),
    ({"name": "X", "iso": 100, "process": "C-41", "discontinued": "yes"}, "discontinued"),
])
def test_invalid_user_stock_raises_config_error_naming_the_key(fields: dict, words: str) -> None:
    with pytest.raises(ConfigError) as e:
        StockCatalog.load({"my-film": fields})
    assert "'my-film'" in str(e.value) and "filmflow.toml" in str(e.value) and words in str(e.value)


def test_invalid_override_of_a_builtin_raises_naming_the_key() -> None:
    with pytest.raises(ConfigError, match="'kodak-gold-200'"):
        StockCatalog.load({"kodak-gold-200": {"iso": -5}})
    with pytest.raises(ConfigError, match="'kodak-gold-200'"):
        StockCatalog.load({"kodak-gold-200": "Gold"})  # type: ignore[dict-item]


def test_stock_formats_for_users_include_rarer_sizes() -> None:
    assert set(STOCK_FORMATS) >= BUILTIN_FORMATS | {"127", "110", "5x7"}
    cat = StockCatalog.load({"my-127": {"name": "Bulk 127", "iso": 100, "process": "B&W", "formats": ["127"]}})
    assert cat.get("Bulk 127").formats == ("127",)


# --------------------------------------------------------------------------- stock: in queries (families, makers)

PORTRAS = {"kodak-portra-160", "kodak-portra-400", "kodak-portra-800", "kodak-portra-160nc", "kodak-portra-400vc"}


@pytest.mark.parametrize("text,kind,label,some,none", [
    ("portra400", "stock", "Kodak Portra 400", {"kodak-portra-400"}, {"kodak-portra-160"}),
    ("Portra 160", "stock", "Kodak Portra 160", {"kodak-portra-160"}, {"kodak-portra-400"}),
    ("portra", "family", "Portra", PORTRAS, {"kodak-ektar-100"}),
    ("PORTRA", "family", "Portra", PORTRAS, set()),
    ("포트라", "family", "Portra", PORTRAS, set()),
    ("ポートラ", "family", "Portra", PORTRAS, set()),
    ("hp5", "family", "HP5", {"ilford-hp5-plus"}, {"ilford-fp4-plus"}),
    ("hp5+", "stock", "Ilford HP5 Plus", {"ilford-hp5-plus"}, set()),
    ("delta", "family", "Delta", {"ilford-delta-100", "ilford-delta-400", "ilford-delta-3200"}, set()),
    ("델타", "family", "Delta", {"ilford-delta-100", "ilford-delta-3200"}, set()),
    ("kodak", "maker", "Kodak", {"kodak-portra-400", "kodak-tri-x-400", "kodak-vision3-500t"}, {"ilford-hp5-plus"}),
    ("코닥", "maker", "Kodak", {"kodak-portra-400", "kodak-gold-200"}, {"fujifilm-c200"}),
    ("fuji", "maker", "Fujifilm", {"fujifilm-c200", "fujifilm-velvia-50"}, {"kodak-portra-400"}),
    ("400", "words", "400", {"kodak-portra-400", "ilford-delta-400"}, {"kodak-portra-160"}),
])
def test_stock_query_means_a_stock_a_family_or_a_maker(catalog: StockCatalog, text: str, kind: str, label: str,
                                                        some: set, none: set) -> None:
    choice = choose_stocks(catalog, text)
    assert choice is not None and (choice.kind, choice.label) == (kind, label)
    assert some <= set(choice.keys) and not none & set(choice.keys)
    if kind == "maker":
        assert {s.manufacturer for s in choice.stocks} == {label}
    if kind == "family":
        assert {s.family for s in choice.stocks} == {label}


def test_stock_choice_descriptions_say_which_stocks_were_meant(catalog: StockCatalog) -> None:
    assert choose_stocks(catalog, "portra400").describe() == "stock is Kodak Portra 400"
    hp5 = choose_stocks(catalog, "hp5").describe()
    assert hp5 == "stock is of the HP5 family (Ilford HP5 Plus)"
    portra = choose_stocks(catalog, "portra").describe()
    assert portra.startswith("stock is of the Portra family (") and "Kodak Portra 160" in portra and "Kodak Portra 800" in portra
    kodak = choose_stocks(catalog, "kodak").describe()
    assert kodak.startswith("stock is made by Kodak (") and kodak.endswith(" more)")
    assert choose_stocks(catalog, "nosuchfilm") is None and choose_stocks(catalog, "  ") is None


def test_family_aliases_do_not_change_folder_name_parsing(catalog: StockCatalog) -> None:
    # bare 포트라 / Portra in a folder name is still the one stock its alias names
    assert catalog.find("포트라").key == "kodak-portra-400"
    assert catalog.find_in_text("2023-05-01 Portra 서울")[0].key == "kodak-portra-400"


def test_user_stocks_may_join_a_family() -> None:
    cat = StockCatalog.load({"my-portra-bulk": {"name": "Portra bulk roll", "iso": 400, "process": "C-41",
                                                "family": "Portra"},
                             "my-own": {"name": "House Film", "iso": 100, "process": "B&W", "family": "House"}})
    assert "my-portra-bulk" in choose_stocks(cat, "portra").keys
    assert choose_stocks(cat, "house").keys == ("my-own",)
    with pytest.raises(ConfigError, match="family"):
        StockCatalog.load({"bad": {"name": "X", "iso": 100, "process": "B&W", "family": 3}})
