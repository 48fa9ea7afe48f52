"""The shape every report shares, whatever it is about: a title, sections of blocks, and sources.

Why one model: the 专报, the 周报/月报 and the 风险评估报告 are built as a ``ReportDocument`` by
their own modules, and one renderer turns any of them into HTML, PDF and DOCX (``formats``). So the
three formats always say the same thing, personal data is masked in one place (``masked``) for
every report, and the content hash that decides whether a rendering is a new version is computed
from the content itself, never from the time it was rendered.

No claim without a record: a ``Paragraph`` carries the ``Ref`` of each stored item it rests on;
the renderer prints them beside the statement and lists them in the appendix 依据信息.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from yuqing.masking import mask_pii


@dataclass(frozen=True)
class Ref:
    """A stored item a statement rests on."""

    item_id: int
    source: str
    time: str
    title: str
    url: str = ""


@dataclass(frozen=True)
class Paragraph:
    text: str
    refs: tuple[Ref, ...] = ()
    more_refs: int = 0
    """How many further items back the statement beyond those listed in ``refs``."""
    style: str = ""  # "" | "notice" | "lead"


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str = ""
    empty: str = "本期无数据。"
    numeric: tuple[int, ...] = ()
    """Indexes of columns aligned right (figures)."""


@dataclass(frozen=True)
class Chart:
    """A chart drawn from data (not a file), so it is part of the content hash."""

    kind: str  # "line" | "bar" | "barh" | "stacked"
    title: str
    labels: tuple[str, ...]
    series: tuple[tuple[str, tuple[float, ...]], ...]
    y_label: str = ""
    name: str = "chart"


Block = Paragraph | Table | Chart


@dataclass(frozen=True)
class Section:
    heading: str
    blocks: tuple[Block, ...] = ()


@dataclass(frozen=True)
class ReportDocument:
    kind: str
    key: str
    title: str
    organisation: str
    subtitle: str = ""
    meta: tuple[tuple[str, str], ...] = ()
    sections: tuple[Section, ...] = ()
    sources: tuple[Ref, ...] = ()
    footer: str = ""
    generated_at: str = field(default="", compare=False)
    """When it was rendered: shown, never hashed (a rerun with the same content is the same version)."""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)
    """Facts for the code that files the report (not rendered, not hashed)."""

    def content_hash(self) -> str:
        data = dataclasses.asdict(self)
        data.pop("extra", None)
        data.pop("generated_at", None)
        raw = json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()

    def item_ids(self) -> list[int]:
        ids = {r.item_id for r in self.sources}
        for s in self.sections:
            for b in s.blocks:
                if isinstance(b, Paragraph):
                    ids.update(r.item_id for r in b.refs)
        return sorted(ids)


def _mask_value(value: Any) -> Any:
    if isinstance(value, str):
        return mask_pii(value)
    if isinstance(value, tuple):
        return tuple(_mask_value(v) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if isinstance(value, Ref):
            return dataclasses.replace(value, title=mask_pii(value.title), source=mask_pii(value.source))
        if isinstance(value, Chart):
            return value
        return dataclasses.replace(
            value, **{f.name: _mask_value(getattr(value, f.name)) for f in dataclasses.fields(value) if f.name != "extra"}
        )
    return value


def masked(doc: ReportDocument) -> ReportDocument:
    """The document with phone, ID-card and plate numbers masked in every piece of text."""
    return _mask_value(doc)
