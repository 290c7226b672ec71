"""Generates the ingest benchmark inputs into target/bench-data/:
customer lists as CSV (1 MB, 20 MB, 100k rows), XLSX (100k rows, 20 MB-ish
of cell data) and XLSB (100k rows, written record by record below), with the
example contract's columns. Needs `openpyxl` (`pip install openpyxl`).
Deterministic (seeded)."""
import csv, os, random, struct, sys, zipfile

OUT = os.path.join(os.path.dirname(__file__), "..", "target", "bench-data")
FIRST = ["Ada", "Grace", "Alan", "Katherine", "Margaret", "José", "Zoë", "François", "Yuki", "Amara"]
LAST = ["Lovelace", "Hopper", "Turing", "Johnson", "Hamilton", "Álvarez", "Müller", "Lefèvre", "Tanaka", "Okafor"]
COUNTRIES = ["United Kingdom", "United States", "España", "Deutschland", "France", "Japan", "Nigeria"]
PLANS = ["free", "pro", "enterprise"]


def rows(n, seed=1):
    rnd = random.Random(seed)
    for i in range(n):
        first, last = rnd.choice(FIRST), rnd.choice(LAST)
        yield [
            f"{first} {last}",
            f"{first.lower()}.{last.lower()}{i}@example.com",
            rnd.choice(COUNTRIES),
            f"20{rnd.randint(15, 24)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}",
            rnd.choice(PLANS),
        ]


HEADER = ["name", "email", "country", "signup_date", "plan"]


def write_csv(name, *, rows_n=None, size=None):
    path = os.path.join(OUT, name)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        for i, row in enumerate(rows(rows_n or 10**9)):
            w.writerow(row)
            if size and i % 1000 == 0 and f.tell() >= size:
                break
    return path


def write_xlsx(name, n):
    import datetime
    from openpyxl import Workbook
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Customers")
    ws.append(HEADER)
    for row in rows(n, seed=2):
        y, m, d = map(int, row[3].split("-"))
        ws.append(row[:3] + [datetime.date(y, m, d)] + row[4:])
    path = os.path.join(OUT, name)
    wb.save(path)
    return path


def record(kind, body=b""):
    """An xlsb record: its type and length as 7-bit groups, then its body."""
    head = bytes([kind]) if kind < 0x80 else bytes([(kind & 0x7F) | 0x80, kind >> 7])
    n, size = len(body), b""
    while True:
        b, n = n & 0x7F, n >> 7
        size += bytes([b | 0x80 if n else b])
        if not n:
            break
    return head + size + body


def wide(text):
    units = text.encode("utf-16-le")
    return struct.pack("<I", len(units) // 2) + units


def write_xlsb(name, n):
    """A workbook in Excel's binary format (MS-XLSB): one sheet, the repeated
    columns (country, plan) as shared strings, the others inline."""
    shared, index = [], {}
    sheet = [record(0x81), record(0x94, struct.pack("<4I", 0, n, 0, 4)), record(0x91)]
    for r, row in enumerate([HEADER] + list(rows(n, seed=3))):
        sheet.append(record(0x00, struct.pack("<IIH3BI", r, 0, 300, 0, 0, 0, 0)))
        for c, value in enumerate(row):
            if r > 0 and c in (2, 4):
                i = index.setdefault(value, len(shared))
                if i == len(shared):
                    shared.append(value)
                sheet.append(record(0x07, struct.pack("<III", c, 0, i)))
            else:
                sheet.append(record(0x06, struct.pack("<II", c, 0) + wide(value)))
    sheet += [record(0x92), record(0x82)]
    sst = [record(0x9F, struct.pack("<II", n * 2, len(shared)))]
    sst += [record(0x13, b"\0" + wide(v)) for v in shared] + [record(0xA0)]
    book = [
        record(0x83), record(0x8F),
        record(0x9C, struct.pack("<II", 0, 1) + wide("rId1") + wide("Customers")),
        record(0x90), record(0x9D), record(0x84),
    ]
    ct = "application/vnd.ms-excel"
    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        f'<Override PartName="/xl/workbook.bin" ContentType="{ct}.sheet.binary.macroEnabled.main"/>'
        f'<Override PartName="/xl/worksheets/sheet1.bin" ContentType="{ct}.worksheet"/>'
        f'<Override PartName="/xl/sharedStrings.bin" ContentType="{ct}.sharedStrings"/></Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.bin"/></Relationships>',
        "xl/_rels/workbook.bin.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.bin"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.bin"/></Relationships>',
        "xl/workbook.bin": b"".join(book),
        "xl/worksheets/sheet1.bin": b"".join(sheet),
        "xl/sharedStrings.bin": b"".join(sst),
    }
    path = os.path.join(OUT, name)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for part, data in parts.items():
            z.writestr(part, data)
    return path


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    made = [
        write_csv("customers-1mb.csv", size=1 << 20),
        write_csv("customers-20mb.csv", size=20 << 20),
        write_csv("customers-100k.csv", rows_n=100_000),
        write_xlsx("customers-10k.xlsx", 10_000),
        write_xlsx("customers-100k.xlsx", 100_000),
        write_xlsb("customers-100k.xlsb", 100_000),
    ]
    for p in made:
        print(f"{os.path.getsize(p):>12,} B  {os.path.relpath(p)}")
    sys.exit(0)
