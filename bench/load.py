"""`make bench-load`: one simulated day at city scale through the production shape (issue 7, part 6).

A Celery cluster (``include/demo/cluster.py``: scheduler, dag-processor, api-server, N ``airflow
celery worker`` processes; Airflow metadata and Celery results on PostgreSQL, Redis as the broker)
runs the real ``yuqing_collect`` DAG — collect every source as a mapped task, ``analyze_pending``,
raise warnings, notify — on a fresh PostgreSQL store migrated by ``yuqing db upgrade``. The day's
items (default 1,000,000 from 500 loopback JSON sources) are the benchmark corpus of ``make bench``
(``bench/generate.py``: stories told by many posts, reposts, one-off complaints, chatter) compressed
into one day, each post served by a source of its channel; they are posted in ``--rounds`` batches,
each batch one triggered run, so a run carries hours of backlog, not the usual 15 minutes.
Then one more run at the demo's normal load (``--normal-items`` new items over
``--normal-sources`` sources, the volume of one 15-minute tick of the day) gives the warning delay
in ordinary operation.

Printed: items/s stored (collect phase and whole run), the day's wall time, p95 delay from an item's
collection to the end of the warning step of its run (the earliest moment a warning about it is
out), the store's size per million items, peak RSS of the worker processes. Measured on this
machine, which other work may share; nothing is extrapolated without saying so.

    .venv/bin/python bench/load.py [--items 1000000] [--sources 500] [--rounds 8] [--json FILE]

PostgreSQL: ``YUQING_BENCH_DATABASE_URL`` (a maintenance database; the bench creates and drops its
own databases next to it; default ``postgresql://postgres@127.0.0.1:5432/postgres``). Redis:
``YUQING_BENCH_REDIS_URL`` (default ``redis://127.0.0.1:6379/7``; that database is flushed).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "include" / "demo"))
sys.path.insert(0, str(ROOT / "include"))
os.environ.setdefault("YUQING_HOME", str(ROOT))

from cluster import (  # noqa: E402
    Cluster,
    cluster_env,
    create_database,
    descendants,
    drop_database,
    flush_redis_db,
    sibling_url,
    source_config,
    task_instances,
    write_feed,
)

from demo_sinks import MailSink, WebhookSink, free_port  # noqa: E402
from serve import start_server  # noqa: E402

DAG = "yuqing_collect"


class RssSampler:
    """Samples the RSS of every worker process and its descendants (pool children, task supervisors and
    task processes) every ``interval`` s; keeps the peak of one process and of a whole worker."""

    def __init__(self, cluster: Cluster, interval: float = 0.5):
        self.cluster, self.interval = cluster, interval
        self.peak_process = 0
        self.peak_worker = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> RssSampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            for pid in self.cluster.worker_pids().values():
                total = 0
                for p in [pid, *descendants(pid)]:  # task processes sit in process groups of their own
                    try:
                        rss = psutil.Process(p).memory_info().rss
                    except psutil.Error:
                        continue
                    total += rss
                    self.peak_process = max(self.peak_process, rss)
                self.peak_worker = max(self.peak_worker, total)
            self._stop.wait(self.interval)


def _parse(ts: str | None) -> datetime | None:
    return datetime.fromisoformat(ts.replace("Z", "+00:00")) if ts else None


CHANNELS = ("weibo", "news_comment", "forum", "wechat", "news", "wenzheng", "hotline", "portal", "print")


def write_load_config(path: Path, base_url: str, sources: int) -> Path:
    """The bundled ``yuqing.yaml`` with ``sources`` generated JSON sources, channels in turn."""
    import yaml

    raw = yaml.safe_load((ROOT / "yuqing.yaml").read_text(encoding="utf-8"))
    raw["sources"] = []
    for n in range(sources):
        src = source_config(n, base_url, timeout=60)
        src["channel"] = CHANNELS[n % len(CHANNELS)]
        src["mapping"].update({"author": "author", "comments": "stats.comments", "reposts": "stats.reposts",
                               "likes": "stats.likes", "views": "stats.views"})
        raw["sources"].append(src)
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def corpus(total: int, days: float) -> list[dict[str, Any]]:
    """``total`` posts of the bench corpus in time order, spread over the ``days`` before now."""
    sys.path.insert(0, str(ROOT / "bench"))
    import generate

    start = datetime.now(UTC) - timedelta(days=days, minutes=5)
    out = []
    for rec in generate.labelled(total, seed=7, start=start, days=days):
        e = rec.get("engagement") or {}
        out.append({"id": rec["id"], "title": rec["title"], "content": rec["text"], "author": rec["author"],
                    "url": rec["url"], "askTime": rec["published_at"], "channel": rec["source_type"], "stats": e})
    return out


def post_round(site: Path, sources: int, records: list[dict[str, Any]]) -> None:
    """Each source's feed lists only this round's new posts (a site shows its latest page); a post goes
    to a source of its channel."""
    by_channel: dict[str, list[int]] = {}
    for n in range(sources):
        by_channel.setdefault(CHANNELS[n % len(CHANNELS)], []).append(n)
    feeds: dict[int, list[dict[str, Any]]] = {n: [] for n in range(sources)}
    for i, rec in enumerate(records):
        pool = by_channel.get(rec["channel"]) or list(range(sources))
        feeds[pool[i % len(pool)]].append(rec)
    for n, recs in feeds.items():
        write_feed(site, n, recs)


def split(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def run_round(api: Any, run_id: str, store_url: str, timeout: float) -> dict[str, Any]:
    """Trigger one run, wait for it, and measure it from its task instances and the store."""
    from sqlalchemy import text

    from yuqing.db import get_engine

    started = time.monotonic()
    api.trigger(DAG, run_id)
    state = api.wait_run(DAG, run_id, timeout=timeout)
    wall = time.monotonic() - started
    tis = task_instances(api, DAG, run_id)
    by_task: dict[str, list[dict[str, Any]]] = {}
    for t in tis:
        by_task.setdefault(t["task_id"], []).append(t)
    collect = by_task.get("collect", [])
    run_start = min(_parse(t["start_date"]) for t in tis if t["start_date"])
    collect_end = max(_parse(t["end_date"]) for t in collect if t["end_date"])
    warn = by_task["raise_warnings"][0]
    warned_at = _parse(warn["end_date"])
    with get_engine(store_url).connect() as conn:
        delays = [float(d) for (d,) in conn.execute(
            text("SELECT EXTRACT(EPOCH FROM (:w - collected_at)) FROM items WHERE collected_at >= :s AND collected_at <= :w"),
            {"w": warned_at, "s": run_start})]
    analyse = by_task["analyse"][0]
    return {
        "run_id": run_id,
        "state": state,
        "wall_s": wall,
        "collect_s": (collect_end - run_start).total_seconds(),
        "analyse_s": (_parse(analyse["end_date"]) - _parse(analyse["start_date"])).total_seconds(),
        "items": len(delays),
        "collect_tasks": len(collect),
        "failed_tries": sum(1 for t in collect if t["try_number"] > 1),
        "hosts": sorted({t["hostname"] for t in tis if t["hostname"]}),
        "delays": delays,
    }


def p95(values: list[float]) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--items", type=int, default=1_000_000, help="items in the simulated day")
    ap.add_argument("--sources", type=int, default=500, help="loopback sources")
    ap.add_argument("--rounds", type=int, default=8, help="runs the day is fed in (each under dagrun_timeout)")
    ap.add_argument("--normal-items", type=int, default=None,
                    help="items of the normal-load run (default: one 15-minute tick of the day, items/96)")
    ap.add_argument("--normal-sources", type=int, default=None,
                    help="sources of the normal-load run (default: the demo's collected sources)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--concurrency", type=int, default=2, help="task slots per worker")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--keep", action="store_true", help="keep the databases and the work folder")
    args = ap.parse_args(argv)

    maint = os.environ.get("YUQING_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    redis_url = os.environ.get("YUQING_BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
    if args.normal_sources is None:
        import yaml

        demo = yaml.safe_load((ROOT / "yuqing.yaml").read_text(encoding="utf-8"))["sources"]
        args.normal_sources = sum(1 for s in demo if s.get("enabled", True) and s["type"] != "manual")
    args.normal_items = args.normal_items if args.normal_items is not None else max(args.normal_sources, args.items // 96)
    prefix = f"{maint.rsplit('/', 1)[1]}_load_{secrets.token_hex(3)}"
    meta_db, store_db = f"{prefix}_airflow", f"{prefix}_store"
    work = Path(f"/tmp/{prefix}")
    site = work / "site"
    site.mkdir(parents=True)
    server, base_url = start_server(site, port=0)
    mail, webhook = MailSink().start(), WebhookSink().start()
    config = write_load_config(work / "yuqing.yaml", base_url, args.sources)
    t0 = time.monotonic()
    posts = corpus(args.items + args.normal_items, days=1 + 1 / 96)
    print(f"load: corpus of {len(posts):,} posts generated in {time.monotonic() - t0:.0f} s", flush=True)
    store_url = sibling_url(maint, store_db)
    port = free_port()
    print(f"load: {args.items:,} items from {args.sources} sources in {args.rounds} runs, "
          f"{args.workers} Celery workers x {args.concurrency} slots; work folder {work}", flush=True)
    cluster: Cluster | None = None
    sampler: RssSampler | None = None
    results: list[dict[str, Any]] = []
    from sqlalchemy import text

    from yuqing.db import get_engine

    try:
        flush_redis_db(redis_url)
        create_database(maint, meta_db)
        create_database(maint, store_db)
        env = cluster_env(work / "airflow", port, metadata_url=sibling_url(maint, meta_db), broker_url=redis_url,
                          base=dict(os.environ), parallelism=args.workers * args.concurrency * 2)
        env.update({
            "YUQING_CONFIG": str(config),
            "YUQING_DATABASE_URL": store_url,
            "YUQING_OUTPUT_DIR": str(work / "output"),
            "AIRFLOW_CONN_YUQING_SMTP": mail.connection_json(),
            "AIRFLOW_CONN_YUQING_WEBHOOK": webhook.connection_json(),
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",  # only the runs the bench triggers
            "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": str(args.workers * args.concurrency * 2),
        })
        subprocess.run([str(Path(sys.executable).parent / "yuqing"), "db", "upgrade"], env=env, check=True,
                       capture_output=True, timeout=300)
        with get_engine(store_url).connect() as conn:  # the migrated, empty store: fixed overhead
            empty_bytes = conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
        cluster = Cluster(work / "airflow", env, port, workers=args.workers, concurrency=args.concurrency)
        cluster.start()  # stopped in ``finally`` even when it fails half-way
        api = cluster.api()
        sampler = RssSampler(cluster).start()

        day_started = time.monotonic()
        taken = 0
        for r, round_items in enumerate(split(args.items, args.rounds)):
            post_round(site, args.sources, posts[taken : taken + round_items])
            taken += round_items
            res = run_round(api, f"load_day_{r + 1}", store_url, timeout=3600)
            results.append(res)
            print(f"  run {r + 1}/{args.rounds}: {res['state']}, {res['items']:,} items, {res['wall_s']:.0f} s "
                  f"(collect {res['collect_s']:.0f} s, analyse {res['analyse_s']:.0f} s), "
                  f"p95 delay {p95(res['delays']):.0f} s, hosts {res['hosts']}", flush=True)
        day_wall = time.monotonic() - day_started

        # ordinary operation: the demo's number of sources (the config is read by every task, so the
        # run maps only these), one 15-minute tick of the day's volume, the stream's next posts
        write_load_config(config, base_url, args.normal_sources)
        post_round(site, args.normal_sources, posts[taken:])
        normal = run_round(api, "load_normal", store_url, timeout=3600)
        print(f"  normal-load run: {normal['state']}, {normal['items']:,} items, {normal['wall_s']:.0f} s", flush=True)
        sampler.stop()

        from sqlalchemy import func, select

        from yuqing.db import session_scope
        from yuqing.models import EarlyWarning, Item

        with session_scope(store_url) as s:
            stored = s.scalar(select(func.count()).select_from(Item))
            distinct = s.scalar(select(func.count()).select_from(
                select(Item.source_id, Item.external_id).distinct().subquery()))
            warnings = s.scalar(select(func.count()).select_from(EarlyWarning))
        with get_engine(store_url).connect() as conn:
            db_bytes = conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
        get_engine(store_url).dispose()

        day_items = sum(r["items"] for r in results)
        collect_s = sum(r["collect_s"] for r in results)
        all_delays = [d for r in results for d in r["delays"]]
        figures = {
            "date": datetime.now(UTC).date().isoformat(),
            "items_requested": args.items, "sources": args.sources, "rounds": args.rounds,
            "workers": args.workers, "slots_per_worker": args.concurrency,
            "items_stored_day": day_items, "items_stored_total": stored, "distinct_items": distinct,
            "expected_total": args.items + args.normal_items,
            "runs_succeeded": sum(r["state"] == "success" for r in [*results, normal]), "runs": len(results) + 1,
            "day_wall_s": round(day_wall, 1),
            "items_per_s_collect_phase": round(day_items / collect_s, 1) if collect_s else None,
            "items_per_s_whole_run": round(day_items / day_wall, 1),
            "p95_delay_day_s": round(p95(all_delays), 1),
            "normal_items": normal["items"], "normal_sources": args.normal_sources,
            "p95_delay_normal_s": round(p95(normal["delays"]), 1),
            "normal_run_wall_s": round(normal["wall_s"], 1),
            "db_bytes": db_bytes, "db_bytes_empty": empty_bytes,
            "db_mib_per_million_items": round((db_bytes - empty_bytes) / 2**20 / stored * 1e6, 1) if stored else None,
            "peak_rss_worker_process_mib": round(sampler.peak_process / 2**20, 1),
            "peak_rss_worker_total_mib": round(sampler.peak_worker / 2**20, 1),
            "warnings": warnings,
            "runs_detail": [{k: v for k, v in r.items() if k != "delays"} for r in [*results, normal]],
        }
        _print(figures)
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False), encoding="utf-8")
        return 0 if figures["runs_succeeded"] == figures["runs"] and stored == distinct == figures["expected_total"] else 1
    finally:
        if sampler is not None:
            sampler.stop()
        if cluster is not None:
            cluster.stop()
        server.shutdown()
        mail.stop()
        webhook.stop()
        if not args.keep:
            for name in (meta_db, store_db):
                try:
                    drop_database(maint, name)
                except Exception as exc:  # noqa: BLE001 - report, keep cleaning
                    print(f"load: could not drop {name}: {exc}", file=sys.stderr)
            flush_redis_db(redis_url)


def _print(f: dict[str, Any]) -> None:
    day_min = f["day_wall_s"] / 60
    scaled = f["items_requested"] < 1_000_000
    print()
    print(f"{'figure':<52} {'value':>16}  target")
    rows = [
        ("items stored in the day / expected", f"{f['items_stored_day']:,}", f"{f['items_requested']:,}"),
        ("every item once (stored = distinct = expected)",
         "yes" if f["items_stored_total"] == f["distinct_items"] == f["expected_total"] else "NO", "yes"),
        ("runs succeeded", f"{f['runs_succeeded']}/{f['runs']}", "all"),
        ("items/s stored, collect phase", f"{f['items_per_s_collect_phase']:,}", ""),
        ("items/s through collect -> analyse -> warn (day)", f"{f['items_per_s_whole_run']:,}", "≥ 556 (1 M in 30 min)"),
        (f"day wall time ({f['items_requested']:,} items)", f"{day_min:.1f} min", "< 30 min for 1,000,000"),
        ("p95 delay collection -> warning step, day runs", f"{f['p95_delay_day_s']:.0f} s", ""),
        (f"p95 delay at normal load ({f['normal_items']:,} items, {f['normal_sources']} sources)",
         f"{f['p95_delay_normal_s']:.0f} s", "< 60 s"),
        ("store size per million items (less the empty store)", f"{f['db_mib_per_million_items']:,} MiB", ""),
        ("peak RSS, one worker process", f"{f['peak_rss_worker_process_mib']} MiB", ""),
        ("peak RSS, one worker with its pool and tasks", f"{f['peak_rss_worker_total_mib']} MiB", ""),
    ]
    for name, value, target in rows:
        print(f"{name:<52} {value:>16}  {target}")
    if scaled:
        est = 1_000_000 / f["items_per_s_whole_run"] / 60 if f["items_per_s_whole_run"] else math.nan
        print(f"\nscaled down: {f['items_requested']:,} items were run, not 1,000,000; at the measured rate the full day "
              f"would take ≈ {est:.0f} min (an extrapolation, not a measurement).")


if __name__ == "__main__":
    raise SystemExit(main())
