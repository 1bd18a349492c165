"""Closing documents: issue and render 1,000 documents of mixed kinds (1–20 lines each) — time, documents per
second, peak RSS and the CPU time of the process. Goal: ≤ 30 s and ≤ 300 MB.

Kinds in turn: счёт, УПД, счёт-фактура, акт, УКД, акт сверки, счёт-фактура на аванс. Each document goes the whole
issuing path: a number from its series' counter, the snapshot, the PDF drawn by fpdf2, stored through the storage
service (by content, SHA-256) and the row inserted; a commit every 50 documents. The database is a scratch SQLite
file (or DATABASE_URL / --scratch-postgres). On a machine shared with other work compare the CPU times: the wall
time also counts the waits for a core.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.support import make_app, scratch_database  # noqa: E402

KINDS = ("invoice", "upd", "vat_invoice", "act", "correction", "statement", "advance_invoice")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--scratch-postgres", metavar="ADMIN_URL")
    args = parser.parse_args()

    from app.extensions import db
    from app.models import DocumentKind
    from app.services.actors import Actor
    from app.services.documents import issuing
    from app.services.documents.data import DocLine, DocRef, DocumentData, Party, StatementRow
    from app.services.money import extract_vat, to_money

    seller = Party(
        name="Общество с ограниченной ответственностью «Печатный двор»",
        short_name="ООО «Печатный двор»",
        inn="1234567894",
        kpp="123401001",
        address="119021, г. Москва, ул. Льва Толстого, д. 16",
        bank_name="ПАО СБЕРБАНК",
        bik="044525225",
        settlement_account="40702810200000000001",
        correspondent_account="30101810400000000225",
        director="Генеральный директор Смирнов А. В.",
        accountant="Кузнецова Е. П.",
    )
    buyer = Party(
        name="Общество с ограниченной ответственностью «Ромашка»",
        short_name="ООО «Ромашка»",
        inn="7707083893",
        kpp="773601001",
        address="117997, г. Москва, ул. Вавилова, д. 19",
    )
    rng = random.Random(14)
    actor = Actor.system("bench")

    def lines(n: int) -> tuple[DocLine, ...]:
        out = []
        for i in range(n):
            gross = Decimal(rng.randint(300, 90000)) + Decimal(rng.randint(0, 99)) / 100
            _, vat = extract_vat(gross, Decimal("22"))
            out.append(
                DocLine(
                    f"Позиция {i + 1}: визитки 90×50 мм, мелованная 300 г/м², 4+4",
                    rng.choice((100, 500, 1000)),
                    gross,
                    vat,
                    Decimal("22"),
                )
            )
        return tuple(out)

    with scratch_database(args.database_url, args.scratch_postgres) as (url, where):
        app = make_app(url)
        with app.app_context():
            day = date(2026, 11, 20)
            counts = dict.fromkeys(KINDS, 0)
            started, cpu_started = time.perf_counter(), time.process_time()
            for n in range(args.documents):
                kind = KINDS[n % len(KINDS)]
                counts[kind] += 1
                body = lines(rng.randint(1, 20))
                extra: dict = {}
                if kind in ("upd", "correction"):
                    extra["upd_status"] = 1
                if kind == "advance_invoice":  # the sum received per line, no quantities; line 5: the payment
                    body = tuple(DocLine(f"Предоплата: {x.name}", 0, x.total, x.vat, x.vat_rate) for x in body)
                    extra["payment_docs"] = (DocRef("Оплата", f"2026-{n:06d}", day),)
                if kind == "correction":
                    extra["lines_before"] = body
                    body = tuple(
                        DocLine(x.name, x.quantity // 2, to_money(x.total / 2), to_money(x.vat / 2), x.vat_rate)
                        for x in body
                    )  # half the goods, in whole kopecks as every issued sum
                    extra["corrected"] = DocRef("УПД", "1", day)
                if kind == "statement":
                    extra.update(
                        period_from=date(2026, 11, 1),
                        period_to=date(2026, 11, 30),
                        rows=tuple(StatementRow(day, f"Реализация {i}", debit=x.total) for i, x in enumerate(body)),
                    )
                    body = ()

                def build(number: str, kind=kind, body=body, extra=extra, n=n) -> DocumentData:  # noqa: ANN001
                    return DocumentData(
                        kind=kind,
                        number=number,
                        day=day,
                        seller=seller,
                        buyer=buyer,
                        lines=body,
                        order_number=f"2026-{n:06d}",
                        basis="Заказ",
                        **extra,
                    )

                issuing.issue(
                    db.session, kind=DocumentKind(kind), day=day, source_key=f"bench:{n}", build=build, actor=actor
                )
                if n % 50 == 49:
                    db.session.commit()
            db.session.commit()
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"database: {where}")
    print(f"documents: {args.documents:,} ({', '.join(f'{k} {v}' for k, v in counts.items())}), 1–20 lines each")
    print(f"time: {elapsed:.1f} s, {args.documents / elapsed:.1f} documents/s, peak RSS {rss_mb:.0f} MB")
    print(f"CPU time of this process: {cpu:.1f} s ({args.documents / cpu:.1f} documents per CPU-second)")
    load = os.getloadavg()[0]
    print(
        f"load average {load:.1f} on {os.cpu_count()} cores: on a shared machine the wall time includes waiting for "
        "a core taken by other work, the CPU time does not — compare CPU times"
    )
    print(
        f"goal: ≤ 30 s and ≤ 300 MB — wall time {'met' if elapsed <= 30 else 'NOT met'}, "
        f"CPU time {'met' if cpu <= 30 else 'NOT met'}, memory {'met' if rss_mb <= 300 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
