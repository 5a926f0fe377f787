"""The session's log scanner (conftest) catches what it should, so check 27 can fail."""

import logging

from conftest import _SecretsInLogs


def test_scanner_flags_phones_passwords_tokens_and_robot_secrets():
    handler = _SecretsInLogs()
    log = logging.getLogger("scanner-test")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("contact 13812345678")
        log.warning("token fg_" + "a" * 30)
        log.warning("uscc 91150203MA0000001T, headcount 13800")  # no phone here
        log.warning("robot secret SEC" + "0a" * 32)
        log.warning("posting to https://oapi.dingtalk.com/robot/send?access_token=" + "c" * 64)
        log.warning("posting to https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7")
        log.warning("delivery 12 (dingtalk, robot 3, attempt 2) failed: HTTP 500")  # fine
    finally:
        log.removeHandler(handler)
    assert len(handler.found) == 5
