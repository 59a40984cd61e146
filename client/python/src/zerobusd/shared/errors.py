"""Errors: the protocol's error codes, the client's own codes, and the exceptions raised.

The exception classes keep the official SDK's names and hierarchy: ``ZerobusException`` for
failures a retry may fix, ``NonRetriableException`` (a subclass) for those it cannot. Each also
carries the zerobusd error code, its name and, for a batch, the failed records.
"""

from enum import IntEnum
from typing import List, Optional, Sequence


class ErrorCode(IntEnum):
    """Wire error codes (docs/protocol.md section 10) and the client's own (section 15)."""

    OK = 0
    MALFORMED_FRAME = 1
    UNSUPPORTED_VERSION = 2
    UNKNOWN_FRAME_TYPE = 3
    FRAME_TOO_LARGE = 4
    HANDSHAKE_REQUIRED = 5
    UNKNOWN_TABLE = 6
    PERMISSION_DENIED = 7
    UNKNOWN_HANDLE = 8
    SEQUENCE_GAP = 9
    TOO_MANY_RECORDS = 10
    INVALID_RECORD = 11
    RECORD_TYPE_MISMATCH = 12
    RECORD_TOO_LARGE = 13
    UPSTREAM_UNAVAILABLE = 14
    UPSTREAM_REJECTED = 15
    SHUTTING_DOWN = 16
    TIMEOUT = 17
    LIMIT_EXCEEDED = 18
    INTERNAL = 19
    # Never on the wire: raised by this client (same numbers as the C++ client).
    CONNECTION_LOST = 1000
    NOT_CONNECTED = 1001
    WAIT_TIMEOUT = 1002
    CLOSED = 1003
    INVALID_ARGUMENT = 1004
    WOULD_BLOCK = 1005
    PROTOCOL_ERROR = 1006


# The protocol's default "retriable" per code, for frames that carry no flag (OPEN_RESULT,
# FLUSHED). Codes a later daemon may add are treated as not retriable.
_RETRIABLE = frozenset(
    {
        ErrorCode.UPSTREAM_UNAVAILABLE,
        ErrorCode.SHUTTING_DOWN,
        ErrorCode.TIMEOUT,
        ErrorCode.LIMIT_EXCEEDED,
        ErrorCode.INTERNAL,
        ErrorCode.CONNECTION_LOST,
        ErrorCode.NOT_CONNECTED,
        ErrorCode.WAIT_TIMEOUT,
        ErrorCode.WOULD_BLOCK,
        ErrorCode.PROTOCOL_ERROR,
    }
)


def code_name(code: int) -> str:
    """``"INVALID_RECORD"`` for 11; ``"UNKNOWN_ERROR_CODE"`` for codes this client does not know."""
    try:
        return ErrorCode(code).name
    except ValueError:
        return "UNKNOWN_ERROR_CODE"


def default_retriable(code: int) -> bool:
    return code in _RETRIABLE


def _known_code(code: int) -> int:
    """``code`` as an ``ErrorCode``, or the plain int for a code this client does not know."""
    try:
        return ErrorCode(code)
    except ValueError:
        return code


class RecordFailure:
    """Records ``first_index .. first_index + count - 1`` of one ingest call failed.

    ``first_index`` counts within the call (0 for ``ingest_record``). ``code`` is the protocol's
    error code (an ``ErrorCode``, or a plain int for a code this client does not know),
    ``code_name`` its name, ``message`` the daemon's explanation, and ``retriable`` whether
    sending the same record again may succeed.
    """

    __slots__ = ("first_index", "count", "code", "code_name", "message", "retriable")

    def __init__(self, first_index: int, count: int, code: int, message: str, retriable: bool):
        self.first_index = first_index
        self.count = count
        self.code = _known_code(code)
        self.code_name = code_name(code)
        self.message = message
        self.retriable = retriable

    def indices(self) -> range:
        return range(self.first_index, self.first_index + self.count)

    def __repr__(self) -> str:
        last = self.first_index + self.count - 1
        where = f"[{self.first_index}]" if self.count == 1 else f"[{self.first_index}..{last}]"
        kind = "retriable" if self.retriable else "not retriable"
        return f"{where} {self.code_name} ({kind}): {self.message}"


class ZerobusException(Exception):
    """A failure that retrying may fix (the official SDK's base exception).

    Attributes: ``code`` (``ErrorCode`` or int), ``code_name``, ``retriable``, ``failures``
    (the ``RecordFailure`` list when records of an ingest call failed, else empty) and
    ``cause`` (an underlying exception, if any).
    """

    def __init__(
        self,
        message: str,
        cause: Optional[BaseException] = None,
        *,
        code: int = ErrorCode.INTERNAL,
        failures: Sequence[RecordFailure] = (),
    ):
        super().__init__(message)
        self.cause = cause
        self.code = _known_code(code)
        self.code_name = code_name(code)
        self.failures: List[RecordFailure] = list(failures)

    @property
    def retriable(self) -> bool:
        return not isinstance(self, NonRetriableException)


class NonRetriableException(ZerobusException):
    """A failure that the same request will hit again (bad record, unknown table, closed stream)."""


def make_error(code: int, message: str, retriable: Optional[bool] = None, cause=None, failures=()):
    """The exception for ``code``: NonRetriableException unless the error is retriable."""
    if retriable is None:
        retriable = default_retriable(code)
    cls = ZerobusException if retriable else NonRetriableException
    text = f"{code_name(code)}: {message}" if message else code_name(code)
    return cls(text, cause, code=code, failures=failures)


def failures_error(failures: Sequence[RecordFailure], total: int):
    """One exception summarising the failed records of an ingest call of ``total`` records."""
    failed = sum(f.count for f in failures)
    shown = "; ".join(repr(f) for f in failures[:3])
    more = f"; ... {len(failures) - 3} more ranges" if len(failures) > 3 else ""
    message = f"{failed} of {total} records failed: {shown}{more}"
    retriable = all(f.retriable for f in failures)
    cls = ZerobusException if retriable else NonRetriableException
    return cls(message, code=failures[0].code, failures=failures)
