"""The web app behind the 舆情 entry of the Airflow UI (mounted by ``yuqing_desk_plugin``).

Airflow-facing parts only: the login (Airflow's JWT, as a Bearer header or the ``_token`` cookie),
CSRF for the cookie-authenticated acknowledge form, the HITL query on Airflow's metadata DB and the
routes. What the pages show is built by ``yuqing.desk`` from the yuqing store.
"""
