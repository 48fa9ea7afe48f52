"""Indexes retention needs on existing tables (migration 0005_retention).

Why: deleting an item makes the database look for rows that still point at it (an item's
duplicates, an event's representative post). Without an index each look-up scans the table, so
deleting n old items cost O(n²): 20,000 items took 148 s on SQLite. Declared here, next to the
code that needs them, and attached to the core tables.
"""

from __future__ import annotations

from sqlalchemy import Index

from yuqing.models import Event, Item

items_duplicate_of = Index("ix_items_duplicate_of_id", Item.duplicate_of_id)
events_representative_item = Index("ix_events_representative_item_id", Event.representative_item_id)
