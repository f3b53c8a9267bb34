"""uvicorn's server, made to end the service's open alert streams the moment it is told to stop."""

from __future__ import annotations

import threading
from types import FrameType

import uvicorn


class StoppingServer(uvicorn.Server):
    """Sets `stopping` on SIGTERM or SIGINT before uvicorn's own shutdown starts. uvicorn waits for
    every response in progress to finish, and an alert stream (server-sent events) never finishes
    by itself: with a dashboard tab open, `clearlive serve` waited until the browser hung up. The
    streams watch `stopping` (passed to create_app as status["stopping"]) and end at once."""

    def __init__(self, config: uvicorn.Config, stopping: threading.Event) -> None:
        super().__init__(config)
        self.stopping = stopping

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.stopping.set()
        super().handle_exit(sig, frame)
