"""Where the project keeps its files: one root, overridable by ``YUQING_HOME``.

Why a root: the config, the hotline drop folder, ``var/`` (the default store) and ``output/``
(reports) are all named relative to it, so a checkout can be moved or run from CI unchanged.
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    env = os.environ.get("YUQING_HOME")
    if env:
        return Path(env)
    # include/yuqing/paths.py -> project root (the package is installed editable from the checkout)
    return Path(__file__).resolve().parents[2]


def var_dir() -> Path:
    d = project_root() / "var"
    d.mkdir(parents=True, exist_ok=True)
    return d


def output_dir() -> Path:
    d = Path(os.environ.get("YUQING_OUTPUT_DIR") or project_root() / "output")
    d.mkdir(parents=True, exist_ok=True)
    return d


def templates_dir() -> Path:
    return Path(os.environ.get("YUQING_TEMPLATES") or project_root() / "templates")
