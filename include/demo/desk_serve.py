"""`make desk`: the Airflow UI, with its 舆情 entry, on the data the last `make demo` left — until Ctrl-C.

`make demo` stops its Airflow stack when it ends; this starts the same stack (api-server, scheduler,
dag-processor; the demo's Airflow home and yuqing store, the same logins) so a person can log in,
look at the desk's pages and acknowledge a warning. Scheduled DAGs stay paused: nothing new is
collected or sent while you look.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

DEMO = Path(__file__).resolve().parent
sys.path.insert(0, str(DEMO))

from desk_demo import show_desk  # noqa: E402
from response_demo import USERS  # noqa: E402
from run_demo import airflow_env  # noqa: E402
from stack import Api, Stack, stack_env  # noqa: E402


def main() -> None:
    env = airflow_env({})
    home = Path(env["AIRFLOW_HOME"])
    if not (home / "airflow.db").exists():
        sys.exit(f"no demo Airflow home at {home}: run `make demo` first")
    port = int(os.environ.get("YUQING_DEMO_AIRFLOW_PORT", "8080"))
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # `kill` stops the stack like Ctrl-C
    stack = Stack(home, stack_env(home, port, USERS, env), port)
    print(f"==> starting Airflow (api-server, scheduler, dag-processor) on http://127.0.0.1:{port} ...", flush=True)
    try:
        stack.start()
        show_desk(Api(stack.base), port, interactive=True)
        print("\nAirflow keeps running; press Ctrl-C to stop.", flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
