"""A Dask worker plugin that kills its worker's process, once, as a task starts:
a worker lost mid-run, as a crash or the out-of-memory killer would lose it.

Its own small module: every worker imports it to unpickle the plugin, and a test
module would drag pytest's fixtures in with it.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

from distributed import WorkerPlugin


class KillOnce(WorkerPlugin):
    """Kill -9 the worker that takes the marker file (one worker only, one time), and
    write the task's key next to it."""

    name = "kill-once"

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def transition(self, key: Any, start: str, finish: str, **kwargs: Any) -> None:
        if finish != "executing":
            return
        try:
            self.marker.unlink()  # whoever removes it is the one to die
        except FileNotFoundError:
            return
        self.marker.with_suffix(".killed").write_text(str(key), encoding="utf-8")
        os.kill(os.getpid(), signal.SIGKILL)
