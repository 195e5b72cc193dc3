"""Conformance is computed from what is configured: nothing is declared that is not served."""

from landgrid.conformance import COVERAGES, FEATURES, PROCESSES, TRANSACTIONS, conformance_classes

FEATURE = {"type": "collection", "providers": [{"type": "feature"}]}
COVERAGE = {"type": "collection", "providers": [{"type": "coverage"}]}
PROCESS = {"type": "process"}


def test_only_what_is_mounted():
    classes = conformance_classes({"a": FEATURE})
    assert set(FEATURES) <= set(classes)
    assert not set(COVERAGES + PROCESSES + TRANSACTIONS) & set(classes)


def test_transactions_only_with_an_editable_collection():
    assert set(TRANSACTIONS) <= set(conformance_classes({"a": FEATURE}, editable=True))
    assert not set(TRANSACTIONS) & set(conformance_classes({"c": COVERAGE}, editable=True))


def test_everything():
    classes = conformance_classes({"a": FEATURE, "c": COVERAGE, "p": PROCESS})
    assert set(COVERAGES + PROCESSES) <= set(classes)
    assert len(classes) == len(set(classes))
