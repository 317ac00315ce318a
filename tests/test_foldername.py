"""Folder-name parser: a table of real-looking scan-folder names with every field expected.

The first rows are the worked examples of filmflow/ingest/foldername.py's docstring.
Columns: name, date, stock key, ei, push, format, code, title.
"""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from filmflow.ingest.foldername import FolderInfo, parse_folder_name
from filmflow.stocks import StockCatalog, load_formats


@pytest.fixture(scope="module")
def catalog() -> StockCatalog:
    return StockCatalog.load()


@pytest.fixture(scope="module")
def formats():
    return load_formats()


CASES = [
    # name, date, stock, ei, push, format, code, title
    ('000123_Portra400_35mm', None, 'kodak-portra-400', None, None, '135', None, None),
    ('R042_2023-05-01_HP5+_EI1600', '2023-05-01', 'ilford-hp5-plus', 1600, 2.0, None, 'R042', None),
    ('Roll 42 - Tri-X @1600 (push 2)', None, 'kodak-tri-x-400', 1600, 2.0, None, 'R042', None),
    ('2023.07.02_포트라400_+1', '2023-07-02', 'kodak-portra-400', 800, 1.0, None, None, None),
    ('2023-03-10 ポートラ400 京都', '2023-03-10', 'kodak-portra-400', None, None, None, None, '京都'),
    ("2023-06-10 Ektar100 Côte d'Azur", '2023-06-10', 'kodak-ektar-100', None, None, None, None, "Côte d'Azur"),
    ('Café Lisboa - Superia 400 - 135', None, 'fujifilm-superia-xtra-400', None, None, '135', None, 'Café Lisboa'),
    ('20230501', '2023-05-01', None, None, None, None, None, None),
    ('CineStill 800T @1600 Tokyo night', None, 'cinestill-800t', 1600, 1.0, None, None, 'Tokyo night'),
    ('#42 kodak gold 200', None, 'kodak-gold-200', None, None, None, 'R042', None),
    ('2023.05 Seoul', '2023-05', None, None, None, None, None, 'Seoul'),
    ('Portra 160 +1 6x7', None, 'kodak-portra-160', 320, 1.0, '6x7', None, None),
    ('Roll 2023-014 Ektar 6×7', None, 'kodak-ektar-100', None, None, '6x7', '2023-014', None),
    ('HP5 @3200', None, 'ilford-hp5-plus', 3200, 3.0, None, None, None),
    ('Portra 400 @ 200', None, 'kodak-portra-400', 200, -1.0, None, None, None),
    ('Golden Gate 2023-05-01', '2023-05-01', None, None, None, None, None, 'Golden Gate'),
    ('2023-05-01 Portra 400 Seoul walk', '2023-05-01', 'kodak-portra-400', None, None, None, None, 'Seoul walk'),
    ('2023_05_01_portra_400_busan', '2023-05-01', 'kodak-portra-400', None, None, None, None, 'busan'),
    ('20230612_Gold200_제주도', '2023-06-12', 'kodak-gold-200', None, None, None, None, '제주도'),
    ('2023.08.15 광복절 골드200', '2023-08-15', 'kodak-gold-200', None, None, None, None, '광복절'),
    ('2023-09-02 울트라맥스 한강', '2023-09-02', 'kodak-ultramax-400', None, None, None, None, '한강'),
    ('2023-10-03_트라이엑스_@1600_남산', '2023-10-03', 'kodak-tri-x-400', 1600, 2.0, None, None, '남산'),
    ('2023년 5월 1일 포트라 160 경주', '2023-05-01', 'kodak-portra-160', None, None, None, None, '경주'),
    ('2023-11-11 엑타100 6x7 설악산', '2023-11-11', 'kodak-ektar-100', None, None, '6x7', None, '설악산'),
    ('2024-01-20_트엑400_+2_눈오는날', '2024-01-20', 'kodak-tri-x-400', 1600, 2.0, None, None, '눈오는날'),
    ('후지C200 동네 산책', None, 'fujifilm-c200', None, None, None, None, '동네 산책'),
    ('2022-12-24 후지 C200 크리스마스', '2022-12-24', 'fujifilm-c200', None, None, None, None, '크리스마스'),
    ('2023.04.05_시네스틸800T_을지로 야경', '2023-04-05', 'cinestill-800t', None, None, None, None, '을지로 야경'),
    ('Roll 7 티맥스 400 @800', None, 'kodak-t-max-400', 800, 1.0, None, 'R007', None),
    ('R105 델타3200 콘서트', None, 'ilford-delta-3200', None, None, None, 'R105', '콘서트'),
    ('2023-06-06 HP5+ 1스탑 증감 서울숲', '2023-06-06', 'ilford-hp5-plus', 800, 1.0, None, None, '서울숲'),
    ('2023-07-07 벨비아 50 중형 제주', '2023-07-07', 'fujifilm-velvia-50', None, None, '120', None, '제주'),
    ('프로비아 100F 4x5 대형 풍경', None, 'fujifilm-provia-100f', None, None, '4x5', None, '풍경'),
    ('2023-02-14_컬러플러스_발렌타인', '2023-02-14', 'kodak-colorplus-200', None, None, None, None, '발렌타인'),
    ('2023-03-01 포트라 800 135 밤', '2023-03-01', 'kodak-portra-800', None, None, '135', None, '밤'),
    ('2023.10.09 한글날 아크로스', '2023-10-09', 'fujifilm-acros-100-ii', None, None, None, None, '한글날'),
    ('2023年5月3日 ポートラ400 鎌倉', '2023-05-03', 'kodak-portra-400', None, None, None, None, '鎌倉'),
    ('2023-04-01 ゴールド200 桜', '2023-04-01', 'kodak-gold-200', None, None, None, None, '桜'),
    ('2023-07-20_トライX_2段増感_新宿', '2023-07-20', 'kodak-tri-x-400', 1600, 2.0, None, None, '新宿'),
    ('2023-08-08 ベルビア50 ブローニー 富士山', '2023-08-08', 'fujifilm-velvia-50', None, None, '120', None, '富士山'),
    ('業務用100 京都 2023-01-01', '2023-01-01', 'fujifilm-industrial-100', None, None, None, None, '京都'),
    ('2023-12-31 シネスティル800T 渋谷', '2023-12-31', 'cinestill-800t', None, None, None, None, '渋谷'),
    ('2023-09-09 アクロス 6x6 奈良', '2023-09-09', 'fujifilm-acros-100-ii', None, None, '6x6', None, '奈良'),
    ('2023-06-18 エクター100 北海道', '2023-06-18', 'kodak-ektar-100', None, None, None, None, '北海道'),
    ('ネオパン400 大阪 R077', None, 'fujifilm-neopan-400', None, None, None, 'R077', '大阪'),
    ('プロビア100F 中判 上高地', None, 'fujifilm-provia-100f', None, None, '120', None, '上高地'),
    ('2023-05-20 Ektachrome E100 Lisboa', '2023-05-20', 'kodak-ektachrome-e100', None, None, None, None, 'Lisboa'),
    ('2023-08-01 Tri-X 400 pushed to 1600 Paris', '2023-08-01', 'kodak-tri-x-400', 1600, 2.0, None, None, 'Paris'),
    ('Velvia 50 4x5 Yosemite', None, 'fujifilm-velvia-50', None, None, '4x5', None, 'Yosemite'),
    ('2023-06-30 Portra 160 6x7 Ålesund', '2023-06-30', 'kodak-portra-160', None, None, '6x7', None, 'Ålesund'),
    ('2023.09.14 Fomapan 100 Kraków', '2023-09-14', 'foma-fomapan-100', None, None, None, None, 'Kraków'),
    ('Superia 200 Zürich 2023-02-02', '2023-02-02', 'fujifilm-superia-200', None, None, None, None, 'Zürich'),
    ('HP5 Plus 120 São Paulo', None, 'ilford-hp5-plus', None, None, '120', None, 'São Paulo'),
    ('2023-10-10 Cinestill 50D Málaga', '2023-10-10', 'cinestill-50d', None, None, None, None, 'Málaga'),
    ('FP4+ Reykjavík @ 50', None, 'ilford-fp4-plus', 50, -1.33, None, None, 'Reykjavík'),
    ('Delta 100 Provence 645', None, 'ilford-delta-100', None, None, '645', None, 'Provence'),
    ('2023-01-15 Kodak Ektar 100 Île-de-France', '2023-01-15', 'kodak-ektar-100', None, None, None, None, 'Île-de-France'),
    ('R012 Portra400 35mm Göteborg', None, 'kodak-portra-400', None, None, '135', 'R012', 'Göteborg'),
    ('Roll 3 - Ilford HP5+ - EI 3200 - Berlin', None, 'ilford-hp5-plus', 3200, 3.0, None, 'R003', 'Berlin'),
    ('roll-009 Gold 200 beach', None, 'kodak-gold-200', None, None, None, 'R009', 'beach'),
    ('r42 tmax400 studio', None, 'kodak-t-max-400', None, None, None, 'R042', 'studio'),
    ('#7 Fujifilm Superia X-TRA 400', None, 'fujifilm-superia-xtra-400', None, None, None, 'R007', None),
    ('Roll #12 Portra 800 @1600 wedding', None, 'kodak-portra-800', 1600, 1.0, None, 'R012', 'wedding'),
    ('R100_20230405_CS800T_EI1600', '2023-04-05', 'cinestill-800t', 1600, 1.0, None, 'R100', None),
    ('000456_Ektar100_120', None, 'kodak-ektar-100', None, None, '120', None, None),
    ('002345_C200', None, 'fujifilm-c200', None, None, None, None, None),
    ('20230701_000789_Portra160', '2023-07-01', 'kodak-portra-160', None, None, None, None, None),
    ('000123', None, None, None, None, None, None, None),
    ('Untitled', None, None, None, None, None, None, 'Untitled'),
    ('Seoul', None, None, None, None, None, None, 'Seoul'),
    ('2023-02-30 Portra 400', None, 'kodak-portra-400', None, None, None, None, '2023-02-30'),
    ('20231345 Gold 200', None, 'kodak-gold-200', None, None, None, None, None),
    ('1899-05-01 old scan', None, None, None, None, None, None, '1899-05-01 old scan'),
    ('2023-05 Ektar100', '2023-05', 'kodak-ektar-100', None, None, None, None, None),
    ('2023-5-7 HP5', '2023-05-07', 'ilford-hp5-plus', None, None, None, None, None),
    ('Portra 400 NC 2008-06-01', '2008-06-01', 'kodak-portra-400nc', None, None, None, None, None),
    ('Portra400_pull1_overcast', None, 'kodak-portra-400', 200, -1.0, None, None, 'overcast'),
    ('TriX400_push2', None, 'kodak-tri-x-400', 1600, 2.0, None, None, None),
    ('HP5 push 1600', None, 'ilford-hp5-plus', 1600, 2.0, None, None, None),
    ('Portra 400 +1.5', None, 'kodak-portra-400', 1250, 1.5, None, None, None),
    ('Portra 160 -1 fog', None, 'kodak-portra-160', 80, -1.0, None, None, 'fog'),
    ('Gold 200 +1/3', None, 'kodak-gold-200', 250, 0.33, None, None, None),
    ('Kodak Portra 400 (+1) Tokyo', None, 'kodak-portra-400', 800, 1.0, None, None, 'Tokyo'),
    ('Tri-X 1600 push', None, 'kodak-tri-x-400', 1600, 2.0, None, None, None),
    ('Portra 400 ISO 800', None, 'kodak-portra-400', 800, 1.0, None, None, None),
    ('Delta 3200 @6400', None, 'ilford-delta-3200', 6400, 1.0, None, None, None),
    ('Pan F 50 half frame', None, 'ilford-pan-f-plus', None, None, 'half', None, None),
    ('Kodak Gold 200 halfframe Olympus Pen', None, 'kodak-gold-200', None, None, 'half', None, 'Olympus Pen'),
    ('Portra 400 6x4.5 Pentax', None, 'kodak-portra-400', None, None, '645', None, 'Pentax'),
    ('Mamiya 7 6x7 Portra 160', None, 'kodak-portra-160', None, None, '6x7', None, 'Mamiya 7'),
    ('Hasselblad 6x6 Ektar', None, 'kodak-ektar-100', None, None, '6x6', None, 'Hasselblad'),
    ('Fuji GW690 6x9 Velvia', None, 'fujifilm-velvia-50', None, None, '6x9', None, 'Fuji GW690'),
    ('Golden Gate Bridge', None, None, None, None, None, None, 'Golden Gate Bridge'),
    ('Gold Coast trip', None, None, None, None, None, None, 'Gold Coast trip'),
    ('Mekong Delta', None, None, None, None, None, None, 'Mekong Delta'),
    ('Phoenix 2023-03-03', '2023-03-03', None, None, None, None, None, 'Phoenix'),
    ('Portra 4000', None, 'kodak-portra-400', None, None, None, None, '4000'),
    ('Leica R6 HP5', None, 'ilford-hp5-plus', None, None, None, None, 'Leica R6'),
    ('Canon R5 test', None, None, None, None, None, None, 'Canon R5 test'),
    ('Goldenrod Portra160', None, 'kodak-portra-160', None, None, None, None, 'Goldenrod'),
    ('2023-03-10 Lomography 400 Praha', '2023-03-10', 'lomography-cn-400', None, None, None, None, 'Praha'),
    ('Lomochrome Purple 2023-06-06 Barcelona', '2023-06-06', 'lomochrome-purple', None, None, None, None, 'Barcelona'),
    ('2023-04-04 Kodak Vision3 500T ECN-2 Chicago', '2023-04-04', 'kodak-vision3-500t', None, None, None, None, 'ECN-2 Chicago'),
    ('2023-05-05 Harman Phoenix 200 London', '2023-05-05', 'harman-phoenix-200', None, None, None, None, 'London'),
    ('2023-06-06 Berlin Kino 400 Berlin', '2023-06-06', 'lomography-berlin-kino-400', None, None, None, None, 'Berlin'),
    ('Rollei Retro 400S @800 Wien', None, 'rollei-retro-400s', 800, 1.0, None, None, 'Wien'),
    ('Kentmere 400 Manchester', None, 'kentmere-pan-400', None, None, None, None, 'Manchester'),
    ('Foma 400 @1600 Brno', None, 'foma-fomapan-400', 1600, 2.0, None, None, 'Brno'),
    ('Adox CHS 100 II 4x5', None, 'adox-chs-100-ii', None, None, '4x5', None, None),
    ('Street Candy ATM 400 NYC', None, 'street-candy-atm-400', None, None, None, None, 'NYC'),
    ('Agfa Vista 200 2015-07-01 Rome', '2015-07-01', 'agfa-vista-200', None, None, None, None, 'Rome'),
    ('Kodak Ultramax 400 + Gold 200 mix', None, 'kodak-ultramax-400', None, None, None, None, 'Gold 200 mix'),
    ('Gold200+1', None, 'kodak-gold-200', 400, 1.0, None, None, None),
    ('2023.07.02 포트라400 +1 한강', '2023-07-02', 'kodak-portra-400', 800, 1.0, None, None, '한강'),
    ('2023-07-07 벨비아 50 중형 6x7 제주', '2023-07-07', 'fujifilm-velvia-50', None, None, '6x7', None, '제주'),
    ('2023-05-01~2023-05-07 제주 포트라', '2023-05-01', 'kodak-portra-400', None, None, None, None, '제주'),
    ('R042 (HP5) [EI 800] {}', None, 'ilford-hp5-plus', 800, 1.0, None, 'R042', None),
    ('ﾎﾟｰﾄﾗ400 ｷｮｳﾄ', None, 'kodak-portra-400', None, None, None, None, 'ｷｮｳﾄ'),
    ('Kodak Gold 200.zip', None, 'kodak-gold-200', None, None, None, None, None),
    ('2023-09-09 골드 부산 R203', '2023-09-09', 'kodak-gold-200', None, None, None, 'R203', '부산'),
    ('포트라로 찍은 서울', None, None, None, None, None, None, '포트라로 찍은 서울'),
    ('2023-03-03 HP5 +1 stop rainy day', '2023-03-03', 'ilford-hp5-plus', 800, 1.0, None, None, 'rainy day'),
    ('2023-06-01 델타 400 @ 1600 밤거리', '2023-06-01', 'ilford-delta-400', 1600, 2.0, None, None, '밤거리'),
    ('2021-014 Portra 160', None, 'kodak-portra-160', None, None, None, '2021-014', None),
    ('Ektar 100 + 6X7', None, 'kodak-ektar-100', None, None, '6x7', None, None),
    ('2023.12.25 Xmas Superia 1.5 stops', '2023-12-25', 'fujifilm-superia-xtra-400', None, None, None, None, 'Xmas 1.5 stops'),
    ('HP5+1', None, 'ilford-hp5-plus', 800, 1.0, None, None, None),
    ('HP5+ +1', None, 'ilford-hp5-plus', 800, 1.0, None, None, None),
    ('2023-01-01 @1600 night walk', '2023-01-01', None, 1600, None, None, None, 'night walk'),
    ('mystery film push 2', None, None, None, 2.0, None, None, 'mystery film'),
    ('unknown bulk EI 800 +1', None, None, 800, 1.0, None, None, 'unknown bulk'),
    # six-digit YYMMDD dates (labs, Korean shooters) beside real lab order numbers
    ('250412_Gold200_135', '2025-04-12', 'kodak-gold-200', None, None, '135', None, None),
    ('240105_포트라400_서울', '2024-01-05', 'kodak-portra-400', None, None, None, None, '서울'),
    ('231224 골드200 제주 크리스마스', '2023-12-24', 'kodak-gold-200', None, None, None, None, '제주 크리스마스'),
    ('HP5+ 220318 부산', '2022-03-18', 'ilford-hp5-plus', None, None, None, None, '부산'),
    ('210704_ポートラ400_京都', '2021-07-04', 'kodak-portra-400', None, None, None, None, '京都'),
    ('123456_Portra400', None, 'kodak-portra-400', None, None, None, None, None),
    ('230145_HP5', None, 'ilford-hp5-plus', None, None, None, None, None),
    ('001234_트라이엑스', None, 'kodak-tri-x-400', None, None, None, None, None),
    ('2023-05-01_240105_Gold200', '2023-05-01', 'kodak-gold-200', None, None, None, None, None),
    ('R250412 Ektar100', None, 'kodak-ektar-100', None, None, None, None, 'R250412'),
]


def _fields(info: FolderInfo) -> tuple:
    return (info.date, info.stock.key if info.stock else None, info.ei, info.push, info.format, info.code, info.title)


def test_table_is_big_and_varied() -> None:
    assert len(CASES) >= 80
    names = [c[0] for c in CASES]
    assert len(set(names)) == len(names)
    assert any("\uac00" <= ch <= "\ud7a3" for n in names for ch in n)  # Korean
    assert any("\u30a0" <= ch <= "\u30ff" for n in names for ch in n)  # Japanese katakana
    assert any(ch in "éôüåÎ" for n in names for ch in n)  # accented Latin


@pytest.mark.parametrize(("name", "date", "stock", "ei", "push", "fmt", "code", "title"), CASES, ids=[c[0] for c in CASES])
def test_parse_folder_name(catalog, formats, name, date, stock, ei, push, fmt, code, title) -> None:
    info = parse_folder_name(name, catalog, formats)
    assert _fields(info) == (date, stock, ei, push, fmt, code, title)


@pytest.mark.parametrize("row", CASES[:40], ids=[c[0] for c in CASES[:40]])
def test_nfd_name_parses_like_nfc(catalog, formats, row) -> None:
    """macOS hands us decomposed Hangul and accents; the result must not change."""
    name = row[0]
    nfd = unicodedata.normalize("NFD", name)
    assert _fields(parse_folder_name(nfd, catalog, formats)) == _fields(parse_folder_name(name, catalog, formats))


def test_nfd_korean_is_really_decomposed(catalog, formats) -> None:
    nfd = unicodedata.normalize("NFD", "2023.07.02_포트라400_+1 한강 산책")
    assert nfd != unicodedata.normalize("NFC", nfd)
    info = parse_folder_name(nfd, catalog, formats)
    assert info.stock is not None and info.stock.key == "kodak-portra-400"
    assert (info.date, info.ei, info.push, info.title) == ("2023-07-02", 800, 1.0, "한강 산책")


def test_without_formats_uses_builtin_aliases(catalog) -> None:
    assert parse_folder_name("Portra 400 6X7 중형", catalog).format == "6x7"
    assert parse_folder_name("HP5 35mm", catalog).format == "135"


def test_push_is_derived_from_ei_and_rounded_to_thirds(catalog, formats) -> None:
    assert parse_folder_name("Portra 160 @400", catalog, formats).push == 1.33
    assert parse_folder_name("Ektar 100 EI 80", catalog, formats).push == -0.33
    # EI wins over a stated push that disagrees
    info = parse_folder_name("HP5 @1600 +1", catalog, formats)
    assert (info.ei, info.push) == (1600, 2.0)


def test_invalid_dates_are_not_dates(catalog, formats) -> None:
    for name in ("2023-13-01 x", "2023-02-29 x", "2101-01-01 x", "1899-12-31 x", "2023.00 x"):
        assert parse_folder_name(name, catalog, formats).date is None, name
    assert parse_folder_name("2024-02-29 leap", catalog, formats).date == "2024-02-29"


@pytest.mark.parametrize(("name", "today", "date"), [
    ("250412_Gold200_135", "2025-04-12", "2025-04-12"),   # today counts
    ("250412_Gold200_135", "2025-04-11", None),           # a future date is a lab order number
    ("991231_포트라400", "2026-12-01", None),              # 2099: future
    ("990101 골드200 order", "2099-06-01", "2099-01-01"),
    ("000123_Portra400_35mm", "2026-12-01", None),        # 00MMDD: a zero-padded counter
])
def test_yymmdd_is_a_date_only_when_real_and_not_future(catalog, formats, name, today, date) -> None:
    import datetime as dt

    info = parse_folder_name(name, catalog, formats, today=dt.date.fromisoformat(today))
    assert info.date == date
    if date is None:  # the digits are still not a title: dropped as a lab order number
        assert info.title is None or info.title == "order"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=()), max_size=80))
def test_never_raises_on_any_text(catalog, formats, text) -> None:
    info = parse_folder_name(text, catalog, formats)
    assert isinstance(info, FolderInfo)
    if info.push is not None:
        assert -5 <= info.push <= 5 or info.ei is not None
    if info.format is not None:
        assert info.format in formats


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["2023-05-01", "Portra400", "HP5+", "포트라 400", "ポートラ", "@1600", "+1", "push2",
                                 "R042", "#7", "Roll 3", "6x7", "35mm", "중형", "_", " ", "-", "(", ")", "Seoul",
                                 "서울", "京都", "Côte", "000123", "2023.05", "1600", "+", "Gold", "200"]),
                max_size=10))
def test_never_raises_on_folder_like_text(catalog, formats, parts) -> None:
    name = "".join(parts)
    info = parse_folder_name(name, catalog, formats)
    assert isinstance(info, FolderInfo)
    assert parse_folder_name(unicodedata.normalize("NFD", name), catalog, formats) == info
