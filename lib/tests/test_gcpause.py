import gc
import threading

import pytest

from lib.gcpause import paused


@pytest.fixture(autouse=True)
def _collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_off_inside_and_back_after():
    with paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_back_after_an_error():
    with pytest.raises(ZeroDivisionError), paused():
        1 / 0  # noqa: B018
    assert gc.isenabled()


def test_nested_blocks_restore_only_at_the_outermost():
    with paused():
        with paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_off_before_stays_off():
    gc.disable()
    with paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_another_threads_block_keeps_it_off_until_it_ends():
    inside, leave = threading.Event(), threading.Event()

    def other() -> None:
        with paused():
            inside.set()
            leave.wait(5)

    thread = threading.Thread(target=other)
    thread.start()
    assert inside.wait(5)
    with paused():
        pass
    assert not gc.isenabled()  # the other thread's block still runs
    leave.set()
    thread.join(5)
    assert gc.isenabled()
