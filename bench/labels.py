"""Labels: 1,000 orders into one PDF per format — time and peak memory. Goal: ≤ 3 s for 1,000 labels.

The orders are built on a scratch SQLite file (or DATABASE_URL / --scratch-postgres); the time covers
loading the label data from the database and drawing the PDF; peak memory is measured by tracemalloc
in a second pass (it slows Python down, so it is not timed) and as the process's maximum RSS.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.support import build_orders, make_app, scratch_database  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--labels", type=int, default=1000)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--scratch-postgres", metavar="ADMIN_URL")
    parser.add_argument("--save", metavar="DIR", help="keep the PDFs here")
    args = parser.parse_args()

    from flask import current_app

    from app.extensions import db
    from app.reports.labels import FORMATS, label_data, render_labels

    with scratch_database(args.database_url, args.scratch_postgres) as (url, where):
        app = make_app(url)
        with app.app_context():
            ids = build_orders(db.session, args.labels)
            fonts = {
                "font_regular": current_app.config["PDF_FONT_REGULAR"],
                "font_bold": current_app.config["PDF_FONT_BOLD"],
            }
            print(f"database: {where}; {len(ids):,} orders")
            for fmt in FORMATS.values():
                db.session.expire_all()
                started = time.perf_counter()
                data = label_data(db.session, ids)
                loaded = time.perf_counter() - started
                pdf = render_labels(data, fmt, **fonts)
                total = time.perf_counter() - started

                tracemalloc.start()
                render_labels(label_data(db.session, ids), fmt, **fonts)
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
                if args.save:
                    Path(args.save, f"labels-{fmt.key}.pdf").write_bytes(pdf)
                pages = -(-len(data) // fmt.per_page)
                print(
                    f"{fmt.title:<28} {len(data):,} labels, {pages:>4} pages, {len(pdf) / 1e6:5.2f} MB: "
                    f"{total:5.2f} s (data {loaded:.2f} s, PDF {total - loaded:.2f} s), "
                    f"peak traced memory {peak / 1e6:5.1f} MB"
                )
        with app.app_context():
            db.engine.dispose()
    print(f"process maximum RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
