/* Synchronous JSON ingestion with the C API: 300 rows for main.default.events handed over as
 * one batch (zbd_table_ingest_many), then one wait for all of them to be durable, and a report
 * of any record that failed.
 *   examples/run.sh build/dev/examples/c/json
 * The daemon's socket comes from $ZEROBUSD_SOCKET (examples/run.sh sets it). */
#include <stdio.h>
#include <stdlib.h>

#include "zerobusd/zerobusd_c.h"

#define RECORDS 300
#define ROW_SIZE 96

static int fail(const char* what, const zbd_error* err) {
  fprintf(stderr, "%s: %s: %s\n", what, zbd_error_code_name(err->code), err->message);
  return 1;
}

int main(void) {
  zbd_error err;
  zbd_client_options options;
  zbd_client_options_init(&options); /* socket_path NULL: $ZEROBUSD_SOCKET */
  options.client_name = "example-c-json";
  zbd_client* client = NULL;
  if (zbd_client_connect(&options, &client, &err) != ZBD_OK) return fail("connect", &err);
  zbd_table* table = NULL;
  if (zbd_client_open_table(client, "main.default.events", ZBD_RECORD_JSON, &table, &err) !=
      ZBD_OK) {
    fail("open table", &err);
    zbd_client_free(client);
    return 1;
  }

  /* Rows of main.default.events: id bigint NOT NULL, kind string NOT NULL, tags array<string>.
   * The library copies the bytes during the call, so the buffers can be reused right after. */
  static char rows[RECORDS][ROW_SIZE];
  const void* records[RECORDS];
  size_t lens[RECORDS];
  for (int i = 0; i < RECORDS; ++i) {
    const int n =
        snprintf(rows[i], ROW_SIZE, "{\"id\":%d,\"kind\":\"c_json\",\"tags\":[\"c\"]}", i);
    records[i] = rows[i];
    lens[i] = (size_t)n;
  }
  zbd_ack* ack = NULL;
  int rc = zbd_table_ingest_many(table, records, lens, RECORDS, &ack, &err);
  if (rc == ZBD_OK) {
    /* OK, or the first failure's error: the outcome below says which records failed. */
    rc = zbd_ack_wait_durable(ack, 30000, &err);
    if (rc != ZBD_OK) fail("wait", &err);
  } else {
    fail("ingest", &err);
  }

  zbd_outcome outcome = {0, 0, 0};
  if (ack != NULL && zbd_ack_outcome(ack, &outcome, &err) == ZBD_OK) {
    for (size_t i = 0; i < outcome.failure_count; ++i) {
      zbd_failure failure;
      if (zbd_ack_failure(ack, i, &failure, &err) != ZBD_OK) break;
      fprintf(stderr, "records %zu..%zu failed: %s: %s\n", failure.first_index,
              failure.first_index + failure.count - 1, zbd_error_code_name(failure.error.code),
              failure.error.message);
    }
  }
  printf("json: %zu records durable, %zu failed\n", outcome.records - outcome.failed,
         outcome.failed);

  zbd_ack_free(ack);
  zbd_table_free(table);
  const int closed = zbd_client_close(client, 30000, &err);
  if (closed != ZBD_OK) fail("close", &err);
  zbd_client_free(client);
  const int all_durable = outcome.records == RECORDS && outcome.failed == 0;
  return rc == ZBD_OK && closed == ZBD_OK && all_durable ? 0 : 1;
}
