"""In-process timing of certificate PDFs (issue #5: ≤ 50 ms p95 per certificate), outside any web server.

Two measurements (fixed seed, so runs compare):

- **one certificate**: N certificates (default 300) rendered one after another with varied names (Latin
  with diacritics, Greek, Cyrillic, long double-barrelled names, now and then CJK or Arabic that print
  as replacement characters), courses and ids. The first render of a process cuts down and parses the
  bundled fonts; it is done before timing and reported separately. This is the target.
- **bulk export**: a ZIP of M certificates (default 500) built in memory, as the trainers' bulk export
  does; every PDF in it is then opened with pypdf. Reported, not held to a target.

Usage: .venv/bin/python bench/certificates.py [--certificates N] [--zip M] [--json PATH];
exits 1 if the p95 of one certificate misses the target.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pypdf  # noqa: E402 - after the path set-up, so the script runs from anywhere

from course.core.certificates.pdf import render_certificate  # noqa: E402

TARGET_P95_MS = 50.0

GIVEN = ["Zoë", "Jürgen", "Łucja", "François", "Γιώργος", "Ελένη", "Анна", "Дмитрий", "Søren", "Ştefan", "Nguyễn"]
FAMILY = [
    "Ångström-Łukasiewicz",
    "Müller-Lüdenscheidt",
    "Παπαδόπουλος",
    "Καραγιάννη",
    "Иванова",
    "Кузнецов",
    "Dvořák",
    "Ó Súilleabháin",
    "Văn Thành",
    "García Márquez",
]
ELSEWHERE = ["山田太郎", "محمد عبد الله", "김민준", "Zoë 😀"]
COURSES = [
    "Vergütungssysteme im Vertrieb gestalten",
    "Sales compensation design: incentives, caps and clawbacks",
    "Variable Vergütung für Key-Account-Manager",
]
LABELS = {
    "Certificate of completion": "Teilnahmezertifikat",
    "awarded to": "verliehen an",
    "for completing": "für den erfolgreichen Abschluss von",
    "Issued on": "Ausgestellt am",
    "Result": "Ergebnis",
    "Issuer": "Aussteller",
    "Certificate ID": "Zertifikats-ID",
    "Verify at": "Prüfen unter",
}


def random_name(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.05:
        return rng.choice(ELSEWHERE)
    if roll < 0.15:  # long names: several given names and a double-barrelled family name
        return " ".join(rng.sample(GIVEN, 4) + rng.sample(FAMILY, 3))
    return f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}"


def certificate(rng: random.Random) -> dict:
    certificate_id = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(16))
    return {
        "name": random_name(rng),
        "course_title": rng.choice(COURSES),
        "issued_on": f"{rng.randint(1, 28)}. November 2026",
        "result": f"{rng.randint(70, 100)} %",
        "issuer": "Akademie für Vertriebssteuerung",
        "certificate_id": certificate_id,
        "verify_url": f"https://kurs.example.org/certificates/{certificate_id}",
        "labels": LABELS,
        "language": "de",
    }


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def measure_one(count: int, rng: random.Random) -> dict:
    started = time.perf_counter()
    render_certificate(**certificate(rng))
    first_ms = (time.perf_counter() - started) * 1000
    times: list[float] = []
    sizes: list[int] = []
    for _ in range(count):
        arguments = certificate(rng)
        started = time.perf_counter()
        document = render_certificate(**arguments)
        times.append((time.perf_counter() - started) * 1000)
        sizes.append(len(document))
    return {
        "certificates": count,
        "first_ms": round(first_ms, 1),
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(percentile(times, 0.95), 2),
        "max_ms": round(max(times), 2),
        "mean_kb": round(statistics.mean(sizes) / 1024, 1),
    }


def measure_zip(count: int, rng: random.Random) -> dict:
    started = time.perf_counter()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for index in range(count):
            arguments = certificate(rng)
            archive.writestr(f"{index:04d}-{arguments['certificate_id']}.pdf", render_certificate(**arguments))
    built_s = time.perf_counter() - started
    started = time.perf_counter()
    opened = 0
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        for member in archive.namelist():
            reader = pypdf.PdfReader(io.BytesIO(archive.read(member)))
            opened += len(reader.pages) == 1
    return {
        "certificates": count,
        "build_s": round(built_s, 2),
        "zip_mb": round(len(buffer.getvalue()) / 1024 / 1024, 2),
        "opened_ok": opened,
        "check_s": round(time.perf_counter() - started, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--certificates", type=int, default=300, help="certificates timed one by one")
    parser.add_argument("--zip", type=int, default=500, help="certificates in the bulk-export ZIP (0 skips it)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    options = parser.parse_args(argv)
    rng = random.Random(20261127)
    one = measure_one(options.certificates, rng)
    print(f"first certificate of the process (fonts cut down and parsed): {one['first_ms']} ms")
    print(f"{'certificates':>12} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'mean KB':>8}")
    print(f"{one['certificates']:>12} {one['p50_ms']:>8} {one['p95_ms']:>8} {one['max_ms']:>8} {one['mean_kb']:>8}")
    report: dict = {"target_p95_ms": TARGET_P95_MS, "one certificate": one}
    if options.zip:
        bulk = measure_zip(options.zip, rng)
        report["bulk export"] = bulk
        print(
            f"ZIP of {bulk['certificates']}: built in {bulk['build_s']} s, {bulk['zip_mb']} MB; "
            f"{bulk['opened_ok']}/{bulk['certificates']} open with pypdf as one page ({bulk['check_s']} s)"
        )
    verdict = "PASS" if one["p95_ms"] <= TARGET_P95_MS else "FAIL"
    print(f"target: one certificate p95 ≤ {TARGET_P95_MS:g} ms → {verdict} ({one['p95_ms']} ms)")
    if options.json:
        options.json.write_text(json.dumps(report, indent=2) + "\n")
    zip_ok = not options.zip or report["bulk export"]["opened_ok"] == options.zip
    return 0 if verdict == "PASS" and zip_ok else 1


if __name__ == "__main__":
    sys.exit(main())
