# yuqing on the official Apache Airflow image (pinned: Airflow 3.3.2 on Python 3.11).
# Build:  docker compose build            (or: docker build -t yuqing-airflow:0.1.0 .)
# The project lives in /opt/yuqing (YUQING_HOME): DAGs, plugins, templates, the demo config and the
# installed `yuqing` package. Secrets never go into the image: they come from .env at run time.
FROM apache/airflow:3.3.2-python3.11

USER root
# CJK fonts and HarfBuzz subsetting for PDF reports (weasyprint), Pango for its layout.
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 \
 && apt-get autoremove -yqq --purge \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*

USER airflow
# Dependencies first (cached layer): the top-level pins, resolved exactly as tested via the lock.
COPY --chown=airflow:0 requirements.txt requirements.lock /opt/yuqing/
RUN pip install --no-cache-dir -r /opt/yuqing/requirements.txt -c /opt/yuqing/requirements.lock

# The domain package (include/yuqing), then the Airflow-facing files.
COPY --chown=airflow:0 pyproject.toml README.md /opt/yuqing/
COPY --chown=airflow:0 include/yuqing /opt/yuqing/include/yuqing
RUN pip install --no-cache-dir --no-deps /opt/yuqing
COPY --chown=airflow:0 dags /opt/yuqing/dags
COPY --chown=airflow:0 plugins /opt/yuqing/plugins
COPY --chown=airflow:0 templates /opt/yuqing/templates
COPY --chown=airflow:0 yuqing.yaml /opt/yuqing/yuqing.yaml

ENV YUQING_HOME=/opt/yuqing \
    YUQING_CONFIG=/opt/yuqing/yuqing.yaml \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/yuqing/dags \
    AIRFLOW__CORE__PLUGINS_FOLDER=/opt/yuqing/plugins \
    AIRFLOW__CORE__LOAD_EXAMPLES=False
WORKDIR /opt/yuqing
