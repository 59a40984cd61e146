"""Records -> RECORDS bodies: Python objects to bytes (protobuf messages, dicts, str), then
length-prefixed and joined within the daemon's frame limits. Pure functions."""

import json
import struct
from bisect import bisect_right
from itertools import accumulate, chain
from typing import List

from . import _wire as w
from .shared.errors import ErrorCode, NonRetriableException, make_error

_pack_len = struct.Struct("<I").pack


def _record_type_error(record, json_mode: bool) -> NonRetriableException:
    expected = "a dict, str or bytes (JSON)" if json_mode else "a protobuf message or bytes (PROTO)"
    return make_error(
        ErrorCode.INVALID_ARGUMENT,
        f"this stream takes {expected}, got {type(record).__name__}",
        retriable=False,
    )


def _encode_one(record, json_mode: bool) -> bytes:
    if isinstance(record, bytes):
        return record
    if isinstance(record, (bytearray, memoryview)):
        return bytes(record)
    if json_mode:
        try:
            if isinstance(record, str):
                return record.encode("utf-8")
            if isinstance(record, dict):
                return json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        except (TypeError, ValueError) as e:  # not JSON-serialisable, lone surrogates
            raise make_error(ErrorCode.INVALID_ARGUMENT, f"cannot encode record as JSON: {e}", retriable=False) from e
        raise _record_type_error(record, json_mode)
    serialize = getattr(record, "SerializeToString", None)
    if serialize is None:
        raise _record_type_error(record, json_mode)
    data = serialize()
    if not isinstance(data, bytes):
        raise make_error(ErrorCode.INVALID_ARGUMENT, "SerializeToString() did not return bytes", retriable=False)
    return data


def encode_records(records, json_mode: bool) -> list:
    """The records as a list of bytes. Lists of bytes (or of str, for JSON) take a fast path
    with no Python-level work per record."""
    if not isinstance(records, list):
        records = list(records)
    kinds = set(map(type, records))
    if kinds == {bytes}:
        return records[:]  # our own list: the caller may reuse theirs
    if json_mode and kinds == {str}:
        try:
            return list(map(str.encode, records))
        except UnicodeEncodeError as e:
            raise make_error(ErrorCode.INVALID_ARGUMENT, f"record is not valid UTF-8 text: {e}", retriable=False) from e
    return [_encode_one(r, json_mode) for r in records]


class ChunkSpec:
    """Records [index, index + count) of one ingest call, encoded as one RECORDS body."""

    __slots__ = ("index", "count", "nbytes", "body", "records")

    def __init__(self, index, count, nbytes, body, records):
        self.index, self.count, self.nbytes, self.body, self.records = index, count, nbytes, body, records


def make_chunks(records: list, max_records: int, max_frame_bytes: int) -> List[ChunkSpec]:
    """Splits encoded records into bodies that each fit one RECORDS frame. Raises for a record
    that cannot fit any frame (nothing of the call is taken then)."""
    max_body = max_frame_bytes - w.RECORDS_FIXED
    lens = list(map(len, records))
    biggest = max(lens)
    if biggest + w.RECORD_PREFIX > max_body:
        index = lens.index(biggest)
        raise make_error(
            ErrorCode.RECORD_TOO_LARGE,
            f"record {index} is {biggest} bytes; the daemon's frame limit allows at most "
            f"{max_body - w.RECORD_PREFIX}",
            retriable=False,
        )
    n = len(records)
    nbytes = sum(lens)
    if n <= max_records and nbytes + w.RECORD_PREFIX * n <= max_body:
        body = b"".join(chain.from_iterable(zip(map(_pack_len, lens), records)))
        return [ChunkSpec(0, n, nbytes, body, records)]
    ends = list(accumulate(x + w.RECORD_PREFIX for x in lens))  # body bytes up to each record
    chunks = []
    start = 0
    base = 0
    while start < n:
        end = bisect_right(ends, base + max_body, start, min(n, start + max_records))
        part = records[start:end]
        body = b"".join(chain.from_iterable(zip(map(_pack_len, lens[start:end]), part)))
        chunks.append(ChunkSpec(start, end - start, ends[end - 1] - base - w.RECORD_PREFIX * (end - start), body, part))
        base = ends[end - 1]
        start = end
    return chunks
