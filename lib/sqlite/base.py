"""Django's SQLite backend, with the writing transactions of one process taking turns.

With `transaction_mode: IMMEDIATE` every transaction asks SQLite for the write lock at BEGIN, and
SQLite's busy handler makes waiters poll with growing sleeps: under many threads a newcomer can
keep winning while an old waiter times out ("database is locked"). Waiting on a lock in the process
first queues them properly; SQLite's own timeout still covers other processes.
"""

import threading

from django.db.backends.sqlite3 import base

_writer = threading.Lock()


class DatabaseWrapper(base.DatabaseWrapper):
    _holds_writer = False

    def _start_transaction_under_autocommit(self):
        timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 20))
        # Past the timeout go ahead anyway, and let SQLite's busy handler decide.
        self._holds_writer = _writer.acquire(timeout=timeout)
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_writer()
            raise

    def _release_writer(self) -> None:
        if self._holds_writer:
            self._holds_writer = False
            _writer.release()

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._release_writer()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._release_writer()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._release_writer()
