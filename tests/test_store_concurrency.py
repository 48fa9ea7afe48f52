"""Concurrent writers of the same items (issue 7, part 1): each item stored exactly once, none lost.

Mapped collection tasks, a retry overlapping a scheduled run, and Celery workers on two machines all
end in ``store_items``. Here several threads — and several processes, each with its own connection
pool, as Celery workers have — call the real function at the same moment with overlapping batches
of the same items in different orders, on SQLite and PostgreSQL (``db_url``).
"""

from __future__ import annotations

import multiprocessing
import random
import threading
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from test_collection_support import make_config

from yuqing import db
from yuqing.collection import RawItem, store_items, sync_sources
from yuqing.models import Item, Source

SOURCES = ("shared_a", "shared_b")
WRITERS = 6
SPAN, STEP = 300, 60  # writer w writes items [w*STEP, w*STEP+SPAN): neighbours overlap by 240


def _setup(session: Session) -> None:
    sync_sources(session, make_config([{"id": s, "name": s, "type": "manual", "channel": "print"} for s in SOURCES]))
    session.commit()


def _batch(writer: int) -> list[RawItem]:
    """This writer's items, shuffled with its own seed, so writers take row locks in different orders."""
    items = [RawItem(external_id=f"post-{i}", text=f"同一条帖子 {i}", title=f"标题{i}")
             for i in range(writer * STEP, writer * STEP + SPAN)]
    items += items[: SPAN // 5]  # the same item twice within one batch, too
    random.Random(writer).shuffle(items)
    return items


def write(url: str, writer: int, start: Callable[[], object] | None = None) -> dict[str, int]:
    """One writer: for each source, one transaction storing this writer's batch. Returns new per source."""
    new: dict[str, int] = {}
    if start is not None:
        start()
    for source_id in SOURCES if writer % 2 else reversed(SOURCES):
        with db.session_scope(url) as session:
            source = session.get(Source, source_id)
            assert source is not None
            found, added = store_items(session, source, _batch(writer))
            assert found == SPAN + SPAN // 5
            new[source_id] = added
    return new


def _process_writer(url: str, writer: int, barrier: object, out: object) -> None:
    out.put((writer, write(url, writer, barrier.wait)))  # type: ignore[attr-defined]


def _assert_once_each(session: Session, results: list[dict[str, int]]) -> None:
    expected = (WRITERS - 1) * STEP + SPAN
    for source_id in SOURCES:
        ids = session.scalars(select(Item.external_id).where(Item.source_id == source_id)).all()
        assert len(ids) == len(set(ids)) == expected, f"{source_id}: {len(ids)} rows, {len(set(ids))} distinct"
        assert set(ids) == {f"post-{i}" for i in range(expected)}
        # every row was reported new by exactly one writer: no writer double-counts, none is missed
        assert sum(r[source_id] for r in results) == expected
    assert session.scalar(select(func.count()).select_from(Item)) == expected * len(SOURCES)


def test_threads_writing_the_same_items_store_each_once(db_url: str, session: Session) -> None:
    _setup(session)
    barrier = threading.Barrier(WRITERS)
    results: list[dict[str, int]] = [{} for _ in range(WRITERS)]
    errors: list[BaseException] = []

    def run(w: int) -> None:
        try:
            results[w] = write(db_url, w, barrier.wait)
        except BaseException as exc:  # surfaced below, with the writer's traceback
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    _assert_once_each(session, results)


def test_processes_writing_the_same_items_store_each_once(db_url: str, session: Session) -> None:
    _setup(session)
    ctx = multiprocessing.get_context("spawn")  # fresh interpreters: no engine or pool inherited
    n = 3
    barrier, out = ctx.Barrier(n), ctx.Queue()
    procs = [ctx.Process(target=_process_writer, args=(db_url, w, barrier, out)) for w in range(n)]
    for p in procs:
        p.start()
    try:
        got = dict(out.get(timeout=120) for _ in range(n))
    finally:
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
    assert all(p.exitcode == 0 for p in procs), [p.exitcode for p in procs]
    # the first n writers only: rows [0, (n-1)*STEP+SPAN)
    expected = (n - 1) * STEP + SPAN
    for source_id in SOURCES:
        ids = session.scalars(select(Item.external_id).where(Item.source_id == source_id)).all()
        assert len(ids) == len(set(ids)) == expected
        assert sum(r[source_id] for r in got.values()) == expected
