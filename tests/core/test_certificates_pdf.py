"""The certificate PDF (issue #5): A4 landscape, names in Latin, Greek and Cyrillic as real text, other
scripts never crash, the QR code encodes the verification URL, and a bulk ZIP of PDFs all open."""

from __future__ import annotations

import io
import logging
import re
import zipfile
from concurrent.futures import ThreadPoolExecutor

import pypdf
import pytest
import segno

from course.core.certificates import glyphs
from course.core.certificates import pdf as certificate_pdf
from course.core.certificates.glyphs import FONT_DIR, printable, unsupported_characters
from course.core.certificates.pdf import render_certificate
from course.core.certificates.qr import qr_code, qr_rectangles

URL = "https://kurs.example.org/certificates/7QX39KDM2FH4JN6P"
GERMAN = {
    "Certificate of completion": "Teilnahmezertifikat",
    "awarded to": "verliehen an",
    "for completing": "für den erfolgreichen Abschluss von",
    "Issued on": "Ausgestellt am",
    "Result": "Ergebnis",
    "Issuer": "Aussteller",
    "Certificate ID": "Zertifikats-ID",
    "Verify at": "Prüfen unter",
}
BULK_COUNT = 40  # the issue's 500, through the trainers' download: tests/test_certificates_routes.py


def certificate(name: str = "Zoë Ångström-Łukasiewicz", **overrides: object) -> bytes:
    arguments: dict = {
        "name": name,
        "course_title": "Vergütungssysteme im Vertrieb gestalten",
        "issued_on": "27. November 2026",
        "result": "92 %",
        "issuer": "Akademie für Vertriebssteuerung",
        "certificate_id": "7QX39KDM2FH4JN6P",
        "verify_url": URL,
        "labels": GERMAN,
        "language": "de",
    }
    arguments.update(overrides)
    return render_certificate(**arguments)


def read(document: bytes) -> pypdf.PdfReader:
    assert document.startswith(b"%PDF-")
    return pypdf.PdfReader(io.BytesIO(document), strict=True)


def page_text(document: bytes) -> str:
    return read(document).pages[0].extract_text()


def squeezed(text: str) -> str:
    """Wrapped lines come back with line breaks where spaces were, or none inside a word."""
    return re.sub(r"\s+", "", text)


def test_certificate_is_one_a4_landscape_page() -> None:
    reader = read(certificate())
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert abs(float(box.width) - 842) <= 1
    assert abs(float(box.height) - 595) <= 1


@pytest.mark.parametrize(
    "name",
    [
        "Zoë Ångström-Łukasiewicz",
        "Γιώργος Παπαδόπουλος",
        "Анна Иванова",
        "Nguyễn Văn Thành",  # Vietnamese: outside the common letters, inside the supported ones
        "Ștefan Dvořák-Ó Súilleabháin",
    ],
)
def test_names_in_latin_greek_and_cyrillic_scripts_are_real_text(name: str) -> None:
    text = page_text(certificate(name))
    assert name in text
    for expected in ("Vergütungssysteme im Vertrieb gestalten", "7QX39KDM2FH4JN6P", "Teilnahmezertifikat"):
        assert expected in text
    assert squeezed(URL) in squeezed(text)
    assert unsupported_characters(name) == set()


def test_details_and_translated_labels_are_printed() -> None:
    text = page_text(certificate())
    for expected in ("27. November 2026", "92 %", "Akademie für Vertriebssteuerung", "Zertifikats-ID", "Prüfen unter"):
        assert expected in text


def test_missing_labels_fall_back_to_english() -> None:
    text = page_text(certificate(labels={}))
    for expected in ("Certificate of completion", "awarded to", "Issued on", "Certificate ID", "Verify at"):
        assert expected in text


def test_metadata_names_the_certificate_issuer_and_language() -> None:
    reader = read(certificate("Анна Иванова"))
    assert "Анна Иванова" in reader.metadata.title
    assert "Vergütungssysteme im Vertrieb gestalten" in reader.metadata.title
    assert reader.metadata.author == "Akademie für Vertriebssteuerung"
    assert reader.metadata.subject == "Vergütungssysteme im Vertrieb gestalten"
    assert reader.trailer["/Root"]["/Lang"] == "de"


def test_verification_url_is_a_link() -> None:
    annotations = [annotation.get_object() for annotation in read(certificate()).pages[0]["/Annots"]]
    assert {annotation["/A"]["/URI"] for annotation in annotations} == {URL}


@pytest.mark.parametrize(
    "name",
    ["山田太郎", "محمد عبد الله", "김민준", "สมชาย ใจดี", "Zoë 😀", "👩‍👩‍👧", "Иван 山田 Γιώργος", "\u200b\u202e"],
)
def test_names_in_other_scripts_give_a_valid_pdf_without_warnings(name: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        reader = read(certificate(name))
    assert len(reader.pages) == 1
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING] == []


def test_unsupported_characters_are_reported_and_printed_as_replacement_characters() -> None:
    assert unsupported_characters("Иван 山田") == {"山", "田"}
    assert printable("Иван 山田") == "Иван \ufffd\ufffd"
    assert "Иван" in page_text(certificate("Иван 山田"))


def test_names_are_normalised_to_one_line() -> None:
    decomposed = "Zoe\u0308 A\u030angstro\u0308m"
    assert printable(decomposed) == "Zoë Ångström"
    assert printable(" Anna\n  Ivanova\t\u200b") == "Anna Ivanova"
    assert "Zoë Ångström" in page_text(certificate(decomposed))


def test_a_120_character_name_fits_on_the_one_page() -> None:
    name = (
        "Maximilian Alexander Konstantin Friedrich von Hohenzollern-Sigmaringen "
        "Ångström-Łukasiewicz de la Cruz Pérez Ortega y Gasset"
    )[:120]
    assert len(name) == 120
    reader = read(certificate(name))
    assert len(reader.pages) == 1
    assert squeezed(name) in squeezed(reader.pages[0].extract_text())


def test_absurdly_long_texts_still_give_one_page() -> None:
    reader = read(
        certificate(
            "Ana " * 600,
            course_title="Sales compensation " * 40,
            issuer="Akademie " * 50,
            verify_url="https://kurs.example.org/certificates/" + "x" * 400,
        )
    )
    assert len(reader.pages) == 1


def test_long_translated_labels_stay_on_the_one_page() -> None:
    long_labels = {key: f"{value} " * 6 for key, value in GERMAN.items()}
    reader = read(certificate(labels=long_labels))
    assert len(reader.pages) == 1
    assert "Zoë Ångström-Łukasiewicz" in reader.pages[0].extract_text()


def test_certificates_render_correctly_from_several_threads() -> None:
    certificate(), certificate("Nguyễn Văn Thành")  # both font cuts are made once, before the threads draw
    names = ["Zoë Ångström", "Γιώργος Παπαδόπουλος", "Анна Иванова", "Nguyễn Văn Thành"]

    def render(index: int) -> str:
        return page_text(certificate(f"{names[index % 4]} {index}", certificate_id=f"THREAD{index:010d}"))

    with ThreadPoolExecutor(max_workers=4) as pool:
        texts = list(pool.map(render, range(24)))
    for index, text in enumerate(texts):
        assert f"{names[index % 4]} {index}" in text
        assert f"THREAD{index:010d}" in text


def test_qr_code_encodes_the_verification_url() -> None:
    code = qr_code(URL)
    expected = segno.make_qr(URL, error="m", boost_error=False)
    assert code.matrix == expected.matrix
    assert code.designator == expected.designator == "4-M"
    assert code.mode == "byte"


def test_qr_rectangles_cover_exactly_the_dark_modules() -> None:
    matrix = qr_code(URL).matrix
    drawn = [[0] * len(matrix[0]) for _ in matrix]
    for row, column, width, height in qr_rectangles(URL):
        for y in range(row, row + height):
            for x in range(column, column + width):
                assert drawn[y][x] == 0, "rectangles overlap"
                drawn[y][x] = 1
    assert drawn == [list(row) for row in matrix]


def test_the_pdf_draws_the_qr_code_of_the_verification_url() -> None:
    """Read the filled rectangles back from the page and rebuild the module grid."""
    page = read(certificate()).pages[0]
    content = page.get_contents().get_data().decode("latin-1")
    rectangles = [
        tuple(map(float, match)) for match in re.findall(r"(-?[\d.]+) (-?[\d.]+) (-?[\d.]+) (-?[\d.]+) re f", content)
    ]
    assert len(rectangles) == len(qr_rectangles(URL))
    matrix = qr_code(URL).matrix
    left = min(x for x, _, _, _ in rectangles)
    right = max(x + w for x, _, w, _ in rectangles)
    top = max(y for _, y, _, _ in rectangles)  # PDF y grows upwards; heights are negative
    module = (right - left) / len(matrix[0])
    grid = [[0] * len(matrix[0]) for _ in matrix]
    for x, y, width, height in rectangles:
        first_row, first_column = round((top - y) / module), round((x - left) / module)
        for row in range(first_row, first_row + round(-height / module)):
            for column in range(first_column, first_column + round(width / module)):
                grid[row][column] = 1
    assert grid == [list(row) for row in matrix]


def test_fonts_are_bundled_with_their_licence() -> None:
    for _, _, filename in certificate_pdf.FONTS:
        assert (FONT_DIR / filename).stat().st_size > 100_000
    assert "Bitstream Vera" in (FONT_DIR / "LICENSE-DejaVu.txt").read_text(encoding="utf-8")


def test_bulk_zip_of_certificates_all_open() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for index in range(BULK_COUNT):
            certificate_id = f"BULK{index:012d}"
            name = ["Zoë Ångström", "Γιώργος Παπαδόπουλος", "Анна Иванова", "山田太郎"][index % 4]
            document = certificate(
                f"{name} {index}",
                certificate_id=certificate_id,
                verify_url=f"https://kurs.example.org/c/{certificate_id}",
            )
            archive.writestr(f"{certificate_id}.pdf", document)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        names = archive.namelist()
        assert len(names) == BULK_COUNT
        for member in names:
            assert len(read(archive.read(member)).pages) == 1


@pytest.mark.parametrize("ranges", [certificate_pdf.COMMON_RANGES, certificate_pdf.SUPPORTED_RANGES])
def test_the_characters_read_from_the_fonts_are_exactly_those_the_pdf_cut_draws(ranges) -> None:
    """Pages warn about a name with `glyphs` alone, which reads the full fonts' character maps; the PDF draws with
    fonts cut down to the ranges. Both must agree, or a warned-about name would print fine or the reverse."""
    cut = [set(font.template.cmap) for font in certificate_pdf._fonts(ranges)]
    assert glyphs.covered_codepoints(ranges) == frozenset(set.intersection(*cut))
