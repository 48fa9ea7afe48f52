"""House rule of the layout: `include/yuqing` is plain Python — importable and testable without Airflow."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import importlib, json, pkgutil, sys
import yuqing
names = [m.name for m in pkgutil.walk_packages(yuqing.__path__, "yuqing.")
         if not m.name.startswith("yuqing.migrations")]  # Alembic's env.py runs only under Alembic
for name in names:
    importlib.import_module(name)
print(json.dumps({"modules": names,
                  "airflow": sorted(m for m in sys.modules if m == "airflow" or m.startswith("airflow."))}))
"""


def test_the_domain_package_never_imports_airflow() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert len(report["modules"]) > 50 and "yuqing.desk.situation" in report["modules"]
    assert report["airflow"] == [], f"include/yuqing pulled in Airflow: {report['airflow'][:10]}"
