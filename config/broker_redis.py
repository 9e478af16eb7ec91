"""kombu's Redis transport, with a worker renewing the lease of the messages it holds unacknowledged.

Redis has no connection that dies with a worker: kombu keeps each message a worker took in an
"unacked" set, with the time it was taken, and any consumer queues again those older than
`visibility_timeout`. Long enough for the longest task, that is hours before a killed worker's task
comes back; short, and a task still running is handed to a second worker. So each worker process that
consumes renews, every third of the timeout, the time of every message it holds: a live worker's
messages never come back, a dead worker's come back one timeout after it died.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref

from kombu.transport import redis

logger = logging.getLogger(__name__)

# Short, since a live worker renews its messages' leases: a dead worker's come back within this, plus
# the sweep (every `unacked_restore_interval` seconds when the throttle is 1).
TRANSPORT_OPTIONS = {"visibility_timeout": 30, "unacked_restore_interval": 5, "unacked_restore_throttle": 1}


class QoS(redis.QoS):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._renewer: threading.Thread | None = None

    def append(self, message, delivery_tag):
        super().append(message, delivery_tag)
        if self._renewer is None:
            # A thread, not a timer on the worker's event loop: a solo pool runs tasks on that loop.
            self._renewer = threading.Thread(
                target=_renew_leases, args=(weakref.ref(self),), name="redis-lease", daemon=True
            )
            self._renewer.start()

    def renew_leases(self) -> int:
        """Gives every message held here unacknowledged the time now; returns how many."""
        try:
            tags = [tag for tag in list(self._delivered) if tag not in self._dirty]
        except RuntimeError:  # the consuming thread changed it meanwhile: the next round renews
            return 0
        if not tags:
            return 0
        now = time.time()
        with self.channel.conn_or_acquire() as client:
            # xx: only the tags still there; one acknowledged or given back meanwhile is not added again.
            client.zadd(self.unacked_index_key, dict.fromkeys(tags, now), xx=True)
        return len(tags)


def _renew_leases(qos_ref: weakref.ref) -> None:
    while True:
        qos = qos_ref()
        if qos is None or qos.channel.closed:
            return
        every = qos.visibility_timeout / 3
        try:
            qos.renew_leases()
        except Exception:
            logger.warning("Could not renew the leases of unacknowledged messages", exc_info=True)
        del qos
        time.sleep(every)


class Channel(redis.Channel):
    QoS = QoS


class Transport(redis.Transport):
    Channel = Channel
