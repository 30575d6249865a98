"""Clocks to inject into a local QStash server: shifted real time, or a fixed instant."""

import time


class ShiftedClock:
    """Real time plus an adjustable offset: lets a test move the server's 'now'."""

    def __init__(self, offset: float = 0.0) -> None:
        self.offset = offset

    def __call__(self) -> float:
        return time.time() + self.offset


class FixedClock:
    """A clock that stands still until the test sets it."""

    def __init__(self, epoch: float) -> None:
        self.epoch = epoch

    def __call__(self) -> float:
        return self.epoch
