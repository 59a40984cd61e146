/* Asynchronous protobuf ingestion with the C API: 300 AirQuality messages for
 * main.default.air_quality, each handed over with zbd_table_ingest and an on-done callback
 * that tallies its outcome (the ack handle is freed at once: the callback does not need it);
 * then one flush, and a bounded wait for the last callback.
 *   examples/run.sh build/dev/examples/c/proto
 * The records are encoded by hand (no protobuf library needed) from
 * config/schemas/air_quality.proto:
 *   message AirQuality {
 *     optional string device_name = 1;  // tag 0x0A, then length, then bytes
 *     optional int32 temp = 2;          // tag 0x10, then varint
 *     optional int64 humidity = 3;      // tag 0x18, then varint
 *   } */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "zerobusd/zerobusd_c.h"

#define RECORDS 300

/* Outcomes counted by the callbacks (on the client's I/O thread), read by main. */
typedef struct tally {
  pthread_mutex_t mu;
  pthread_cond_t done;
  size_t durable;
  size_t failed;
} tally;

/* Runs once per record, when it is durable or failed. Must not block: it only counts. */
static void on_done(const zbd_ack* ack, void* user_data) {
  tally* t = (tally*)user_data;
  zbd_outcome outcome;
  zbd_error err;
  if (zbd_ack_outcome(ack, &outcome, &err) != ZBD_OK) return;
  if (outcome.failure_count > 0) {
    zbd_failure failure;
    if (zbd_ack_failure(ack, 0, &failure, &err) == ZBD_OK) {
      fprintf(stderr, "record failed: %s: %s\n", zbd_error_code_name(failure.error.code),
              failure.error.message);
    }
  }
  pthread_mutex_lock(&t->mu);
  t->durable += outcome.records - outcome.failed;
  t->failed += outcome.failed;
  pthread_cond_broadcast(&t->done);
  pthread_mutex_unlock(&t->mu);
}

static size_t put_varint(uint8_t* out, uint64_t value) {
  size_t n = 0;
  for (; value >= 0x80; value >>= 7) out[n++] = (uint8_t)(value | 0x80);
  out[n++] = (uint8_t)value;
  return n;
}

/* Encodes one AirQuality into `out` (room for strlen(name) + 32 bytes); returns its size. */
static size_t encode_air_quality(uint8_t* out, const char* name, int32_t temp, int64_t humidity) {
  const size_t name_len = strlen(name);
  size_t n = 0;
  out[n++] = 0x0A;
  n += put_varint(out + n, name_len);
  memcpy(out + n, name, name_len);
  n += name_len;
  out[n++] = 0x10;
  n += put_varint(out + n, (uint64_t)(int64_t)temp); /* negative int32: sign-extended */
  out[n++] = 0x18;
  n += put_varint(out + n, (uint64_t)humidity);
  return n;
}

int main(void) {
  /* Declared before the client and destroyed after it: callbacks may run until it is freed. */
  tally t;
  memset(&t, 0, sizeof(t));
  pthread_mutex_init(&t.mu, NULL);
  pthread_cond_init(&t.done, NULL);

  zbd_error err;
  zbd_client_options options;
  zbd_client_options_init(&options); /* socket_path NULL: $ZEROBUSD_SOCKET */
  options.client_name = "example-c-proto";
  zbd_client* client = NULL;
  zbd_table* table = NULL;
  int ok = zbd_client_connect(&options, &client, &err) == ZBD_OK &&
           zbd_client_open_table(client, "main.default.air_quality", ZBD_RECORD_PROTO, &table,
                                 &err) == ZBD_OK;
  if (!ok) fprintf(stderr, "connect/open: %s: %s\n", zbd_error_code_name(err.code), err.message);

  size_t handed = 0;
  for (int i = 0; ok && i < RECORDS; ++i) {
    char name[32];
    snprintf(name, sizeof(name), "c-sensor-%d", i % 10);
    uint8_t record[64];
    const size_t len = encode_air_quality(record, name, (int32_t)(i % 40) - 5, 30 + i % 60);
    zbd_ack* ack = NULL;
    if (zbd_table_ingest(table, record, len, &ack, &err) != ZBD_OK ||
        zbd_ack_on_done(ack, on_done, &t, &err) != ZBD_OK) {
      fprintf(stderr, "ingest: %s: %s\n", zbd_error_code_name(err.code), err.message);
      ok = 0;
    } else {
      ++handed;
    }
    zbd_ack_free(ack);
  }
  if (ok && zbd_table_flush(table, 60000, &err) != ZBD_OK) {
    fprintf(stderr, "flush: %s: %s\n", zbd_error_code_name(err.code), err.message);
    ok = 0;
  }

  /* Every outcome is in once flush returns; its callback may still be finishing. */
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 60;
  pthread_mutex_lock(&t.mu);
  int wait_rc = 0;
  while (t.durable + t.failed < handed && wait_rc == 0) {
    wait_rc = pthread_cond_timedwait(&t.done, &t.mu, &deadline);
  }
  const size_t durable = t.durable;
  const size_t failed = t.failed;
  pthread_mutex_unlock(&t.mu);

  zbd_table_free(table);
  if (client != NULL && zbd_client_close(client, 30000, &err) != ZBD_OK) ok = 0;
  zbd_client_free(client);
  pthread_cond_destroy(&t.done);
  pthread_mutex_destroy(&t.mu);
  printf("proto: %zu records durable, %zu failed\n", durable, failed);
  return ok && durable == RECORDS && failed == 0 ? 0 : 1;
}
