"""Python client of zerobusd, the local ingestion daemon for Databricks Zerobus.

Pure Python (standard library only). It speaks zerobusd's local protocol (docs/protocol.md)
over the daemon's Unix socket; the API follows the official Zerobus Python SDK:
``zerobusd.sync`` / ``zerobusd.aio`` / ``zerobusd.shared`` mirror ``zerobus.sdk.sync`` /
``zerobus.sdk.aio`` / ``zerobus.sdk.shared``. See docs/python-client.md.
"""

from .shared import (
    AckCallback,
    ErrorCode,
    NonRetriableException,
    RecordFailure,
    RecordType,
    StreamConfigurationOptions,
    StreamState,
    TableProperties,
    ZerobusException,
)

__version__ = "0.1.0"

__all__ = [
    "AckCallback",
    "ErrorCode",
    "NonRetriableException",
    "RecordFailure",
    "RecordType",
    "StreamConfigurationOptions",
    "StreamState",
    "TableProperties",
    "ZerobusException",
    "__version__",
]
