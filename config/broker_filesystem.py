"""kombu's filesystem transport (the embedded broker), with a message a worker took and did not acknowledge
given back when that worker dies.

kombu's own deletes a message's file when a worker takes it, before the task runs: a worker killed
mid-task (kill -9, the OOM killer) loses it, acks_late or not. Here a worker moves the file into a
processing folder and holds a lock on it until it acknowledges (the file is deleted) or gives it back
(rejected with requeue, or unacknowledged at a warm shutdown: queued again). The kernel drops the lock
when the process dies, however it dies; every consumer looks through the processing folder every few
seconds and moves a file it can lock back to the queue, where its old name sorts it first.

The locks are POSIX record locks (fcntl), not flock: a forked pool child does not inherit them, so a
worker whose main process is killed gives its messages back at once, as RabbitMQ does when the
connection drops. A process drops all its record locks on a file when it closes any descriptor of that
file, so a process never opens a file it holds (`_taken`, under `_mutex`).

`store_processed` is not supported: an acknowledged message's file is deleted.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
import uuid
from functools import cached_property
from pathlib import Path
from typing import BinaryIO

from kombu.exceptions import ChannelError
from kombu.transport import filesystem, virtual
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

# The messages this process holds, by delivery tag: their files in processing, open and locked. Kept for
# the process, not a channel: a message may be acknowledged through another channel than took it. The
# lock guards taking, releasing and reclaiming among the process's threads.
_taken: dict[str, tuple[str, BinaryIO]] = {}
_mutex = threading.Lock()


def transport_options(folder: Path) -> dict:
    """The transport's folders under `folder`."""
    return {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        "processing_folder": str(folder / "processing"),
        "control_folder": str(folder / "control"),
        "store_processed": False,
    }


class QoS(virtual.QoS):
    def ack(self, delivery_tag):
        self.channel.release(delivery_tag)
        super().ack(delivery_tag)

    def reject(self, delivery_tag, requeue=False):
        # With requeue the message is put back (Channel._restore) before its file is released.
        super().reject(delivery_tag, requeue=requeue)
        self.channel.release(delivery_tag)


class Channel(filesystem.Channel):
    QoS = QoS
    # Seconds between looks through the processing folder for messages whose worker died.
    reclaim_interval = 2.0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._no_ack_queues: set[str] = set()
        self._reclaimed_at = float("-inf")

    @cached_property
    def processing_folder(self) -> str:
        folder = self.transport_options.get("processing_folder") or os.path.join(self.data_folder_in, "processing")
        os.makedirs(folder, exist_ok=True)
        return folder

    def basic_consume(self, queue, no_ack, *args, **kwargs):
        if no_ack:
            self._no_ack_queues.add(queue)
        return super().basic_consume(queue, no_ack, *args, **kwargs)

    def basic_get(self, queue, no_ack=False, **kwargs):
        message = super().basic_get(queue, no_ack=no_ack, **kwargs)
        if message is not None and no_ack:
            self.release(message.delivery_tag)
        return message

    def _put(self, queue, payload, **kwargs):
        # Written under another name and renamed: a consumer never reads half a message. Fixed-width
        # wall-clock names sort in the order messages were sent.
        name = f"{time.time_ns():020d}_{uuid.uuid4()}.{queue}.msg"
        path = os.path.join(self.data_folder_out, name)
        try:
            with open(f"{path}.part", "wb") as file:
                file.write(str_to_bytes(dumps(payload)))
            os.rename(f"{path}.part", path)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {path!r} to directory") from exc

    def _get(self, queue):
        if time.monotonic() - self._reclaimed_at >= self.reclaim_interval:
            self.reclaim()
        wanted = f"{queue}.msg"
        for name in sorted(os.listdir(self.data_folder_in)):
            if name.partition(".")[2] != wanted:
                continue
            payload = self._take(name)
            if payload is None:
                continue
            if queue in self._no_ack_queues:
                self.release(payload["properties"]["delivery_tag"])
            return payload
        raise filesystem.Empty()

    def _take(self, name: str) -> dict | None:
        """Moves a queued message's file to the processing folder, locked, and reads it; None if another
        consumer has it."""
        source = os.path.join(self.data_folder_in, name)
        path = os.path.join(self.processing_folder, name)
        with _mutex:
            try:
                file = open(source, "rb+")  # noqa: SIM115 (held open, and locked, until the message is done)
            except FileNotFoundError:
                return None
            try:
                fcntl.lockf(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                # The name is the claim: of consumers that locked it in turn, one renames it.
                os.rename(source, path)
            except OSError:
                file.close()
                return None
            try:
                payload = loads(bytes_to_str(file.read()))
            except (OSError, ValueError) as exc:
                raise ChannelError(f"Cannot read file {path!r} from queue.") from exc
            _taken[payload["properties"]["delivery_tag"]] = (path, file)
        return payload

    def release(self, delivery_tag: str) -> None:
        """The message is done with here (acknowledged, rejected or put back): its file goes."""
        with _mutex:
            entry = _taken.pop(delivery_tag, None)
            if entry is None:
                return
            path, file = entry
            Path(path).unlink(missing_ok=True)
            file.close()

    def _restore(self, message):
        super()._restore(message)
        self.release(message.delivery_tag)

    def reclaim(self) -> list[str]:
        """Queues again every message in processing whose worker is gone (its lock is free); returns their
        file names."""
        self._reclaimed_at = time.monotonic()
        reclaimed = []
        with _mutex:
            held = {path for path, _ in _taken.values()}
            for name in sorted(os.listdir(self.processing_folder)):
                path = os.path.join(self.processing_folder, name)
                if path in held or not name.endswith(".msg"):
                    continue
                try:
                    file = open(path, "rb+")  # noqa: SIM115
                except FileNotFoundError:
                    continue
                with file:
                    try:
                        fcntl.lockf(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except OSError:
                        continue  # its worker is alive
                    try:
                        os.rename(path, os.path.join(self.data_folder_in, name))
                    except FileNotFoundError:
                        continue  # acknowledged, or reclaimed by another consumer
                reclaimed.append(name)
        return reclaimed


class Transport(filesystem.Transport):
    Channel = Channel
