"""The pacer spaces sends evenly under a per-minute limit and honours a provider's 'wait until'."""

import threading

from services.pacing import Pacer


class ManualTime:
    """A monotonic clock whose sleep just moves time forward."""

    def __init__(self):
        self.now = 100.0
        self.lock = threading.Lock()

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        with self.lock:
            self.now = max(self.now, self.now + seconds)


def test_sends_are_spaced_to_the_limit():
    """At 600 a minute, ten sends take 0.1 s apart: the tenth starts 0.9 s after the first."""
    time = ManualTime()
    pacer = Pacer(600, time.monotonic, time.sleep)
    starts = []
    for _ in range(10):
        pacer.wait_turn()
        starts.append(round(time.now - 100.0, 6))
    assert starts == [round(0.1 * n, 6) for n in range(10)]


def test_hold_for_pushes_every_later_send():
    """After a 429 saying 'reset in 5 s', nobody sends before then."""
    time = ManualTime()
    pacer = Pacer(6000, time.monotonic, time.sleep)
    pacer.wait_turn()
    pacer.hold_for(5.0)
    pacer.wait_turn()
    assert time.now >= 105.0


def test_zero_means_unlimited():
    """The local inbox has no provider limit: no waiting at all."""
    time = ManualTime()
    pacer = Pacer(0, time.monotonic, time.sleep)
    for _ in range(100):
        pacer.wait_turn()
    assert time.now == 100.0
