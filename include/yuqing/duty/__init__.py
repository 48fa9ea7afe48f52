"""The on-duty desk (值班, C2c 及时反馈, C4 24小时联络畅通/第一责任人).

- ``acknowledgement``: who may acknowledge a warning, and how (page, signed single-use mail link, CLI);
- ``escalation``: an unacknowledged warning climbs backup → 分管领导 → 主要负责同志, each step once;
- ``handover``: at a shift change the open warnings pass to the incoming person (交接班);
- ``gaps``: a hole in the roster is itself a warning (值班空档), once per gap;
- ``scorecard``: time to acknowledge, per person and per unit, for the 考核 figures.

Like the rest of ``yuqing`` this package never imports Airflow; the escalation DAG sends what it plans.
"""
