"""`make bench`: the figures behind yuqing's speed, memory and accuracy claims, measured, printed.

1. DAG parse time (a fresh process per DAG file).
2. The analysis engine on a generated corpus (bench/generate.py: 100,000 items by default, a city's
   民宗局 stream over ten days — stories, reposts, one-off posts, chatter; see its docstring): the whole
   ``yuqing analyze`` pipeline in one process (read, analyse, duplicates, events, grading, write),
   in a child process so its peak RSS is its own. Beside it, the same file through the
   segmentation-only floor (decode + normalise + rjieba) and a sample through a snownlp-based
   baseline pipeline (bench/baseline.py), with the ratios.
3. Accuracy on the labelled sets in tests/data/analysis: sentiment macro-F1 (all, dev, held-out; and
   snownlp on the same texts), near-duplicate precision/recall, event clustering NMI/ARI/B-cubed.
4. With ``--million``: the pipeline on 1,000,000 items, for the peak-RSS target (< 1 GiB).
5. The store: ``analyze_pending`` and the daily log on SQLite (and PostgreSQL when
   YUQING_BENCH_DATABASE_URL is set).
6. The desk pages (bench/desk_bench.py): server time of each page at 10,000 items and 1,000 cases.

Everything runs offline (snownlp ships its model). Each figure is one run on this machine, which
other work may share: compare runs on the same machine; CPU-time rates are printed beside wall-clock ones.
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
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))

os.environ.setdefault("YUQING_HOME", str(ROOT))

from baseline import lexicon_terms, read_jsonl, segmentation_floor, snownlp_label, snownlp_pipeline  # noqa: E402

from generate import items as generated_items  # noqa: E402

DATA = ROOT / "tests" / "data" / "analysis"
TARGETS = {"items_per_s": 10_000, "vs_baseline": 50, "rss_mib_1m": 1024, "macro_f1": 0.80, "dup_precision": 0.99,
           "dup_recall": 0.95, "nmi": 0.85}


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def line(name: str, value: str, note: str = "") -> None:
    print(f"  {name:<46} {value:>18}  {note}", flush=True)


def verdict(ok: bool) -> str:
    return "meets target" if ok else "MISSES target"


# -- 1. DAG parse time --------------------------------------------------------------------------
def bench_parse() -> None:
    print("DAG parse time (fresh process per file; paid every 30 s and in every task process)")
    for dag_file in sorted((ROOT / "dags").glob("*.py")):
        probe = (
            "import time\nfrom airflow.dag_processing.dagbag import BundleDagBag\n"
            f"t = time.perf_counter()\nb = BundleDagBag(dag_folder={str(dag_file)!r}, bundle_path={str(dag_file.parent)!r},"
            " bundle_name='x')\nprint(time.perf_counter() - t, len(b.import_errors))\n"
        )
        env = dict(os.environ, AIRFLOW_HOME=tempfile.mkdtemp(), AIRFLOW__CORE__LOAD_EXAMPLES="False",
                   AIRFLOW__CORE__PLUGINS_FOLDER=str(ROOT / "plugins"))
        out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
        seconds, errors = out.stdout.split()[-2:]
        line(dag_file.name, f"{float(seconds) * 1000:.0f} ms", f"import errors: {errors}")


# -- 2. the pipeline, the floor and the baseline --------------------------------------------------
def write_corpus(path: Path, n: int) -> tuple[int, float]:
    t = time.perf_counter()
    chars = 0
    with path.open("w", encoding="utf-8") as fh:
        for rec in generated_items(n):
            chars += len(rec["text"])
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return chars, time.perf_counter() - t


_CHILD = """
import json, resource, sys, time
from pathlib import Path
from yuqing.analysis import analyze_file
from yuqing.config import load_config
config = load_config(sys.argv[1])
src, out, ev = (Path(a) for a in sys.argv[2:5])
import yuqing.analysis.records, yuqing.analysis.engine
yuqing.analysis.engine.components(config)  # build the automata and the segmenter before the clock starts
t, c = time.perf_counter(), time.process_time()
report = analyze_file(src, out, ev, config)
print(json.dumps({"wall": time.perf_counter() - t, "cpu": time.process_time() - c, "events": report.events,
                  "ok": report.lines_ok, "errors": len(report.errors),
                  "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_pipeline(src: Path, workdir: Path) -> dict:
    """``analyze_file`` in a child process: its own peak RSS, no Airflow or store imported."""
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(ROOT / "yuqing.yaml"), str(src), str(workdir / "out.jsonl"),
         str(workdir / "events.jsonl")],
        capture_output=True, text=True, check=True, env=dict(os.environ, PYTHONPATH=str(ROOT / "include")),
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_pipeline(n: int, sample: int) -> dict:
    from yuqing.config import load_config

    config = load_config(ROOT / "yuqing.yaml")
    figures: dict = {}
    with tempfile.TemporaryDirectory() as d:
        workdir = Path(d)
        src = workdir / "in.jsonl"
        chars, gen_s = write_corpus(src, n)
        print(f"Corpus: {n:,} generated items (bench/generate.py), {chars / n:.0f} characters on average, "
              f"{src.stat().st_size / 2**20:.0f} MiB of JSON lines; written in {gen_s:.1f} s")
        print("The whole pipeline — `yuqing analyze` (analyze_file) in one process")
        r = run_pipeline(src, workdir)
        rate, cpu_rate = n / r["wall"], n / r["cpu"]
        figures.update(items_per_s=rate, cpu_items_per_s=cpu_rate, rss_mib=r["rss_mib"])
        line("throughput (wall clock)", f"{rate:,.0f} items/s",
             f"{r['wall']:.1f} s; {chars / r['wall'] / 1e6:.2f} M chars/s; {verdict(rate >= TARGETS['items_per_s'])} "
             f"(≥ {TARGETS['items_per_s']:,})")
        line("throughput (CPU time of the process)", f"{cpu_rate:,.0f} items/s", f"{r['cpu']:.1f} s of CPU")
        line("events written", f"{r['events']:,}", f"{r['errors']} bad lines")
        line("peak RSS of the process", f"{r['rss_mib']:,.0f} MiB")

        t = time.perf_counter()
        segmentation_floor(src)
        floor = n / (time.perf_counter() - t)
        figures["floor_items_per_s"] = floor
        line("segmentation-only floor (decode+normalise+cut)", f"{floor:,.0f} items/s",
             f"pipeline = {rate / floor:.0%} of the floor's speed (floor {floor / rate:.1f}× faster)")

        records = read_jsonl(src, sample)
        terms = lexicon_terms(config)
        t = time.perf_counter()
        snownlp_pipeline(records, terms)
        base = len(records) / (time.perf_counter() - t)
        figures["baseline_items_per_s"] = base
        figures["vs_baseline"] = rate / base
        line(f"snownlp baseline pipeline ({len(records):,}-item sample)", f"{base:,.0f} items/s",
             f"pipeline is {rate / base:,.0f}× faster; {verdict(rate / base >= TARGETS['vs_baseline'])} "
             f"(≥ {TARGETS['vs_baseline']}×)")
    return figures


def bench_million(n: int) -> dict:
    with tempfile.TemporaryDirectory() as d:
        workdir = Path(d)
        src = workdir / "in.jsonl"
        chars, gen_s = write_corpus(src, n)
        print(f"Memory: {n:,} generated items ({src.stat().st_size / 2**20:,.0f} MiB of JSON lines, written in {gen_s:.0f} s)")
        r = run_pipeline(src, workdir)
    line("peak RSS of the process", f"{r['rss_mib']:,.0f} MiB",
         f"{verdict(r['rss_mib'] < TARGETS['rss_mib_1m'])} (< 1 GiB for 1 M items)")
    line("throughput (wall clock / CPU)", f"{n / r['wall']:,.0f} items/s", f"CPU {n / r['cpu']:,.0f} items/s; "
         f"{r['events']:,} events")
    return {"rss_mib_1m": r["rss_mib"], "items_per_s_1m": n / r["wall"]}


# -- 3. accuracy --------------------------------------------------------------------------------
def bench_accuracy(snownlp_too: bool = True) -> dict:
    from yuqing.analysis import analyze_records
    from yuqing.analysis.engine import components
    from yuqing.analysis.evaluate import clustering_scores, duplicate_scores, macro_f1
    from yuqing.analysis.text import normalise
    from yuqing.config import load_config

    config = load_config(ROOT / "yuqing.yaml")
    parts = components(config)
    figures: dict = {}
    print("Accuracy on the labelled sets (tests/data/analysis)")
    rows = read_jsonl(DATA / "sentiment_eval.jsonl")
    ours = {r["id"]: parts.sentiment.score(normalise(r["text"]), parts.segmenter).label for r in rows}
    theirs = {r["id"]: snownlp_label(r["text"]) for r in rows} if snownlp_too else {}
    for name, part in (("all", rows), ("dev", [r for r in rows if r["split"] == "dev"]),
                       ("held-out", [r for r in rows if r["split"] == "heldout"])):
        gold = [r["label"] for r in part]
        f1 = macro_f1(gold, [ours[r["id"]] for r in part])
        figures[f"macro_f1_{name}"] = f1
        note = f"snownlp {macro_f1(gold, [theirs[r['id']] for r in part]):.3f}" if theirs else ""
        if name == "all":
            note += f"; {verdict(f1 >= TARGETS['macro_f1'])} (≥ 0.80)"
        line(f"sentiment macro-F1, {name} ({len(part)} items)", f"{f1:.3f}", note)

    rows = read_jsonl(DATA / "reposts_eval.jsonl")
    out, _ = analyze_records([{"id": r["id"], "text": r["text"], "published_at": r["published_at"]} for r in rows], config)
    dup = duplicate_scores(rows, {o["id"]: o["duplicate_of"] for o in out})
    figures.update(dup_precision=dup["precision"], dup_recall=dup["recall"])
    line(f"near-duplicate precision ({dup['pairs_found']} pairs found)", f"{dup['precision']:.3f}",
         verdict(dup["precision"] >= TARGETS["dup_precision"]) + " (≥ 0.99)")
    line(f"near-duplicate recall ({dup['copies']} copies)", f"{dup['recall']:.3f}",
         verdict(dup["recall"] >= TARGETS["dup_recall"]) + " (≥ 0.95)")

    rows = read_jsonl(DATA / "events_eval.jsonl")
    out, _ = analyze_records([{k: v for k, v in r.items() if k not in ("event", "original")} for r in rows], config)
    pred = {o["id"]: o["event_id"] or "none:" + o["id"] for o in out}
    scores = clustering_scores([r["event"] for r in rows], [pred[r["id"]] for r in rows])
    split = clustering_scores([r["event"] for r in rows], [r["id"] for r in rows])
    figures.update(scores)
    line(f"event clustering NMI ({len(rows):,} items)", f"{scores['nmi']:.3f}",
         verdict(scores["nmi"] >= TARGETS["nmi"]) + f" (≥ 0.85); one-cluster-per-item would score {split['nmi']:.3f}")
    line("event clustering ARI", f"{scores['ari']:.3f}", "0 for that do-nothing split: judge by this and B-cubed")
    line("event clustering B-cubed precision / recall / F1",
         f"{scores['bcubed_precision']:.3f} / {scores['bcubed_recall']:.3f} / {scores['bcubed_f1']:.3f}")
    return figures


# -- 5. the store -------------------------------------------------------------------------------
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
    records = list(generated_items(n))
    shift = now - datetime.fromisoformat(records[-1]["published_at"])
    raws = [
        RawItem(external_id=r["id"], text=r["text"], title=r["title"], url=r["url"], author=r["author"],
                published_at=datetime.fromisoformat(r["published_at"]) + shift, engagement=r["engagement"])
        for r in records
    ]
    with db.session_scope(url) as session:
        sync_sources(session, config)
    print(f"Store ({db.get_engine(url).dialect.name}), {n:,} items")
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
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, default=100_000, help="corpus size for the pipeline (default 100,000)")
    ap.add_argument("--baseline-sample", type=int, default=2_000, help="items the snownlp baseline analyses")
    ap.add_argument("--million", action="store_true", help="also run 1,000,000 items for the peak-RSS target")
    ap.add_argument("--store-items", type=int, default=10_000, help="items for the store section (0 skips it)")
    ap.add_argument("--skip-parse", action="store_true", help="skip the DAG parse-time section")
    ap.add_argument("--skip-desk", action="store_true", help="skip the desk page server times (bench/desk_bench.py)")
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    args = ap.parse_args()
    print(f"yuqing benchmark — {time.strftime('%Y-%m-%d %H:%M')} — {os.cpu_count()} cores\n", flush=True)
    figures: dict = {"date": time.strftime("%Y-%m-%d"), "items": args.items}
    if not args.skip_parse:
        bench_parse()
        print()
    figures.update(bench_pipeline(args.items, args.baseline_sample))
    print()
    figures.update(bench_accuracy())
    if args.million:
        print()
        figures.update(bench_million(1_000_000))
    if args.store_items:
        print()
        with tempfile.TemporaryDirectory() as d:
            bench_store(args.store_items, f"sqlite:///{d}/bench.db")
        pg = os.environ.get("YUQING_BENCH_DATABASE_URL")
        if pg:
            print()
            from sqlalchemy import text

            from yuqing import db

            url = db.database_url_from(pg)
            with db.get_engine(url).begin() as conn:
                conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public"))
            bench_store(args.store_items, url)
    if not args.skip_desk:  # its own process: Airflow reads its settings at first import
        print()
        subprocess.run([sys.executable, str(ROOT / "bench" / "desk_bench.py")], check=True)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
