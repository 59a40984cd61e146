"""Synchronous zerobusd client, shaped like the official ``zerobus.sdk.sync``.

    from zerobusd.sync import ZerobusSdk
    from zerobusd.shared import RecordType, StreamConfigurationOptions, TableProperties

    sdk = ZerobusSdk()                       # $ZEROBUSD_SOCKET, else /run/zerobusd/zerobusd.sock
    options = StreamConfigurationOptions(record_type=RecordType.JSON)
    stream = sdk.create_stream(client_id, client_secret, TableProperties("main.default.events"), options)
    try:
        ack = stream.ingest_record({"id": 1, "kind": "click"})
        ack.wait_for_ack()
    finally:
        stream.close()
"""

from typing import Optional

from .. import _api_base
from .._api_base import *  # noqa: F401,F403 - the shared types (_api_base.__all__), re-exported
from ..shared import HeadersProvider, StreamConfigurationOptions, TableProperties, ZerobusException
from ._stream import RecordAcknowledgment, ZerobusStream, logger


class ZerobusSdk(_api_base.SdkBase):
    """Entry point: makes streams through the local zerobusd.

    ``socket_path``: the daemon's Unix socket; None means $ZEROBUSD_SOCKET, else
    /run/zerobusd/zerobusd.sock. ``client_name`` is shown in the daemon's logs and metrics.
    """

    def create_stream(
        self,
        client_id: Optional[str] = None,
        client_secret: Optional[str] = None,
        table_properties: Optional[TableProperties] = None,
        options: Optional[StreamConfigurationOptions] = None,
        headers_provider: Optional[HeadersProvider] = None,
        *,
        auth=None,
    ) -> ZerobusStream:
        """Connects to zerobusd and opens ``table_properties.table_name``.

        The official SDK's positional shape. ``client_id``, ``client_secret``,
        ``headers_provider`` and ``auth`` are accepted and ignored: the daemon holds the
        credentials. Raises NonRetriableException for an unknown table or a record type the
        table does not take, ZerobusException when zerobusd cannot be reached.
        """
        stream = self._new_stream(ZerobusStream, table_properties, options)
        stream._start()
        return stream

    def recreate_stream(self, old_stream: ZerobusStream) -> ZerobusStream:
        """A new stream with the old one's table and options, into which the old stream's
        unacknowledged records (get_unacked_batches) are ingested again. Closes the old stream
        first if needed. Those records may land twice if their first outcome was unknown."""
        try:
            old_stream.close()
        except ZerobusException as e:  # its failures are what is being retried here
            logger.info("zerobusd: closing the stream to recreate: %s", e)
        batches = old_stream.get_unacked_batches()
        stream = self.create_stream(None, None, old_stream.table_properties, old_stream.options)
        for batch in batches:
            stream.ingest_records_nowait(batch)
        return stream


__all__ = ["RecordAcknowledgment", "ZerobusSdk", "ZerobusStream"]
__all__ += _api_base.__all__
