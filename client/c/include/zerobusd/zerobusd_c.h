/* zerobusd C API (ABI version 1): hand records to a local zerobusd over its Unix socket from C
 * or any language with a C FFI. A thin layer over the C++ client (zerobusd/client.h); the
 * reference with ownership, threading and binding notes is docs/c-api.md.
 *
 * Conventions, for every function below:
 * - Functions that can fail return an int: ZBD_OK (0) or a zbd_error_code. If `err` is not
 *   NULL it is filled on every call: code, retriable flag and a NUL-terminated message (empty on
 *   success). The caller owns the zbd_error; the library keeps no per-thread "last error".
 * - A NULL or unusable argument fails with ZBD_ERR_INVALID_ARGUMENT; it never crashes. On
 *   failure, out-parameters are set to NULL / 0 where the function has them.
 * - Handles (zbd_client, zbd_table, zbd_ack) are created by this library and freed only with
 *   their zbd_*_free function. They are independent: free them in any order (a table or ack
 *   keeps what it needs alive). Every function is thread-safe, except that a handle must not
 *   be freed while another thread still uses it.
 * - Strings returned as `const char*` are owned by the library (lifetime stated per function);
 *   strings returned through `char**` are the caller's, freed with zbd_string_free().
 * - Timeouts are in milliseconds. No C++ exception ever crosses this API.
 */
#ifndef ZEROBUSD_ZEROBUSD_C_H
#define ZEROBUSD_ZEROBUSD_C_H

#include <stddef.h>
#include <stdint.h>

#if defined(ZEROBUSD_C_BUILDING)
#define ZBD_API __attribute__((visibility("default")))
#else
#define ZBD_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped only for incompatible changes (it is the shared library's SONAME version). */
#define ZBD_ABI_VERSION 1

/* Error codes. 1..999 come from the daemon (docs/protocol.md §10); 1000 and up are raised by
 * the client library. zbd_error_code_name() gives each one's name. */
typedef enum zbd_error_code {
  ZBD_OK = 0,
  ZBD_ERR_MALFORMED_FRAME = 1,
  ZBD_ERR_UNSUPPORTED_VERSION = 2,
  ZBD_ERR_UNKNOWN_FRAME_TYPE = 3,
  ZBD_ERR_FRAME_TOO_LARGE = 4,
  ZBD_ERR_HANDSHAKE_REQUIRED = 5,
  ZBD_ERR_UNKNOWN_TABLE = 6,
  ZBD_ERR_PERMISSION_DENIED = 7,
  ZBD_ERR_UNKNOWN_HANDLE = 8,
  ZBD_ERR_SEQUENCE_GAP = 9,
  ZBD_ERR_TOO_MANY_RECORDS = 10,
  ZBD_ERR_INVALID_RECORD = 11,
  ZBD_ERR_RECORD_TYPE_MISMATCH = 12,
  ZBD_ERR_RECORD_TOO_LARGE = 13,
  ZBD_ERR_UPSTREAM_UNAVAILABLE = 14,
  ZBD_ERR_UPSTREAM_REJECTED = 15,
  ZBD_ERR_SHUTTING_DOWN = 16,
  ZBD_ERR_TIMEOUT = 17,
  ZBD_ERR_LIMIT_EXCEEDED = 18,
  ZBD_ERR_INTERNAL = 19,
  /* The connection broke while the record was pending: it may still land (a retry may
   * duplicate it). Retriable. */
  ZBD_ERR_CONNECTION_LOST = 1000,
  /* Connecting or the handshake failed; nothing was sent. Retriable. */
  ZBD_ERR_NOT_CONNECTED = 1001,
  /* A wait ran out of time; the operation goes on (the records are still pending). */
  ZBD_ERR_WAIT_TIMEOUT = 1002,
  /* The table or client was closed. */
  ZBD_ERR_CLOSED = 1003,
  /* A NULL or unusable argument, or a call not allowed here (a wait inside a callback). */
  ZBD_ERR_INVALID_ARGUMENT = 1004,
  /* The flow-control queue is full and the call could not block: nothing was taken. */
  ZBD_ERR_WOULD_BLOCK = 1005,
  /* The daemon broke the protocol; the connection was dropped. */
  ZBD_ERR_PROTOCOL_ERROR = 1006
} zbd_error_code;

/* Capacity of zbd_error.message, terminator included; longer messages are cut (at a UTF-8
 * character boundary). */
#define ZBD_ERROR_MESSAGE_SIZE 512

/* Why a call (or a record) failed. Owned by the caller; the library only writes into it. */
typedef struct zbd_error {
  int code;                             /* a zbd_error_code; ZBD_OK on success */
  int retriable;                        /* 1 if retrying the same thing may succeed */
  char message[ZBD_ERROR_MESSAGE_SIZE]; /* UTF-8, NUL-terminated; "" on success */
} zbd_error;

/* How a table's records are encoded: serialized protobuf messages of the table's schema, or
 * UTF-8 JSON objects. */
typedef enum zbd_record_type { ZBD_RECORD_PROTO = 1, ZBD_RECORD_JSON = 2 } zbd_record_type;

/* Which acknowledgements the client asks for. ACCEPTED only: records are final once the daemon
 * owns them (zbd_ack_wait_durable is then unavailable; use zbd_ack_wait). */
typedef enum zbd_ack_levels {
  ZBD_ACK_ACCEPTED = 1,
  ZBD_ACK_DURABLE = 2,
  ZBD_ACK_BOTH = 3
} zbd_ack_levels;

/* Connection options. Always start from zbd_client_options_init(), which sets struct_size and
 * every default; then change fields. struct_size lets later ABI-compatible versions append
 * fields: the library reads only the first struct_size bytes and defaults the rest. */
typedef struct zbd_client_options {
  size_t struct_size; /* sizeof(zbd_client_options) of the caller's header */
  /* The daemon's socket; NULL or "": $ZEROBUSD_SOCKET, else /run/zerobusd/zerobusd.sock.
   * Copied by zbd_client_connect. */
  const char* socket_path;
  /* Shown in the daemon's logs and metrics: NULL or at most 256 bytes of UTF-8. Copied. */
  const char* client_name;
  int ack_levels;              /* a zbd_ack_levels; default ZBD_ACK_BOTH */
  uint32_t connect_timeout_ms; /* connect + handshake, and open_table's wait; > 0; 5000 */
  uint32_t close_timeout_ms;   /* zbd_client_free's wait for pending records; 5000 */
  uint32_t block_timeout_ms;   /* how long a full queue may block an ingest; 60000 */
  /* Records / bytes that may wait inside the client beyond the daemon's window (0: none). */
  uint64_t max_queued_records;
  uint64_t max_queued_bytes;
} zbd_client_options;

typedef struct zbd_client zbd_client; /* a connection to the daemon (reconnects on demand) */
typedef struct zbd_table zbd_table;   /* an open table */
typedef struct zbd_ack zbd_ack;       /* the outcome of one ingest call (one or more records) */

/* The outcome of an ingest call so far (final once zbd_ack_is_done). */
typedef struct zbd_outcome {
  size_t records;       /* records the call covered */
  size_t failed;        /* how many of them failed; the others are durable (or accepted) */
  size_t failure_count; /* failed ranges, read with zbd_ack_failure(0 .. failure_count-1) */
} zbd_outcome;

/* Records [first_index, first_index + count) of an ingest call failed with `error`. */
typedef struct zbd_failure {
  size_t first_index;
  size_t count;
  zbd_error error;
} zbd_failure;

/* Called once with the final outcome of `ack`: on the client's I/O thread, or at once on the
 * registering thread if the ack is already done. `ack` is borrowed: valid only during the
 * call, not to be freed. Must not block: waits, flushes and closes inside it fail with
 * ZBD_ERR_INVALID_ARGUMENT (zbd_ack_outcome / zbd_ack_failure are fine). */
typedef void (*zbd_done_fn)(const zbd_ack* ack, void* user_data);

/* ------------------------------------------------------------------ library */

/* ZBD_ABI_VERSION of the loaded library. */
ZBD_API int zbd_abi_version(void);
/* The library's version ("0.1.0"); static storage. */
ZBD_API const char* zbd_version(void);
/* "INVALID_RECORD", "WAIT_TIMEOUT", ...; "OK" for 0, "UNKNOWN_ERROR_CODE" for other values.
 * Static storage: never NULL, never freed. */
ZBD_API const char* zbd_error_code_name(int code);
/* Frees a string this library returned through a char** (NULL is fine). */
ZBD_API void zbd_string_free(char* text);

/* ------------------------------------------------------------------ client */

/* Sets every field to its default (struct_size included). NULL is ignored. */
ZBD_API void zbd_client_options_init(zbd_client_options* options);

/* Connects and performs the handshake. `options` may be NULL (all defaults). On success
 * *out is a new client (free with zbd_client_free). ZBD_ERR_NOT_CONNECTED: no daemon at the
 * socket, or the handshake failed / timed out; ZBD_ERR_INVALID_ARGUMENT: bad options. */
ZBD_API int zbd_client_connect(const zbd_client_options* options, zbd_client** out, zbd_error* err);

/* Opens `name` ("catalog.schema.table", NUL-terminated UTF-8) for records of `record_type`.
 * On success *out is a new table (free with zbd_table_free). The daemon may refuse:
 * ZBD_ERR_UNKNOWN_TABLE, ZBD_ERR_RECORD_TYPE_MISMATCH, ZBD_ERR_PERMISSION_DENIED, ... */
ZBD_API int zbd_client_open_table(zbd_client* client, const char* name, int record_type,
                                  zbd_table** out, zbd_error* err);

/* Waits until every record ingested on this client before the call has its final outcome. OK
 * says the wait finished (records may still have failed: see their acks). */
ZBD_API int zbd_client_flush(zbd_client* client, uint32_t timeout_ms, zbd_error* err);
/* Round trip to the daemon; *rtt_ns (may be NULL) receives the time it took. */
ZBD_API int zbd_client_ping(zbd_client* client, uint32_t timeout_ms, uint64_t* rtt_ns,
                            zbd_error* err);
/* The daemon's status document (JSON). *json_out is the caller's: zbd_string_free() it. */
ZBD_API int zbd_client_status(zbd_client* client, uint32_t timeout_ms, char** json_out,
                              zbd_error* err);
/* 1 if the client currently has a connection, else 0 (NULL: 0). */
ZBD_API int zbd_client_is_connected(const zbd_client* client);
/* Sends what is queued, says goodbye and waits up to timeout_ms for outstanding outcomes;
 * records still pending then fail (ZBD_ERR_CONNECTION_LOST, or ZBD_ERR_CLOSED if never sent).
 * Later calls on the client and its tables fail with ZBD_ERR_CLOSED. Idempotent. */
ZBD_API int zbd_client_close(zbd_client* client, uint32_t timeout_ms, zbd_error* err);
/* Closes (with options.close_timeout_ms) if not closed yet, then frees. NULL is fine. Must not
 * be called from a zbd_done_fn callback. */
ZBD_API void zbd_client_free(zbd_client* client);

/* ------------------------------------------------------------------ table */

/* The table's name; owned by the table, valid until zbd_table_free. NULL table: "". */
ZBD_API const char* zbd_table_name(const zbd_table* table);
/* A zbd_record_type; 0 for a NULL table. */
ZBD_API int zbd_table_record_type(const zbd_table* table);

/* Queues one record (`len` bytes at `record`: serialized protobuf, or JSON text; copied before
 * the call returns) and sets *out to a new ack for it (free with zbd_ack_free). Blocks while the
 * flow-control queue is full, up to options.block_timeout_ms.
 * Returns ZBD_OK when the record was taken: its outcome (durable, or an error such as
 * ZBD_ERR_INVALID_RECORD or ZBD_ERR_CLOSED) is then the ack's. Returns an error, *out NULL and
 * nothing taken, only for invalid arguments and ZBD_ERR_WOULD_BLOCK. */
ZBD_API int zbd_table_ingest(zbd_table* table, const void* record, size_t len, zbd_ack** out,
                             zbd_error* err);
/* Queues `count` records as one unit (one ack; per-record failures in its outcome): record i
 * is lens[i] bytes at records[i]. All or none are taken. Same returns as zbd_table_ingest. */
ZBD_API int zbd_table_ingest_many(zbd_table* table, const void* const* records, const size_t* lens,
                                  size_t count, zbd_ack** out, zbd_error* err);
/* As above, but never block: a full queue fails with ZBD_ERR_WOULD_BLOCK (nothing taken). */
ZBD_API int zbd_table_try_ingest(zbd_table* table, const void* record, size_t len, zbd_ack** out,
                                 zbd_error* err);
ZBD_API int zbd_table_try_ingest_many(zbd_table* table, const void* const* records,
                                      const size_t* lens, size_t count, zbd_ack** out,
                                      zbd_error* err);

/* Waits until every record ingested into this table before the call has its final outcome. */
ZBD_API int zbd_table_flush(zbd_table* table, uint32_t timeout_ms, zbd_error* err);
/* Flushes, then releases the daemon's handle; later ingests' acks fail with ZBD_ERR_CLOSED.
 * Idempotent. */
ZBD_API int zbd_table_close(zbd_table* table, uint32_t timeout_ms, zbd_error* err);
/* Frees the handle (it does not close the table: queued records still go). NULL is fine. */
ZBD_API void zbd_table_free(zbd_table* table);

/* ------------------------------------------------------------------ ack */

/* Number of records the ack covers (NULL: 0). */
ZBD_API size_t zbd_ack_size(const zbd_ack* ack);
/* Waits for the final outcome: ZBD_OK if every record is durable, else the first failure's
 * error (by index), or ZBD_ERR_WAIT_TIMEOUT (the records are still pending). Fails with
 * ZBD_ERR_INVALID_ARGUMENT on a ZBD_ACK_ACCEPTED client (use zbd_ack_wait). */
ZBD_API int zbd_ack_wait_durable(const zbd_ack* ack, uint32_t timeout_ms, zbd_error* err);
/* Waits until every record is accepted (or durable, or failed); returns as above. */
ZBD_API int zbd_ack_wait_accepted(const zbd_ack* ack, uint32_t timeout_ms, zbd_error* err);
/* Waits for the final outcome at the client's final level (durable, or accepted). */
ZBD_API int zbd_ack_wait(const zbd_ack* ack, uint32_t timeout_ms, zbd_error* err);
/* 1 once every record has its final outcome / is accepted, else 0 (NULL: 0). Never block. */
ZBD_API int zbd_ack_is_done(const zbd_ack* ack);
ZBD_API int zbd_ack_is_accepted(const zbd_ack* ack);
/* The outcome so far (final once zbd_ack_is_done). */
ZBD_API int zbd_ack_outcome(const zbd_ack* ack, zbd_outcome* out, zbd_error* err);
/* Failed range `i` (0 <= i < outcome.failure_count), ascending by first_index once the ack is
 * done; before that the list may still grow. Copies into *out. */
ZBD_API int zbd_ack_failure(const zbd_ack* ack, size_t i, zbd_failure* out, zbd_error* err);
/* Runs fn(ack, user_data) once with the final outcome (see zbd_done_fn). The library keeps
 * what it needs: the ack may be freed before the callback runs. user_data is passed through
 * untouched; the caller keeps it valid until the callback has run. Several callbacks may be
 * registered; they run in order. */
ZBD_API int zbd_ack_on_done(const zbd_ack* ack, zbd_done_fn fn, void* user_data, zbd_error* err);
/* Frees the handle; the records' outcomes still arrive (and callbacks still run). NULL is
 * fine. */
ZBD_API void zbd_ack_free(zbd_ack* ack);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ZEROBUSD_ZEROBUSD_C_H */
