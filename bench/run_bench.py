"""`make bench`: the figures behind yuqing's speed and memory claims, measured, printed.

Runs on generated data only (bench/generate.py) against a throw-away SQLite store (and PostgreSQL
when YUQING_BENCH_DATABASE_URL is set). Each figure is one run on this machine: read them as
orders of magnitude, compare runs on the same machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))

os.environ.setdefault("YUQING_HOME", str(ROOT))

from generate import items as generated_items  # noqa: E402


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def line(name: str, value: str, note: str = "") -> None:
    print(f"  {name:<46} {value:>16}  {note}")


def bench_parse() -> None:
    print("DAG parse time (fresh process per file; paid every 30 s and in every task process)")
    for dag_file in sorted((ROOT / "dags").glob("*.py")):
        probe = (
            "import time\nfrom airflow.dag_processing.dagbag import BundleDagBag\n"
            f"t = time.perf_counter()\nb = BundleDagBag(dag_folder={str(dag_file)!r}, bundle_path={str(dag_file.parent)!r},"
            " bundle_name='x')\nprint(time.perf_counter() - t, len(b.import_errors))\n"
        )
        env = dict(os.environ, AIRFLOW_HOME=tempfile.mkdtemp(), AIRFLOW__CORE__LOAD_EXAMPLES="False")
        out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
        seconds, errors = out.stdout.split()[-2:]
        line(dag_file.name, f"{float(seconds) * 1000:.0f} ms", f"import errors: {errors}")


def bench_analysis_file(n: int) -> None:
    from yuqing.analysis import analyze_file
    from yuqing.config import load_config

    config = load_config(ROOT / "yuqing.yaml")
    with tempfile.TemporaryDirectory() as d:
        src, out, ev = Path(d) / "in.jsonl", Path(d) / "out.jsonl", Path(d) / "events.jsonl"
        with src.open("w", encoding="utf-8") as fh:
            for rec in generated_items(n):
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        chars = sum(len(json.loads(x)["text"]) for x in src.open(encoding="utf-8"))
        before = rss_mb()
        t = time.perf_counter()
        report = analyze_file(src, out, ev, config)
        took = time.perf_counter() - t
    print(f"yuqing analyze (file contract), {n:,} generated items")
    line("throughput", f"{n / took:,.0f} items/s", f"{chars / took / 1e6:.2f} M chars/s; {took:.1f} s")
    line("events found", f"{report.events:,}" if hasattr(report, "events") else "-")
    line("peak RSS of the process", f"{rss_mb():,.0f} MB", f"(+{rss_mb() - before:,.0f} MB during the run)")


def bench_store(n: int, url: str) -> None:
    from sqlalchemy import func, select

    from yuqing import db
    from yuqing.analysis import analyze_pending
    from yuqing.clock import local_today
    from yuqing.collection import RawItem, store_items, sync_sources
    from yuqing.config import load_config
    from yuqing.daily_log import render_daily_log
    from yuqing.models import Item, Source

    config = load_config(ROOT / "yuqing.yaml")
    db.upgrade(url)
    now = datetime.now(UTC)
    raws = [
        RawItem(external_id=r["id"], text=r["text"], title=r["title"], url=r["url"],
                published_at=now - timedelta(seconds=10 * i), engagement=r["engagement"])
        for i, r in enumerate(generated_items(n))
    ]
    with db.session_scope(url) as session:
        sync_sources(session, config)
    print(f"store ({db.get_engine(url).dialect.name}), {n:,} items")
    t = time.perf_counter()
    with db.session_scope(url) as session:
        source = session.get(Source, "weibo_search")
        assert source is not None
        found, new = store_items(session, source, raws)
    took = time.perf_counter() - t
    line("store_items (batched insert)", f"{n / took:,.0f} items/s", f"{new:,} new of {found:,}; {took:.2f} s")
    t = time.perf_counter()
    with db.session_scope(url) as session:
        source = session.get(Source, "weibo_search")
        _, again = store_items(session, source, raws)
    line("store_items again (all known)", f"{n / (time.perf_counter() - t):,.0f} items/s", f"{again} new")

    t = time.perf_counter()
    with db.session_scope(url) as session:
        summary = analyze_pending(session, config)
    took = time.perf_counter() - t
    line("analyze_pending", f"{n / took:,.0f} items/s",
         f"{summary.events_created:,} events, {summary.duplicates:,} duplicates; {took:.1f} s")

    t = time.perf_counter()
    with db.session_scope(url) as session:
        count = session.scalar(select(func.count()).select_from(Item))
        with tempfile.TemporaryDirectory() as d:
            path = render_daily_log(session, config, local_today(), out_dir=Path(d))
            size = path.stat().st_size
    line("render_daily_log", f"{(time.perf_counter() - t) * 1000:,.0f} ms", f"{count:,} items in store; {size / 1024:,.0f} KB page")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--items", type=int, default=20000)
    args = ap.parse_args()
    print(f"yuqing benchmark — {time.strftime('%Y-%m-%d %H:%M')} — {os.cpu_count()} cores\n")
    bench_parse()
    print()
    bench_analysis_file(args.items)
    print()
    with tempfile.TemporaryDirectory() as d:
        bench_store(args.items // 2, f"sqlite:///{d}/bench.db")
    pg = os.environ.get("YUQING_BENCH_DATABASE_URL")
    if pg:
        print()
        from sqlalchemy import text

        from yuqing import db

        url = db.database_url_from(pg)
        with db.get_engine(url).begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public"))
        bench_store(args.items // 2, url)


if __name__ == "__main__":
    main()
