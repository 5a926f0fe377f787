"""The session's log scanner (conftest) catches what it should, so check 27 can fail."""

import logging

from conftest import _SecretsInLogs


def test_scanner_flags_phones_passwords_and_tokens():
    handler = _SecretsInLogs()
    log = logging.getLogger("scanner-test")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("contact 13812345678")
        log.warning("token fg_" + "a" * 30)
        log.warning("uscc 91150203MA0000001T, headcount 13800")  # no phone here
    finally:
        log.removeHandler(handler)
    assert len(handler.found) == 2
