"""Types shared by ``zerobusd.sync`` and ``zerobusd.aio`` (the official SDK's ``zerobus.sdk.shared``)."""

from .definitions import (
    DEFAULT_SOCKET_PATH,
    AckCallback,
    HeadersProvider,
    RecordType,
    StreamConfigurationOptions,
    StreamState,
    TableProperties,
)
from .errors import ErrorCode, NonRetriableException, RecordFailure, ZerobusException

__all__ = [
    "DEFAULT_SOCKET_PATH",
    "AckCallback",
    "ErrorCode",
    "HeadersProvider",
    "NonRetriableException",
    "RecordFailure",
    "RecordType",
    "StreamConfigurationOptions",
    "StreamState",
    "TableProperties",
    "ZerobusException",
]
