"""Generates the ingest benchmark inputs into target/bench-data/:
customer lists as CSV (1 MB, 20 MB, 100k rows) and XLSX (100k rows, 20 MB-ish
of cell data), with the example contract's columns. Needs `openpyxl`
(`pip install openpyxl`). Deterministic (seeded)."""
import csv, os, random, sys

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


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    made = [
        write_csv("customers-1mb.csv", size=1 << 20),
        write_csv("customers-20mb.csv", size=20 << 20),
        write_csv("customers-100k.csv", rows_n=100_000),
        write_xlsx("customers-10k.xlsx", 10_000),
        write_xlsx("customers-100k.xlsx", 100_000),
    ]
    for p in made:
        print(f"{os.path.getsize(p):>12,} B  {os.path.relpath(p)}")
    sys.exit(0)
