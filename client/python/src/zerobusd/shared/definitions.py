"""Types shared by the sync and asyncio APIs, named and shaped like ``zerobus.sdk.shared``."""

import os
import sys
from enum import IntEnum
from typing import Any, List, Optional, Tuple

#: The socket used when neither ``ZerobusSdk(socket_path=...)`` nor $ZEROBUSD_SOCKET names one.
DEFAULT_SOCKET_PATH = "/run/zerobusd/zerobusd.sock"


def resolve_socket_path(socket_path: Optional[str]) -> str:
    """The explicit path, else $ZEROBUSD_SOCKET, else the default (docs/protocol.md section 2)."""
    if isinstance(socket_path, str) and "://" in socket_path:
        raise ValueError(
            f"ZerobusSdk takes zerobusd's socket path, not an endpoint ({socket_path!r}): the "
            "Zerobus endpoint and workspace URL belong in the daemon's configuration"
        )
    if socket_path:
        return os.fspath(socket_path)
    return os.environ.get("ZEROBUSD_SOCKET") or DEFAULT_SOCKET_PATH


def default_client_name() -> str:
    """``python:<program>``, shown in the daemon's logs and metrics (at most 256 bytes)."""
    program = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "python"
    return f"python:{program}".encode("utf-8")[:256].decode("utf-8", "ignore")


class RecordType(IntEnum):
    """How records are encoded. Values of PROTO and JSON are the wire's record_type."""

    UNSPECIFIED = 0  # inferred: PROTO with a descriptor in TableProperties, else JSON
    PROTO = 1
    JSON = 2
    AVRO = 3  # accepted by the name only: zerobusd has no Avro tables (create_stream refuses it)


class StreamState(IntEnum):
    """A stream's state, as the official SDK's ``StreamState``."""

    UNINITIALIZED = 0
    OPENED = 1
    FLUSHING = 2
    CLOSED = 3
    RECOVERING = 4
    FAILED = 5


class TableProperties:
    """The target table. ``descriptor_proto`` is accepted and ignored: zerobusd validates records
    against the schema in its own configuration, so the producer never sends one."""

    def __init__(self, table_name: str, descriptor_proto: Any = None, avro_schema: Optional[str] = None):
        if not isinstance(table_name, str) or not table_name:
            raise ValueError("table_name must be a non-empty 'catalog.schema.table' string")
        self.table_name = table_name
        self.descriptor_proto = descriptor_proto
        self.avro_schema = avro_schema

    @property
    def record_format(self) -> str:
        if self.avro_schema is not None:
            return "avro"
        return "proto" if self.descriptor_proto is not None else "json"

    def __repr__(self) -> str:
        return f"TableProperties(table_name={self.table_name!r}, record_format={self.record_format!r})"


class AckCallback:
    """Subclass and pass as ``StreamConfigurationOptions(ack_callback=...)``.

    Called once per ingest call (a batch gets one call) when it completes: ``on_ack(offset)``
    when every record is durable, ``on_error(offset, message)`` when any failed. Runs on the
    client's reader thread (sync) or the event loop (asyncio): it must not block. Exceptions it
    raises are logged and dropped. A failure delivered here counts as seen: ``flush()`` does not
    raise it again.
    """

    def on_ack(self, offset: int) -> None:
        pass

    def on_error(self, offset: int, error_message: str) -> None:
        pass


class HeadersProvider:
    """Accepted for source compatibility and ignored: the daemon holds the credentials."""

    def get_headers(self) -> List[Tuple[str, str]]:
        return []


_MiB = 1024 * 1024


class StreamConfigurationOptions:
    """Stream options. Takes every option of the official SDK (same names, same positional
    order); those that mean nothing for a local daemon are kept and ignored. See
    docs/python-client.md for what each does here. zerobusd's own options are keyword-only.
    Unknown names raise TypeError, so a typo never silently means "the default"."""

    def __init__(
        self,
        max_inflight_records: int = 1_000_000,
        recovery: bool = True,
        recovery_timeout_ms: int = 15000,
        recovery_backoff_ms: int = 2000,
        recovery_retries: int = 4,
        server_lack_of_ack_timeout_ms: int = 60000,
        flush_timeout_ms: int = 300000,
        record_type: RecordType = RecordType.UNSPECIFIED,
        stream_paused_max_wait_time_ms: Optional[int] = None,
        callback_max_wait_time_ms: Optional[int] = 5000,
        ack_callback: Optional[AckCallback] = None,
        *,
        max_message_size_bytes: Optional[int] = None,
        connect_timeout_ms: int = 5000,
        max_inflight_bytes: int = 64 * _MiB,
        ingest_block_timeout_ms: int = 60000,
        client_name: Optional[str] = None,
    ):
        # Used (see docs/python-client.md for the exact mapping).
        self.max_inflight_records = max_inflight_records
        self.recovery = recovery
        self.recovery_timeout_ms = recovery_timeout_ms
        self.recovery_backoff_ms = recovery_backoff_ms
        self.recovery_retries = recovery_retries
        self.flush_timeout_ms = flush_timeout_ms
        self.record_type = RecordType(record_type)
        self.ack_callback = ack_callback
        # Accepted and ignored: the daemon tracks the service's acks, close signals and sizes.
        self.server_lack_of_ack_timeout_ms = server_lack_of_ack_timeout_ms
        self.stream_paused_max_wait_time_ms = stream_paused_max_wait_time_ms
        self.callback_max_wait_time_ms = callback_max_wait_time_ms
        self.max_message_size_bytes = max_message_size_bytes
        # zerobusd's own.
        self.connect_timeout_ms = connect_timeout_ms
        self.max_inflight_bytes = max_inflight_bytes
        self.ingest_block_timeout_ms = ingest_block_timeout_ms
        self.client_name = client_name
        self._check()

    def _check(self) -> None:
        positive = {
            "max_inflight_records": self.max_inflight_records,
            "max_inflight_bytes": self.max_inflight_bytes,
            "connect_timeout_ms": self.connect_timeout_ms,
            "flush_timeout_ms": self.flush_timeout_ms,
            "ingest_block_timeout_ms": self.ingest_block_timeout_ms,
        }
        for name, value in positive.items():
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{name} must be a positive integer, is {value!r}")
        for name in ("recovery_timeout_ms", "recovery_backoff_ms", "recovery_retries"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{name} must be an integer >= 0, is {value!r}")
        if self.ack_callback is not None and not (
            hasattr(self.ack_callback, "on_ack") or hasattr(self.ack_callback, "on_error")
        ):
            raise ValueError("ack_callback must have on_ack(offset) and/or on_error(offset, message)")
        if self.client_name is not None and len(self.client_name.encode("utf-8")) > 256:
            raise ValueError("client_name must be at most 256 bytes of UTF-8")

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"StreamConfigurationOptions({fields})"
