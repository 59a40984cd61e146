"""What the public classes of ``zerobusd.sync`` and ``zerobusd.aio`` share whatever the transport:
ZerobusSdk's constructor and argument checks, ZerobusStream's core and identity,
RecordAcknowledgment's fields. Also the shared types both modules re-export, listed once so the
two cannot drift apart. No I/O here: blocking, locking and awaiting stay in the transports."""

import logging
from typing import Optional

from ._connection import Submission
from ._stream_core import StreamCore
from .shared import (
    AckCallback,
    HeadersProvider,
    NonRetriableException,
    RecordType,
    StreamConfigurationOptions,
    StreamState,
    TableProperties,
    ZerobusException,
)
from .shared.definitions import default_client_name, resolve_socket_path

# What ``from .._api_base import *`` gives zerobusd.sync and zerobusd.aio: the types of
# zerobusd.shared that they re-export, as the official SDK's sync and aio modules do.
__all__ = [
    "AckCallback",
    "HeadersProvider",
    "NonRetriableException",
    "RecordType",
    "StreamConfigurationOptions",
    "StreamState",
    "TableProperties",
    "ZerobusException",
]

logger = logging.getLogger("zerobusd")


class SdkBase:
    """ZerobusSdk without its transport: where the daemon is and how streams are made."""

    def __init__(self, socket_path: Optional[str] = None, *, client_name: Optional[str] = None):
        self.socket_path = resolve_socket_path(socket_path)
        self.client_name = client_name

    def _new_stream(self, stream_class, table_properties: Optional[TableProperties], options):
        """create_stream's stream, not yet connected."""
        if table_properties is None:
            raise ValueError("table_properties is required")
        return stream_class(self.socket_path, table_properties, options or StreamConfigurationOptions(), self.client_name)


class StreamBase:
    """ZerobusStream without its transport: the protocol core, the name the daemon shows, and
    what can be read without waiting."""

    def __init__(self, socket_path: str, table_properties, options, client_name: Optional[str]):
        self._path = socket_path
        self._core = StreamCore(table_properties, options, logger)
        self._client_name = options.client_name or client_name or default_client_name()
        self.table_properties = table_properties
        self.options = options

    def get_state(self) -> StreamState:
        return self._core.state

    @property
    def stream_id(self) -> str:
        conn = self._core.conn
        return f"zerobusd:{self._core.table}:{conn.handle if conn else 0}"


class AckBase:
    """RecordAcknowledgment without its waits: the ingest call it reports on."""

    __slots__ = ("_stream", "_sub")

    def __init__(self, stream: "ZerobusStream", sub: Submission):  # noqa: F821 - sync or aio ZerobusStream
        self._stream = stream
        self._sub = sub

    @property
    def offset(self) -> int:
        return self._sub.offset

    @property
    def record_count(self) -> int:
        return self._sub.count

    def is_done(self) -> bool:
        return self._sub.done

    def __repr__(self) -> str:
        state = "done" if self._sub.done else "pending"
        return f"RecordAcknowledgment(offset={self._sub.offset}, records={self._sub.count}, {state})"
