"""Operations: checking an installation (doctor), keeping the store small (retention) and turning the
roster into Airflow accounts (users). Plain Python like the rest of the package: Airflow is only ever
driven as a subprocess, never imported."""
