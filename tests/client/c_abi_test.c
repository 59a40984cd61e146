/* The C API against a real zerobusd and zerobus-fake (run through examples/run.sh, which
 * exports ZEROBUSD_SOCKET and prints the rows that landed; tests/capi/run_checked.sh then
 * compares them with the "expect-rows" lines printed here). Covers JSON and proto ingest to
 * durable, a bad record rejected with its code and message while the others land, unknown
 * table, wait timeout, on-done callbacks, close semantics and flow control. */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "tests/capi/c_check.h"

#define EVENTS "main.default.events"
#define AIR_QUALITY "main.default.air_quality"
#define WAIT_MS 30000u

/* Rows each table must hold at the end: the records acknowledged durable (or accepted). */
static size_t g_event_rows = 0;
static size_t g_air_quality_rows = 0;

static zbd_client* connect_client(int ack_levels) {
  zbd_client_options options;
  zbd_client_options_init(&options);
  options.client_name = "c_abi_test";
  options.ack_levels = ack_levels;
  zbd_client* client = NULL;
  zbd_error err;
  CHECK_RC(zbd_client_connect(&options, &client, &err), ZBD_OK, err);
  return client;
}

static zbd_table* open_table(zbd_client* client, const char* name, int type) {
  zbd_table* table = NULL;
  zbd_error err;
  CHECK_RC(zbd_client_open_table(client, name, type, &table, &err), ZBD_OK, err);
  return table;
}

/* `count` JSON records in `storage` (count * 64 bytes); records[i] / lens[i] point into it. */
static void make_json(char* storage, const void** records, size_t* lens, size_t count,
                      const char* tag) {
  for (size_t i = 0; i < count; ++i) {
    char* row = storage + i * 64;
    const int n = snprintf(row, 64, "{\"id\":%zu,\"kind\":\"%s\"}", i, tag);
    records[i] = row;
    lens[i] = (size_t)n;
  }
}

/* Whether `text` is well-formed UTF-8 (lead and continuation bytes; enough for a cut check). */
static bool is_utf8(const char* text) {
  const unsigned char* p = (const unsigned char*)text;
  while (*p != 0) {
    const size_t extra = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2 : 3;
    ++p;
    for (size_t i = 0; i < extra; ++i, ++p) {
      if ((*p & 0xC0) != 0x80) return false;
    }
  }
  return true;
}

static void test_ping_and_status(void) {
  zbd_client* client = connect_client(ZBD_ACK_BOTH);
  zbd_error err;
  CHECK(zbd_client_is_connected(client) == 1);
  uint64_t rtt = 0;
  CHECK_RC(zbd_client_ping(client, WAIT_MS, &rtt, &err), ZBD_OK, err);
  CHECK(rtt > 0);
  char* json = NULL;
  CHECK_RC(zbd_client_status(client, WAIT_MS, &json, &err), ZBD_OK, err);
  CHECK(json != NULL && json[0] == '{');
  CHECK(json != NULL && strstr(json, EVENTS) != NULL);
  zbd_string_free(json);
  CHECK_RC(zbd_client_status(client, WAIT_MS, NULL, &err), ZBD_ERR_INVALID_ARGUMENT, err);
  zbd_client_free(client);
}

static void test_open_refusals(void) {
  zbd_client* client = connect_client(ZBD_ACK_BOTH);
  zbd_table* table = (zbd_table*)1;
  zbd_error err;
  CHECK_RC(
      zbd_client_open_table(client, "main.default.no_such_table", ZBD_RECORD_JSON, &table, &err),
      ZBD_ERR_UNKNOWN_TABLE, err);
  CHECK(table == NULL);
  CHECK(strlen(err.message) > 0);
  CHECK_RC(zbd_client_open_table(client, EVENTS, ZBD_RECORD_PROTO, &table, &err),
           ZBD_ERR_RECORD_TYPE_MISMATCH, err);
  CHECK_RC(zbd_client_open_table(client, EVENTS, 7, &table, &err), ZBD_ERR_INVALID_ARGUMENT, err);
  CHECK_RC(zbd_client_open_table(client, "", ZBD_RECORD_JSON, &table, &err),
           ZBD_ERR_INVALID_ARGUMENT, err);
  CHECK_RC(zbd_client_open_table(client, NULL, ZBD_RECORD_JSON, &table, &err),
           ZBD_ERR_INVALID_ARGUMENT, err);
  CHECK_RC(zbd_client_open_table(client, EVENTS, ZBD_RECORD_JSON, NULL, &err),
           ZBD_ERR_INVALID_ARGUMENT, err);
  /* A message longer than zbd_error.message is cut on a character boundary: this name's "é"s
   * put the cut in the middle of one. */
  char long_name[16 + 2 * 400];
  size_t n = (size_t)snprintf(long_name, sizeof(long_name), "main.default.x");
  for (int i = 0; i < 400; ++i)
    n += (size_t)snprintf(long_name + n, sizeof(long_name) - n, "\xc3\xa9");
  CHECK_RC(zbd_client_open_table(client, long_name, ZBD_RECORD_JSON, &table, &err),
           ZBD_ERR_UNKNOWN_TABLE, err);
  CHECK(strlen(err.message) >= ZBD_ERROR_MESSAGE_SIZE - 8);
  CHECK(strlen(err.message) < ZBD_ERROR_MESSAGE_SIZE);
  CHECK(is_utf8(err.message));
  /* The connection survives refusals, and a success clears the error. */
  CHECK_RC(zbd_client_ping(client, WAIT_MS, NULL, &err), ZBD_OK, err);
  CHECK(err.code == ZBD_OK && err.retriable == 0 && err.message[0] == '\0');
  zbd_client_free(client);
}

static void test_json_to_durable(void) {
  enum { kCount = 200 };
  static char storage[kCount * 64];
  const void* records[kCount];
  size_t lens[kCount];
  make_json(storage, records, lens, kCount, "json_to_durable");

  zbd_client* client = connect_client(ZBD_ACK_BOTH);
  zbd_table* table = open_table(client, EVENTS, ZBD_RECORD_JSON);
  CHECK(strcmp(zbd_table_name(table), EVENTS) == 0);
  CHECK(zbd_table_record_type(table) == ZBD_RECORD_JSON);
  zbd_error err;
  zbd_ack* many = NULL;
  CHECK_RC(zbd_table_ingest_many(table, records, lens, kCount, &many, &err), ZBD_OK, err);
  zbd_ack* one = NULL;
  const char* single = "{\"id\":-1,\"kind\":\"single\"}";
  CHECK_RC(zbd_table_ingest(table, single, strlen(single), &one, &err), ZBD_OK, err);
  zbd_ack* tried = NULL;
  CHECK_RC(zbd_table_try_ingest(table, single, strlen(single), &tried, &err), ZBD_OK, err);
  CHECK(zbd_ack_size(many) == kCount && zbd_ack_size(one) == 1);

  CHECK_RC(zbd_ack_wait_accepted(many, WAIT_MS, &err), ZBD_OK, err);
  CHECK_RC(zbd_ack_wait_durable(many, WAIT_MS, &err), ZBD_OK, err);
  CHECK_RC(zbd_ack_wait_durable(one, WAIT_MS, &err), ZBD_OK, err);
  CHECK_RC(zbd_ack_wait(tried, WAIT_MS, &err), ZBD_OK, err);
  CHECK(zbd_ack_is_done(many) == 1 && zbd_ack_is_accepted(many) == 1);
  zbd_outcome outcome;
  CHECK_RC(zbd_ack_outcome(many, &outcome, &err), ZBD_OK, err);
  CHECK(outcome.records == kCount && outcome.failed == 0 && outcome.failure_count == 0);
  g_event_rows += kCount + 2;

  /* Zero records: an empty, successful ack. */
  zbd_ack* none = NULL;
  CHECK_RC(zbd_table_ingest_many(table, NULL, NULL, 0, &none, &err), ZBD_OK, err);
  CHECK(zbd_ack_size(none) == 0);
  CHECK_RC(zbd_ack_wait_durable(none, 0, &err), ZBD_OK, err);
  /* A NULL record pointer with a length is refused before anything is taken. */
  const void* holes[2] = {records[0], NULL};
  const size_t hole_lens[2] = {lens[0], 5};
  zbd_ack* refused = (zbd_ack*)1;
  CHECK_RC(zbd_table_ingest_many(table, holes, hole_lens, 2, &refused, &err),
           ZBD_ERR_INVALID_ARGUMENT, err);
  CHECK(refused == NULL);
  CHECK_RC(zbd_table_ingest(table, NULL, 3, &refused, &err), ZBD_ERR_INVALID_ARGUMENT, err);
  CHECK_RC(zbd_table_ingest(table, single, strlen(single), NULL, &err), ZBD_ERR_INVALID_ARGUMENT,
           err);
  CHECK_RC(zbd_client_flush(client, WAIT_MS, &err), ZBD_OK, err);

  zbd_ack_free(many);
  zbd_ack_free(one);
  zbd_ack_free(tried);
  zbd_ack_free(none);
  zbd_table_free(table);
  zbd_client_free(client);
}

/* A batch with one bad record: that record fails with its code and message, the rest land. */
static void test_bad_json_record(void) {
  const char* rows[5] = {"{\"id\":1,\"kind\":\"bad\"}", "{\"id\":2,\"kind\":\"bad\"}", "{not json",
                         "{\"id\":4,\"kind\":\"bad\"}", "{\"id\":5,\"kind\":\"bad\"}"};
  const void* records[5];
  size_t lens[5];
  for (size_t i = 0; i < 5; ++i) {
    records[i] = rows[i];
    lens[i] = strlen(rows[i]);
  }
  zbd_client* client = connect_client(ZBD_ACK_BOTH);
  zbd_table* table = open_table(client, EVENTS, ZBD_RECORD_JSON);
  zbd_error err;
  zbd_ack* ack = NULL;
  CHECK_RC(zbd_table_ingest_many(table, records, lens, 5, &ack, &err), ZBD_OK, err);
  CHECK_RC(zbd_ack_wait_durable(ack, WAIT_MS, &err), ZBD_ERR_INVALID_RECORD, err);
  CHECK(err.retriable == 0 && strlen(err.message) > 0);
  zbd_outcome outcome;
  CHECK_RC(zbd_ack_outcome(ack, &outcome, &err), ZBD_OK, err);
  CHECK(outcome.records == 5 && outcome.failed == 1 && outcome.failure_count == 1);
  zbd_failure failure;
  CHECK_RC(zbd_ack_failure(ack, 0, &failure, &err), ZBD_OK, err);
  CHECK(failure.first_index == 2 && failure.count == 1);
  CHECK(failure.error.code == ZBD_ERR_INVALID_RECORD && failure.error.retriable == 0);
  CHECK(strlen(failure.error.message) > 0);
  printf("rejected as expected: %s: %s\n", zbd_error_code_name(failure.error.code),
         failure.error.message);
  CHECK_RC(zbd_ack_failure(ack, 1, &failure, &err), ZBD_ERR_INVALID_ARGUMENT, err);
  g_event_rows += 4;
  zbd_ack_free(ack);
  zbd_table_free(table);
  zbd_client_free(client);
}

static void test_proto_to_durable(void) {
  enum { kCount = 101, kBad = 50 };
  static uint8_t storage[kCount][64];
  const void* records[kCount];
  size_t lens[kCount];
  for (size_t i = 0; i < kCount; ++i) {
    char name[32];
    snprintf(name, sizeof(name), "c-sensor-%zu", i);
    lens[i] = encode_air_quality(storage[i], name, (int32_t)i - 20, (int64_t)i * 3);
    records[i] = storage[i];
  }
  /* Field 1 claims 5 bytes and has 2: not a parsable AirQuality. */
  static const uint8_t truncated[] = {0x0A, 0x05, 'a', 'b'};
  records[kBad] = truncated;
  lens[kBad] = sizeof(truncated);

  zbd_client* client = connect_client(ZBD_ACK_BOTH);
  zbd_table* table = open_table(client, AIR_QUALITY, ZBD_RECORD_PROTO);
  CHECK(zbd_table_record_type(table) == ZBD_RECORD_PROTO);
  zbd_error err;
  zbd_ack* ack = NULL;
  CHECK_RC(zbd_table_ingest_many(table, records, lens, kCount, &ack, &err), ZBD_OK, err);
  CHECK_RC(zbd_ack_wait_durable(ack, WAIT_MS, &err), ZBD_ERR_INVALID_RECORD, err);
  zbd_outcome outcome;
  CHECK_RC(zbd_ack_outcome(ack, &outcome, &err), ZBD_OK, err);
  CHECK(outcome.records == kCount && outcome.failed == 1 && outcome.failure_count == 1);
  zbd_failure failure;
  CHECK_RC(zbd_ack_failure(ack, 0, &failure, &err), ZBD_OK, err);
  CHECK(failure.first_index == kBad && failure.count == 1);
  CHECK(failure.error.code == ZBD_ERR_INVALID_RECORD);
  g_air_quality_rows += kCount - 1;
  zbd_ack_free(ack);

  /* One more, alone, to durable; flushing the table covers it. */
  uint8_t one[64];
  const size_t one_len = encode_air_quality(one, "c-sensor-single", -40, 99);
  CHECK_RC(zbd_table_ingest(table, one, one_len, &ack, &err), ZBD_OK, err);
  CHECK_RC(zbd_table_flush(table, WAIT_MS, &err), ZBD_OK, err);
  CHECK(zbd_ack_is_done(ack) == 1);
  CHECK_RC(zbd_ack_wait_durable(ack, 0, &err), ZBD_OK, err);
  g_air_quality_rows += 1;
  zbd_ack_free(ack);
  zbd_table_free(table);
  zbd_client_free(client);
}

/* A zero wait on records just handed over times out (they cannot be durable yet: a durable
 * ack needs the daemon and the service), and the records still land. Records acknowledged
 * before the zero wait looked would make the attempt inconclusive, hence a few attempts. */
static void test_wait_timeout(void) {
  enum { kCount = 300 };
  static char storage[kCount * 64];
  const void* records[kCount];
  size_t lens[kCount];
  make_json(storage, records, lens, kCount, "wait_timeout");
  zbd_client* client = connect_client(ZBD_ACK_BOTH);
  zbd_table* table = open_table(client, EVENTS, ZBD_RECORD_JSON);
  zbd_error err;
  bool timed_out = false;
  for (int attempt = 0; attempt < 5 && !timed_out; ++attempt) {
    zbd_ack* ack = NULL;
    CHECK_RC(zbd_table_ingest_many(table, records, lens, kCount, &ack, &err), ZBD_OK, err);
    const int rc = zbd_ack_wait_durable(ack, 0, &err);
    if (rc == ZBD_ERR_WAIT_TIMEOUT) {
      timed_out = true;
      CHECK(err.retriable == 1);
      CHECK(zbd_ack_is_done(ack) == 0);
    }
    CHECK_RC(zbd_ack_wait_durable(ack, WAIT_MS, &err), ZBD_OK, err);
    g_event_rows += kCount;
    zbd_ack_free(ack);
  }
  CHECK(timed_out);
  zbd_table_free(table);
  zbd_client_free(client);
}

/* What a callback saw, handed to the test thread under a mutex. */
typedef struct callback_log {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int calls;
  size_t records;
  size_t failed;
  size_t first_failed_index;
  int wait_rc; /* a blocking call inside the callback */
  int flush_rc;
  zbd_table* table;
  pthread_t thread;
} callback_log;

static void on_done(const zbd_ack* ack, void* user_data) {
  callback_log* log = (callback_log*)user_data;
  zbd_outcome outcome;
  zbd_error err;
  const int outcome_rc = zbd_ack_outcome(ack, &outcome, &err);
  zbd_failure failure;
  memset(&failure, 0, sizeof(failure));
  if (outcome_rc == ZBD_OK && outcome.failure_count > 0) zbd_ack_failure(ack, 0, &failure, &err);
  const int wait_rc = zbd_ack_wait_durable(ack, 1000, &err);
  const int flush_rc = log->table != NULL ? zbd_table_flush(log->table, 1000, &err) : ZBD_OK;
  zbd_ack_free((zbd_ack*)ack); /* a borrowed view: freeing it must be harmless */
  pthread_mutex_lock(&log->mu);
  log->calls += 1;
  log->records = outcome_rc == ZBD_OK ? outcome.records : 0;
  log->failed = outcome_rc == ZBD_OK ? outcome.failed : 0;
  log->first_failed_index = failure.first_index;
  log->wait_rc = wait_rc;
  log->flush_rc = flush_rc;
  log->thread = pthread_self();
  pthread_cond_broadcast(&log->cv);
  pthread_mutex_unlock(&log->mu);
}

static void init_log(callback_log* log, zbd_table* table) {
  memset(log, 0, sizeof(*log));
  pthread_mutex_init(&log->mu, NULL);
  pthread_cond_init(&log->cv, NULL);
  log->table = table;
}

/* Waits (bounded) until the callback ran `calls` times; returns whether it did. */
static bool wait_calls(callback_log* log, int calls) {
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += WAIT_MS / 1000;
  pthread_mutex_lock(&log->mu);
  int rc = 0;
  while (log->calls < calls && rc == 0) rc = pthread_cond_timedwait(&log->cv, &log->mu, &deadline);
  const bool reached = log->calls >= calls;
  pthread_mutex_unlock(&log->mu);
  return reached;
}

static void test_on_done_callback(void) {
  enum { kCount = 50 };
  static char storage[kCount * 64];
  const void* records[kCount];
  size_t lens[kCount];
  make_json(storage, records, lens, kCount, "on_done");
  records[7] = "[1,2]"; /* not a JSON object */
  lens[7] = 5;

  zbd_client* client = connect_client(ZBD_ACK_BOTH);
  zbd_table* table = open_table(client, EVENTS, ZBD_RECORD_JSON);
  callback_log log;
  init_log(&log, table);
  zbd_error err;
  zbd_ack* ack = NULL;
  CHECK_RC(zbd_table_ingest_many(table, records, lens, kCount, &ack, &err), ZBD_OK, err);
  CHECK_RC(zbd_ack_on_done(ack, NULL, &log, &err), ZBD_ERR_INVALID_ARGUMENT, err);
  CHECK_RC(zbd_ack_on_done(ack, on_done, &log, &err), ZBD_OK, err);
  /* The callback does not need the caller's handle. */
  zbd_ack_free(ack);
  CHECK(wait_calls(&log, 1));
  pthread_mutex_lock(&log.mu);
  CHECK(log.calls == 1);
  CHECK(log.records == kCount && log.failed == 1 && log.first_failed_index == 7);
  /* Blocking inside a callback is refused instead of stalling the client's I/O thread. */
  CHECK(log.wait_rc == ZBD_ERR_INVALID_ARGUMENT);
  CHECK(log.flush_rc == ZBD_ERR_INVALID_ARGUMENT);
  CHECK(!pthread_equal(log.thread, pthread_self()));
  pthread_mutex_unlock(&log.mu);
  g_event_rows += kCount - 1;

  /* On an ack that is already done, the callback runs at once on the calling thread. */
  const char* row = "{\"id\":1,\"kind\":\"late\"}";
  CHECK_RC(zbd_table_ingest(table, row, strlen(row), &ack, &err), ZBD_OK, err);
  CHECK_RC(zbd_ack_wait_durable(ack, WAIT_MS, &err), ZBD_OK, err);
  CHECK_RC(zbd_ack_on_done(ack, on_done, &log, &err), ZBD_OK, err);
  pthread_mutex_lock(&log.mu);
  CHECK(log.calls == 2 && log.records == 1 && log.failed == 0);
  CHECK(pthread_equal(log.thread, pthread_self()));
  pthread_mutex_unlock(&log.mu);
  g_event_rows += 1;
  zbd_ack_free(ack);

  pthread_mutex_destroy(&log.mu);
  pthread_cond_destroy(&log.cv);
  zbd_table_free(table);
  zbd_client_free(client);
}

static void test_accepted_only_client(void) {
  const char* row = "{\"id\":1,\"kind\":\"accepted-only\"}";
  zbd_client* client = connect_client(ZBD_ACK_ACCEPTED);
  zbd_table* table = open_table(client, EVENTS, ZBD_RECORD_JSON);
  zbd_error err;
  zbd_ack* ack = NULL;
  CHECK_RC(zbd_table_ingest(table, row, strlen(row), &ack, &err), ZBD_OK, err);
  CHECK_RC(zbd_ack_wait(ack, WAIT_MS, &err), ZBD_OK, err);
  CHECK(zbd_ack_is_done(ack) == 1);
  /* No durable acks on this connection: the durable wait says so instead of waiting. */
  CHECK_RC(zbd_ack_wait_durable(ack, WAIT_MS, &err), ZBD_ERR_INVALID_ARGUMENT, err);
  g_event_rows += 1; /* accepted: the daemon delivers it (at the latest when it drains) */
  zbd_ack_free(ack);
  zbd_table_free(table);
  zbd_client_free(client);
}

/* try-ingest never blocks: while a call larger than the daemon's window is still queued, the
 * next one is refused with WOULD_BLOCK and nothing taken. The big calls hold invalid records,
 * so they are rejected and nothing lands. */
static void test_try_ingest_would_block(void) {
  enum { kCount = 100001 }; /* the daemon's default window is 100000 records */
  const void** records = malloc(kCount * sizeof(*records));
  size_t* lens = malloc(kCount * sizeof(*lens));
  CHECK(records != NULL && lens != NULL);
  if (records == NULL || lens == NULL) {
    free(records);
    free(lens);
    return;
  }
  for (size_t i = 0; i < kCount; ++i) {
    records[i] = "x";
    lens[i] = 1;
  }
  zbd_client* client = connect_client(ZBD_ACK_BOTH);
  zbd_table* table = open_table(client, EVENTS, ZBD_RECORD_JSON);
  zbd_error err;
  bool refused = false;
  for (int attempt = 0; attempt < 3 && !refused; ++attempt) {
    zbd_ack* first = NULL;
    CHECK_RC(zbd_table_try_ingest_many(table, records, lens, kCount, &first, &err), ZBD_OK, err);
    zbd_ack* second = (zbd_ack*)1;
    const int rc = zbd_table_try_ingest(table, "x", 1, &second, &err);
    if (rc == ZBD_ERR_WOULD_BLOCK) {
      refused = true;
      CHECK(second == NULL && err.retriable == 1);
    } else {
      zbd_ack_free(second);
    }
    CHECK_RC(zbd_ack_wait_durable(first, WAIT_MS, &err), ZBD_ERR_INVALID_RECORD, err);
    zbd_outcome outcome;
    CHECK_RC(zbd_ack_outcome(first, &outcome, &err), ZBD_OK, err);
    CHECK(outcome.failed == kCount);
    zbd_ack_free(first);
  }
  CHECK(refused);
  zbd_table_free(table);
  zbd_client_free(client);
  free(records);
  free(lens);
}

static void test_close_semantics(void) {
  const char* row = "{\"id\":1,\"kind\":\"close\"}";
  zbd_client* client = connect_client(ZBD_ACK_BOTH);
  zbd_table* closing = open_table(client, EVENTS, ZBD_RECORD_JSON);
  zbd_table* other = open_table(client, EVENTS, ZBD_RECORD_JSON);
  zbd_error err;
  zbd_ack* ack = NULL;
  CHECK_RC(zbd_table_ingest(closing, row, strlen(row), &ack, &err), ZBD_OK, err);
  /* Closing flushes: the record is final when close returns. */
  CHECK_RC(zbd_table_close(closing, WAIT_MS, &err), ZBD_OK, err);
  CHECK(zbd_ack_is_done(ack) == 1);
  CHECK_RC(zbd_ack_wait_durable(ack, 0, &err), ZBD_OK, err);
  g_event_rows += 1;
  zbd_ack_free(ack);
  CHECK_RC(zbd_table_close(closing, WAIT_MS, &err), ZBD_OK, err); /* idempotent */
  /* Ingest after close: taken by the call, failed by its ack. */
  CHECK_RC(zbd_table_ingest(closing, row, strlen(row), &ack, &err), ZBD_OK, err);
  CHECK_RC(zbd_ack_wait_durable(ack, WAIT_MS, &err), ZBD_ERR_CLOSED, err);
  zbd_ack_free(ack);
  /* Another table of the same client is unaffected. */
  CHECK_RC(zbd_table_ingest(other, row, strlen(row), &ack, &err), ZBD_OK, err);
  CHECK_RC(zbd_ack_wait_durable(ack, WAIT_MS, &err), ZBD_OK, err);
  g_event_rows += 1;
  zbd_ack_free(ack);

  CHECK_RC(zbd_client_close(client, WAIT_MS, &err), ZBD_OK, err);
  CHECK_RC(zbd_client_close(client, WAIT_MS, &err), ZBD_OK, err); /* idempotent */
  CHECK(zbd_client_is_connected(client) == 0);
  CHECK_RC(zbd_client_ping(client, WAIT_MS, NULL, &err), ZBD_ERR_CLOSED, err);
  zbd_table* late = (zbd_table*)1;
  CHECK_RC(zbd_client_open_table(client, EVENTS, ZBD_RECORD_JSON, &late, &err), ZBD_ERR_CLOSED,
           err);
  CHECK(late == NULL);
  CHECK_RC(zbd_table_ingest(other, row, strlen(row), &ack, &err), ZBD_OK, err);
  CHECK_RC(zbd_ack_wait_durable(ack, WAIT_MS, &err), ZBD_ERR_CLOSED, err);
  /* Handles are independent: the client can go first; the table and ack stay usable. */
  zbd_client_free(client);
  CHECK_RC(zbd_table_flush(other, WAIT_MS, &err), ZBD_ERR_CLOSED, err);
  CHECK(zbd_ack_is_done(ack) == 1);
  zbd_ack_free(ack);
  zbd_table_free(other);
  zbd_table_free(closing);
}

int main(void) {
  const char* socket = getenv("ZEROBUSD_SOCKET");
  if (socket == NULL || socket[0] == '\0') {
    fprintf(stderr, "ZEROBUSD_SOCKET is not set: run me through examples/run.sh\n");
    return 2;
  }
  RUN(test_ping_and_status);
  RUN(test_open_refusals);
  RUN(test_json_to_durable);
  RUN(test_bad_json_record);
  RUN(test_proto_to_durable);
  RUN(test_wait_timeout);
  RUN(test_on_done_callback);
  RUN(test_accepted_only_client);
  RUN(test_try_ingest_would_block);
  RUN(test_close_semantics);
  printf("expect-rows %s %zu\n", EVENTS, g_event_rows);
  printf("expect-rows %s %zu\n", AIR_QUALITY, g_air_quality_rows);
  return check_exit_code();
}
