"""asyncio zerobusd client, shaped like the official ``zerobus.sdk.aio``.

    from zerobusd.aio import ZerobusSdk
    from zerobusd.shared import TableProperties

    sdk = ZerobusSdk()                       # $ZEROBUSD_SOCKET, else /run/zerobusd/zerobusd.sock
    stream = await sdk.create_stream(client_id, client_secret, TableProperties("main.default.air_quality", Desc))
    try:
        ack = await stream.ingest_record(record)   # queued
        await ack                                    # durable
    finally:
        await stream.close()
"""

from typing import Optional

from .. import _api_base
from .._api_base import *  # noqa: F401,F403 - the shared types (_api_base.__all__), re-exported
from ..shared import HeadersProvider, StreamConfigurationOptions, TableProperties, ZerobusException
from ._stream import RecordAcknowledgment, ZerobusStream, logger


class ZerobusSdk(_api_base.SdkBase):
    """Entry point: makes asyncio streams through the local zerobusd.

    ``socket_path``: the daemon's Unix socket; None means $ZEROBUSD_SOCKET, else
    /run/zerobusd/zerobusd.sock. ``client_name`` is shown in the daemon's logs and metrics.
    """

    async def create_stream(
        self,
        client_id: Optional[str] = None,
        client_secret: Optional[str] = None,
        table_properties: Optional[TableProperties] = None,
        options: Optional[StreamConfigurationOptions] = None,
        headers_provider: Optional[HeadersProvider] = None,
        *,
        auth=None,
    ) -> ZerobusStream:
        """As ``zerobusd.sync.ZerobusSdk.create_stream``; credentials are accepted and ignored."""
        stream = self._new_stream(ZerobusStream, table_properties, options)
        await stream._start()
        return stream

    async def recreate_stream(self, old_stream: ZerobusStream) -> ZerobusStream:
        """A new stream with the old one's table and options, re-ingesting its unacknowledged
        records (they may land twice if their first outcome was unknown)."""
        try:
            await old_stream.close()
        except ZerobusException as e:  # its failures are what is being retried here
            logger.info("zerobusd: closing the stream to recreate: %s", e)
        batches = await old_stream.get_unacked_batches()
        stream = await self.create_stream(None, None, old_stream.table_properties, old_stream.options)
        for batch in batches:
            await stream.ingest_records(batch)
        return stream


__all__ = ["RecordAcknowledgment", "ZerobusSdk", "ZerobusStream"]
__all__ += _api_base.__all__
