"""The serving worker's garbage-collector settings."""

import gc
import weakref

import pytest

from cardbot.web.gc_tuning import SERVING_THRESHOLDS, tune_garbage_collector


@pytest.fixture
def restored_gc():
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_start_up_objects_are_frozen_and_collections_are_rarer(restored_gc):
    kept_for_life = [[] for _ in range(1000)]  # lists are tracked by the collector
    frozen_before = gc.get_freeze_count()
    tune_garbage_collector()
    assert gc.get_freeze_count() >= frozen_before + len(kept_for_life)
    assert gc.get_threshold() == SERVING_THRESHOLDS
    assert SERVING_THRESHOLDS[0] > 700  # CPython's default youngest-generation threshold


def test_cycles_made_while_serving_are_still_collected_automatically(restored_gc):
    tune_garbage_collector()
    assert gc.isenabled()

    class Node:
        pass

    node = Node()
    node.self = node
    gone = weakref.ref(node)
    del node
    assert gone() is not None  # only the cycle collector can free it
    allocations = [[] for _ in range(3 * SERVING_THRESHOLDS[0])]  # enough to trigger a young collection
    del allocations
    assert gone() is None
