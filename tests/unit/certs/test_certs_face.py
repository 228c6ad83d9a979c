"""The certificate face: real fonts, a real QR decoder, and the PDF read back."""

from __future__ import annotations

import io
import pickle
import re
import shutil
import struct
import subprocess
import sys
import zlib
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from certs import fonts
from certs.claims import CertificateClaims
from certs.face import (
    INK,
    PDF_DPI,
    FaceData,
    FaceLayout,
    FaceOverflow,
    face_cache_key,
    layout_face,
    render_face_pdf,
    render_face_png,
)
from certs.fonts import FontNotFound, MissingGlyphs, Role, find_cjk_fonts, missing_glyphs
from certs.keys import SigningKey
from certs.qr import MAX_QR_VERSION, qr_version_for, verification_url
from certs.tokens import sign_token

ROOT = Path(__file__).resolve().parents[3]
BASE_URL = "https://zwfw.yinchuan.gov.cn"
EXTENSION_G = "\U00030000"  # 𰀀, CJK Extension G: not in Noto CJK 2.004
PRIVATE_USE = "\ue000"
LONG_ADDRESS = (
    "宁夏回族自治区银川市兴庆区解放西街与民族北街交叉口东北角塞上明珠国际商业广场"
    "二号楼一至五层及地下一层东侧商铺（临街门面）"
)
MANY_ITEMS = (
    "住宿（客房及公共区）",
    "沐浴（含桑拿及足浴）",
    "美容美发（化妆美甲）",
    "游泳场所（室内泳池）",
    "健身房（瑜伽舞蹈室）",
    "歌舞厅（含卡拉OK）",
    "商场超市（生鲜食品）",
    "候诊室（门诊候诊厅）",
)


def make_face(**overrides: Any) -> FaceData:
    """A public-place hygiene permit issued on the commitment route; override any field."""
    fields: dict[str, Any] = {
        "licence_name": "公共场所卫生许可证",
        "number": "银审卫公证字〔2026〕第000123号",
        "identifier": "1.2.156.3005.2.11640100MB1234567X001.11640100MB1234567X.0000000123.001.Q",
        "holder": "银川悦来酒店有限公司",
        "holder_code": "91640100MA76543210",
        "address": "宁夏回族自治区银川市金凤区北京中路168号",
        "items": ("住宿场所", "沐浴场所"),
        "issuer": "银川市审批服务管理局",
        "issue_date": "2026-01-01",
        "valid_from": None,
        "valid_until": "2029-12-31",
        "version": 1,
        "status_note": "告知承诺审批，事后核查中",
    }
    fields.update(overrides)
    return FaceData(**fields)


COMBINED: dict[str, Any] = {
    "licence_name": "医疗机构执业许可证",
    "holder": "宁夏回族自治区银川市兴庆区塞上明珠国际大酒店餐饮娱乐管理有限责任公司",
    "address": LONG_ADDRESS,
    "items": ("内科", "外科", "妇产科；妇科专业", "医学影像科；X线诊断专业", "中医科"),
    "issuer": "宁夏回族自治区卫生健康委员会",
    "valid_until": None,
    "version": 3,
    "components": (
        ("医疗机构执业许可证", "有效"),
        ("放射诊疗许可证", "有效"),
        ("母婴保健技术服务执业许可证", "暂扣"),
    ),
    "seal_label": "行政许可专用章",
}


@pytest.fixture(scope="module")
def url(make_claims: Callable[..., CertificateClaims], es256_key: SigningKey) -> str:
    return verification_url(BASE_URL, sign_token(make_claims(), es256_key))


@pytest.fixture
def fresh_font_search(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Font search under a changed environment, with the process-wide answer restored after."""
    find_cjk_fonts.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    find_cjk_fonts.cache_clear()


def decode(image: Image.Image) -> str:
    results = zxingcpp.read_barcodes(image.convert("L"))
    assert len(results) == 1
    return str(results[0].text)


def overlaps(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def inside(box: tuple[int, int, int, int], outer: tuple[int, int, int, int]) -> bool:
    return outer[0] <= box[0] <= box[2] <= outer[2] and outer[1] <= box[1] <= box[3] <= outer[3]


def assert_laid_out_on_the_page(layout: FaceLayout) -> None:
    """Every line box inside the printable area, none on another, none in the QR code or its
    quiet zone (4 modules: the symbol is drawn without one), only issuer and date under the seal."""
    quiet = 4 * layout.qr_module
    x0, y0, x1, y1 = layout.qr_box
    for run in layout.runs:
        assert inside(run.bbox, layout.printable), run
        assert not overlaps(run.bbox, (x0 - quiet, y0 - quiet, x1 + quiet, y1 + quiet)), run
        if overlaps(run.bbox, layout.seal_box):
            assert run.text.startswith(("发证机关", "发证日期")), run
    for i, a in enumerate(layout.runs):
        for b in layout.runs[i + 1 :]:
            assert not overlaps(a.bbox, b.bbox), (a, b)
    for rule in layout.rules:
        assert inside(rule, layout.printable)


def test_face_png_is_an_a4_page_at_150_dpi_whose_qr_code_scans_to_the_url(
    url: str, artifacts_dir: Path
) -> None:
    png = render_face_png(make_face(), url)
    (artifacts_dir / "face-sample.png").write_bytes(png)
    (artifacts_dir / "face-sample-combined.png").write_bytes(
        render_face_png(make_face(**COMBINED), url)
    )
    image = Image.open(io.BytesIO(png))
    assert (image.size, image.mode) == ((1240, 1754), "P")
    assert image.info["dpi"] == pytest.approx((150, 150), abs=0.05)  # pixels a metre
    assert decode(image) == url


def test_qr_code_is_printed_at_least_40_mm_wide_in_the_png_and_the_pdf(url: str) -> None:
    for scale, dpi in ((1.0, 150), (PDF_DPI / 150, PDF_DPI)):
        box = layout_face(make_face(), url, scale=scale).qr_box
        assert (box[2] - box[0]) / dpi * 25.4 >= 40
        assert box[2] - box[0] == box[3] - box[1]


def test_densest_allowed_code_and_longest_names_stay_on_the_page_at_every_scale() -> None:
    version_22 = "HTTPS://ZWFW.YINCHUAN.GOV.CN/V/" + "0123456789" * 181
    assert qr_version_for(version_22) == MAX_QR_VERSION
    face = make_face(
        holder="宁夏回族自治区银川市悦来国际大酒店管理有限公司金凤区分公司",
        issuer="宁夏回族自治区银川市金凤区行政审批服务管理局",
        number="银审卫公证字〔2026〕第9999999999号",
        version=999,
    )
    for scale in (0.5, 1.0, PDF_DPI / 150, 2.0):
        layout = layout_face(face, version_22, scale=scale)
        assert_laid_out_on_the_page(layout)
        assert not overlaps(layout.qr_box, layout.seal_box)
        if scale >= 1:
            assert (layout.qr_box[2] - layout.qr_box[0]) / (150 * scale) * 25.4 >= 40
    assert decode(Image.open(io.BytesIO(render_face_png(face, version_22)))) == version_22


def embedded_image(pdf: bytes) -> tuple[Image.Image, bytes]:
    """Check the cross-reference table, then rebuild the page image as a PNG: an indexed image
    whose FlateDecode stream has PNG predictors is exactly a PNG's IDAT data."""
    assert pdf.startswith(b"%PDF-1.4\n")
    found = re.search(rb"startxref\n(\d+)\n%%EOF\n$", pdf)
    assert found
    xref = pdf[int(found.group(1)) :]
    header = re.match(rb"xref\n0 (\d+)\n", xref)
    assert header
    for number in range(1, int(header.group(1))):
        offset = int(xref[header.end() + 20 * number : header.end() + 20 * number + 10])
        assert pdf[offset:].startswith(b"%d 0 obj\n" % number)
    image = re.search(
        rb"/Subtype /Image /Width (\d+) /Height (\d+) /ColorSpace \[/Indexed /DeviceRGB 255 "
        rb"<([0-9a-f]+)>\] /BitsPerComponent 8 /Filter /FlateDecode /DecodeParms << /Predictor "
        rb"15 /Colors 1 /BitsPerComponent 8 /Columns (\d+) >> /Length (\d+) >>\nstream\n",
        pdf,
    )
    assert image
    width, height, columns, length = (int(image.group(i)) for i in (1, 2, 4, 5))
    assert columns == width
    data = pdf[image.end() : image.end() + length]
    assert pdf[image.end() + length :].startswith(b"\nendstream")

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    png = b"\x89PNG\r\n\x1a\n" + chunk(
        b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0)
    )
    png += chunk(b"PLTE", bytes.fromhex(image.group(3).decode())) + chunk(b"IDAT", data)
    return Image.open(io.BytesIO(png + chunk(b"IEND", b""))), pdf[: image.start()]


def test_face_pdf_is_one_a4_page_whose_embedded_image_scans_to_the_url(
    url: str, tmp_path: Path
) -> None:
    pdf = render_face_pdf(make_face(**COMBINED), url)
    image, before_image = embedded_image(pdf)
    assert b"/Type /Pages /Kids [3 0 R] /Count 1 >>" in before_image
    media_box = re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", before_image)
    assert media_box
    assert [float(v) / 72 * 25.4 for v in media_box.groups()] == pytest.approx([210, 297], abs=0.01)
    assert image.width / (210 / 25.4) >= 200
    assert decode(image) == url
    if shutil.which("pdftoppm"):  # poppler, when installed, reads it as any viewer would
        (tmp_path / "face.pdf").write_bytes(pdf)
        subprocess.run(
            [
                "pdftoppm",
                "-r",
                "100",
                "-png",
                "-singlefile",
                str(tmp_path / "face.pdf"),
                str(tmp_path / "page"),
            ],
            check=True,
            timeout=60,
        )
        assert decode(Image.open(tmp_path / "page.png")) == url


@pytest.mark.parametrize("overrides", [{}, COMBINED], ids=["hygiene-permit", "combined-licence"])
def test_every_character_of_a_realistic_face_has_a_glyph_in_the_font_it_is_set_in(
    url: str, overrides: dict[str, Any]
) -> None:
    face = make_face(**overrides)
    layout = layout_face(face, url)
    found = find_cjk_fonts()
    for run in layout.runs:
        assert not missing_glyphs(run.text, found[run.role].path, found[run.role].index)
    text = "".join(run.text for run in layout.runs)
    for value in (face.holder, face.address, "、".join(face.items), face.identifier, face.issuer):
        assert value in text


@pytest.mark.parametrize("char", [EXTENSION_G, PRIVATE_USE], ids=["extension-g", "private-use"])
@pytest.mark.parametrize("field", ["holder", "address", "issuer", "status_note"])
def test_a_character_the_font_lacks_raises_missing_glyphs_instead_of_drawing_a_box(
    url: str, char: str, field: str
) -> None:
    face = make_face(**{field: "银川" + char + "宾馆"})
    with pytest.raises(MissingGlyphs) as raised:
        render_face_png(face, url)
    assert raised.value.chars == (char,)
    assert f"U+{ord(char):04X}" in str(raised.value)


def test_missing_glyphs_agrees_with_what_freetype_draws_for_the_notdef_glyph() -> None:
    """The cmap parser against an independent witness: a character without a glyph renders
    exactly as the .notdef box does."""
    sample = (
        "银川市卫生许可证〔〕（）：、A1z．　"
        + "\u4e00\u9fa5\u3400\U00020000\U0002a6d6"
        + PRIVATE_USE
    )
    for role in Role:
        font = find_cjk_fonts()[role]
        loaded = fonts.load_font(font, 32)
        notdef = bytes(loaded.getmask(EXTENSION_G))
        drawn_as_box = {c for c in sample if bytes(loaded.getmask(c)) == notdef}
        assert missing_glyphs(sample, font.path, font.index) == drawn_as_box


def test_same_certificate_renders_the_same_bytes_in_another_process(url: str) -> None:
    face = make_face(**COMBINED)
    png, pdf = render_face_png(face, url), render_face_pdf(face, url)
    assert render_face_png(face, url) == png
    script = (
        "import pickle, sys; from certs.face import render_face_png, render_face_pdf; "
        "face, url = pickle.load(sys.stdin.buffer); "
        "sys.stdout.buffer.write(render_face_png(face, url) + b'|' + render_face_pdf(face, url))"
    )
    other = subprocess.run(
        [sys.executable, "-c", script],
        input=pickle.dumps((face, url)),
        capture_output=True,
        check=True,
        cwd=ROOT,
        timeout=120,
    ).stdout
    assert other == png + b"|" + pdf


def test_cache_key_is_stable_and_changes_with_every_field_and_the_url(url: str) -> None:
    face = make_face()
    key = face_cache_key(face, url)
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert face_cache_key(make_face(issue_date=date(2026, 1, 1)), url) == key
    changed: list[dict[str, Any]] = [
        {"holder": "银川悦来酒店有限公司二店"},
        {"number": "银审卫公证字〔2026〕第000124号"},
        {"items": ("住宿场所",)},
        {"issue_date": "2026-01-02"},
        {"valid_from": "2026-01-02"},
        {"valid_until": None},
        {"version": 2},
        {"components": (("放射诊疗许可证", "有效"),)},
        {"status_note": ""},
        {"seal_label": "行政许可专用章"},
    ]
    keys = {face_cache_key(replace(face, **change), url) for change in changed}
    keys.add(face_cache_key(face, url.replace("/V/", "/V/1")))
    assert key not in keys
    assert len(keys) == len(changed) + 1


def test_long_address_and_many_items_wrap_inside_the_printable_area(url: str) -> None:
    face = make_face(
        address=LONG_ADDRESS * 2,
        items=MANY_ITEMS,
        holder=COMBINED["holder"],
        components=COMBINED["components"],
    )
    layout = layout_face(face, url)
    address_lines = [run for run in layout.runs if len(run.text) > 1 and run.text in face.address]
    assert len(address_lines) >= 4
    assert_laid_out_on_the_page(layout)
    assert "".join(r.text for r in layout.runs).count("（临街门面）") == 2
    assert not any(r.text.startswith(("）", "、", "，", "；")) for r in layout.runs)


def test_nothing_but_the_red_border_is_inked_outside_the_printable_area(url: str) -> None:
    face = make_face(address=LONG_ADDRESS, items=MANY_ITEMS, components=COMBINED["components"])
    image = Image.open(io.BytesIO(render_face_png(face, url)))
    left, top, right, bottom = layout_face(face, url).printable
    width, height = image.size
    for strip in (
        (0, 0, width, top),
        (0, bottom, width, height),
        (0, 0, left, height),
        (right, 0, width, height),
    ):
        counts = image.crop(strip).histogram()  # pixels per palette index
        assert not any(counts[1 : INK + 1])


def test_seal_is_red_over_the_issue_date_and_lets_the_text_show_through(url: str) -> None:
    face = make_face()
    layout = layout_face(face, url)
    date_line = next(r for r in layout.runs if r.text.startswith("发证日期"))
    assert overlaps(date_line.bbox, layout.seal_box)
    image = Image.open(io.BytesIO(render_face_png(face, url)))
    counts = image.crop(layout.seal_box).histogram()  # pixels per palette index
    red = sum(counts[INK + 1 :])
    assert red > 0.1 * (layout.seal_box[2] - layout.seal_box[0]) ** 2
    red_over_ink = [i for i in range(INK + 1, 256) if counts[i] and (i - INK - 1) % 8]
    assert red_over_ink
    palette = image.getpalette()
    assert palette
    r, g, b = palette[3 * 248 : 3 * 249]  # full red, no ink
    assert r > 180 and g < 80 and b < 80


@settings(max_examples=25, deadline=None)
@given(
    address=st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), max_size=300),
    items=st.lists(
        st.text(
            st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
            | st.sampled_from("（）、；ABC123"),
            min_size=1,
            max_size=30,
        ),
        max_size=25,
    ).map(tuple),
)
def test_any_content_either_fits_the_page_or_is_refused_as_overflow(
    url: str, address: str, items: tuple[str, ...]
) -> None:
    face = make_face(address=address, items=tuple(i.strip() or "住宿" for i in items))
    try:
        layout = layout_face(face, url)
    except FaceOverflow:
        return
    assert_laid_out_on_the_page(layout)


def test_text_far_beyond_a_page_raises_face_overflow(url: str) -> None:
    with pytest.raises(FaceOverflow):
        layout_face(make_face(items=MANY_ITEMS * 12), url)


def test_long_term_validity_prints_changqi_and_components_get_a_row_each(url: str) -> None:
    texts = [run.text for run in layout_face(make_face(**COMBINED), url).runs]
    assert "2026年1月1日至长期" in texts
    for name, status in COMBINED["components"]:
        assert name in texts
        assert status in texts


def test_face_data_normalises_text_and_dates_and_refuses_control_characters() -> None:
    face = make_face(
        holder="  银川悦来酒店  ", issue_date="2026-01-01", valid_until=date(2029, 12, 31)
    )
    assert face.holder == "银川悦来酒店"
    assert face.issue_date == date(2026, 1, 1)
    with pytest.raises(ValueError, match="control"):
        make_face(holder="银川\n悦来")
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        make_face(issue_date="2026/01/01")
    with pytest.raises(ValueError, match="version"):
        make_face(version=0)


def test_font_search_finds_the_simplified_chinese_face_of_debian_noto_cjk() -> None:
    found = find_cjk_fonts()
    for role in Role:
        assert Path(found[role].path).is_file()
        family = fonts.load_font(found[role], 12).getname()[0] or ""
        assert family.endswith(" SC")
    assert "Bold" in (fonts.load_font(found[Role.SERIF_BOLD], 12).getname()[1] or "")


def test_explicit_font_is_used_for_every_role(fresh_font_search: pytest.MonkeyPatch) -> None:
    serif = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"
    fresh_font_search.setenv(fonts.ENV_VAR, serif)
    found = find_cjk_fonts()
    assert {found[role] for role in Role} == {fonts.FontFile(serif, 2)}


# fontconfig's own dependency on Debian: the font fc-match answers when it has no CJK font
LATIN_ONLY = [str(p) for p in Path("/usr/share/fonts").rglob("DejaVuSans.ttf")][:1]


@pytest.mark.parametrize("path", ["/nonexistent/font.ttc", "NOT-A-FONT", *LATIN_ONLY])
def test_explicit_font_that_is_missing_or_not_chinese_raises_font_not_found(
    fresh_font_search: pytest.MonkeyPatch, path: str, tmp_path: Path
) -> None:
    if path == "NOT-A-FONT":
        path = str(tmp_path / "font.ttf")
        Path(path).write_bytes(b"\x00\x01\x00\x00" + b"\x00" * 64)
    fresh_font_search.setenv(fonts.ENV_VAR, path)
    with pytest.raises(FontNotFound, match="apt-get install fonts-noto-cjk"):
        find_cjk_fonts()


def test_no_chinese_font_anywhere_raises_font_not_found_saying_how_to_install_one(
    fresh_font_search: pytest.MonkeyPatch, tmp_path: Path, url: str
) -> None:
    fresh_font_search.delenv(fonts.ENV_VAR, raising=False)
    fresh_font_search.setattr(fonts, "_FONT_DIRS", (str(tmp_path),))
    fresh_font_search.setenv("PATH", str(tmp_path))  # no fc-match
    with pytest.raises(FontNotFound, match=r"apt-get install fonts-noto-cjk.*make fonts"):
        render_face_png(make_face(), url)
