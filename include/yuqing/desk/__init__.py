"""The on-duty desk (值班台): what the 舆情 pages inside the Airflow UI show, read from the store.

Each page has one function that builds its context from a few aggregate queries (plain values,
JSON-serialisable, untrusted text masked and trimmed), and ``render`` turns a context into HTML with
the project's one autoescaped Jinja environment (``templates/desk/*.html``). The web app that serves
these pages lives in ``plugins/yuqing_desk`` (it needs Airflow for the login); nothing here imports
Airflow, so the benchmark and the tests time and check the pages without a web server.
"""

from yuqing.desk.access import DeskUser, desk_user
from yuqing.desk.pages import render

__all__ = ["DeskUser", "desk_user", "render"]
