/* The C API without a daemon: every function given NULL or unusable arguments fails with
 * ZBD_ERR_INVALID_ARGUMENT (or returns its documented neutral value) instead of crashing;
 * options are validated; connecting to nothing, or to a socket that never answers, fails
 * within the connect timeout. */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tests/capi/c_check.h"

static char g_dir[64];

static zbd_client* const kSentinelClient = (zbd_client*)1;

static void test_library_info(void) {
  CHECK(zbd_abi_version() == ZBD_ABI_VERSION);
  CHECK(strcmp(zbd_version(), "") != 0);
  CHECK(strcmp(zbd_error_code_name(ZBD_OK), "OK") == 0);
  CHECK(strcmp(zbd_error_code_name(ZBD_ERR_INVALID_RECORD), "INVALID_RECORD") == 0);
  CHECK(strcmp(zbd_error_code_name(ZBD_ERR_UNKNOWN_TABLE), "UNKNOWN_TABLE") == 0);
  CHECK(strcmp(zbd_error_code_name(ZBD_ERR_WAIT_TIMEOUT), "WAIT_TIMEOUT") == 0);
  CHECK(strcmp(zbd_error_code_name(ZBD_ERR_PROTOCOL_ERROR), "PROTOCOL_ERROR") == 0);
  CHECK(strcmp(zbd_error_code_name(-1), "UNKNOWN_ERROR_CODE") == 0);
  CHECK(strcmp(zbd_error_code_name(999), "UNKNOWN_ERROR_CODE") == 0);
  CHECK(strcmp(zbd_error_code_name(70000), "UNKNOWN_ERROR_CODE") == 0);
}

static void test_null_arguments(void) {
  zbd_error err;
  memset(&err, 0x7f, sizeof(err)); /* the library must overwrite all of it */
  CHECK_RC(zbd_client_connect(NULL, NULL, &err), ZBD_ERR_INVALID_ARGUMENT, err);
  CHECK(err.code == ZBD_ERR_INVALID_ARGUMENT && err.retriable == 0);
  CHECK(strlen(err.message) > 0 && strlen(err.message) < ZBD_ERROR_MESSAGE_SIZE);
  /* err itself may be NULL everywhere. */
  CHECK(zbd_client_connect(NULL, NULL, NULL) == ZBD_ERR_INVALID_ARGUMENT);

  zbd_table* table = (zbd_table*)1;
  CHECK_RC(zbd_client_open_table(NULL, "main.default.events", ZBD_RECORD_JSON, &table, &err),
           ZBD_ERR_INVALID_ARGUMENT, err);
  CHECK(table == NULL);
  CHECK_RC(zbd_client_flush(NULL, 10, &err), ZBD_ERR_INVALID_ARGUMENT, err);
  uint64_t rtt = 7;
  CHECK_RC(zbd_client_ping(NULL, 10, &rtt, &err), ZBD_ERR_INVALID_ARGUMENT, err);
  CHECK(rtt == 0);
  char* json = (char*)"sentinel";
  CHECK_RC(zbd_client_status(NULL, 10, &json, &err), ZBD_ERR_INVALID_ARGUMENT, err);
  CHECK(json == NULL);
  CHECK_RC(zbd_client_close(NULL, 10, &err), ZBD_ERR_INVALID_ARGUMENT, err);
  CHECK(zbd_client_is_connected(NULL) == 0);

  zbd_ack* ack = (zbd_ack*)1;
  CHECK_RC(zbd_table_ingest(NULL, "{}", 2, &ack, &err), ZBD_ERR_INVALID_ARGUMENT, err);
  CHECK(ack == NULL);
  CHECK_RC(zbd_table_try_ingest(NULL, "{}", 2, &ack, &err), ZBD_ERR_INVALID_ARGUMENT, err);
  const void* records[1] = {"{}"};
  const size_t lens[1] = {2};
  CHECK_RC(zbd_table_ingest_many(NULL, records, lens, 1, &ack, &err), ZBD_ERR_INVALID_ARGUMENT,
           err);
  CHECK_RC(zbd_table_try_ingest_many(NULL, records, lens, 1, &ack, &err), ZBD_ERR_INVALID_ARGUMENT,
           err);
  CHECK_RC(zbd_table_flush(NULL, 10, &err), ZBD_ERR_INVALID_ARGUMENT, err);
  CHECK_RC(zbd_table_close(NULL, 10, &err), ZBD_ERR_INVALID_ARGUMENT, err);
  CHECK(strcmp(zbd_table_name(NULL), "") == 0);
  CHECK(zbd_table_record_type(NULL) == 0);

  CHECK(zbd_ack_size(NULL) == 0);
  CHECK(zbd_ack_is_done(NULL) == 0);
  CHECK(zbd_ack_is_accepted(NULL) == 0);
  CHECK_RC(zbd_ack_wait(NULL, 10, &err), ZBD_ERR_INVALID_ARGUMENT, err);
  CHECK_RC(zbd_ack_wait_durable(NULL, 10, &err), ZBD_ERR_INVALID_ARGUMENT, err);
  CHECK_RC(zbd_ack_wait_accepted(NULL, 10, &err), ZBD_ERR_INVALID_ARGUMENT, err);
  zbd_outcome outcome = {1, 1, 1};
  CHECK_RC(zbd_ack_outcome(NULL, &outcome, &err), ZBD_ERR_INVALID_ARGUMENT, err);
  CHECK(outcome.records == 0 && outcome.failed == 0 && outcome.failure_count == 0);
  zbd_failure failure;
  CHECK_RC(zbd_ack_failure(NULL, 0, &failure, &err), ZBD_ERR_INVALID_ARGUMENT, err);
  CHECK_RC(zbd_ack_on_done(NULL, NULL, NULL, &err), ZBD_ERR_INVALID_ARGUMENT, err);

  /* Freeing NULL is a no-op, like free(). */
  zbd_client_free(NULL);
  zbd_table_free(NULL);
  zbd_ack_free(NULL);
  zbd_string_free(NULL);
  zbd_client_options_init(NULL);
}

static int connect_with(const zbd_client_options* options, zbd_error* err) {
  zbd_client* client = kSentinelClient;
  const int rc = zbd_client_connect(options, &client, err);
  if (rc == ZBD_OK) {
    zbd_client_free(client);
  } else {
    CHECK(client == NULL);
  }
  return rc;
}

static void test_invalid_options(void) {
  char missing[128];
  snprintf(missing, sizeof(missing), "%s/missing.sock", g_dir);
  zbd_error err;
  zbd_client_options options;
  zbd_client_options_init(&options);
  CHECK(options.struct_size == sizeof(options));
  CHECK(options.ack_levels == ZBD_ACK_BOTH && options.connect_timeout_ms == 5000);
  options.socket_path = missing;

  zbd_client_options bad = options;
  bad.struct_size = 0; /* not initialised with zbd_client_options_init */
  CHECK_RC(connect_with(&bad, &err), ZBD_ERR_INVALID_ARGUMENT, err);
  CHECK(strstr(err.message, "struct_size") != NULL);
  bad.struct_size = sizeof(bad) - 1;
  CHECK_RC(connect_with(&bad, &err), ZBD_ERR_INVALID_ARGUMENT, err);
  bad.struct_size = (size_t)1 << 40;
  CHECK_RC(connect_with(&bad, &err), ZBD_ERR_INVALID_ARGUMENT, err);

  /* A caller compiled against a newer header: unknown trailing fields must be zero. */
  struct {
    zbd_client_options options;
    uint64_t newer_field;
  } grown;
  memset(&grown, 0, sizeof(grown));
  grown.options = options;
  grown.options.struct_size = sizeof(grown);
  grown.newer_field = 1;
  CHECK_RC(connect_with(&grown.options, &err), ZBD_ERR_INVALID_ARGUMENT, err);
  grown.newer_field = 0;
  CHECK_RC(connect_with(&grown.options, &err), ZBD_ERR_NOT_CONNECTED, err);

  bad = options;
  bad.ack_levels = 0;
  CHECK_RC(connect_with(&bad, &err), ZBD_ERR_INVALID_ARGUMENT, err);
  bad.ack_levels = 4;
  CHECK_RC(connect_with(&bad, &err), ZBD_ERR_INVALID_ARGUMENT, err);
  bad = options;
  bad.connect_timeout_ms = 0;
  CHECK_RC(connect_with(&bad, &err), ZBD_ERR_INVALID_ARGUMENT, err);
  char long_name[300];
  memset(long_name, 'a', sizeof(long_name) - 1);
  long_name[sizeof(long_name) - 1] = '\0';
  bad = options;
  bad.client_name = long_name;
  CHECK_RC(connect_with(&bad, &err), ZBD_ERR_INVALID_ARGUMENT, err);
  CHECK(strstr(err.message, "client_name") != NULL);
  bad.client_name = "\xff\xfe not utf-8";
  CHECK_RC(connect_with(&bad, &err), ZBD_ERR_INVALID_ARGUMENT, err);
}

static void test_no_daemon(void) {
  char missing[128];
  snprintf(missing, sizeof(missing), "%s/missing.sock", g_dir);
  zbd_client_options options;
  zbd_client_options_init(&options);
  options.socket_path = missing;
  zbd_error err;
  CHECK_RC(connect_with(&options, &err), ZBD_ERR_NOT_CONNECTED, err);
  CHECK(err.retriable == 1);
  CHECK(strlen(err.message) > 0);
}

/* A socket that accepts connections (the kernel's backlog) but never answers the handshake:
 * connecting gives up after connect_timeout_ms, not before and not much after. */
static void test_connect_timeout(void) {
  char path[96]; /* fits sockaddr_un.sun_path */
  snprintf(path, sizeof(path), "%s/silent.sock", g_dir);
  const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  CHECK(fd >= 0);
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof(addr));
  addr.sun_family = AF_UNIX;
  snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
  CHECK(bind(fd, (struct sockaddr*)&addr, sizeof(addr)) == 0);
  CHECK(listen(fd, 4) == 0);

  zbd_client_options options;
  zbd_client_options_init(&options);
  options.socket_path = path;
  options.connect_timeout_ms = 300;
  zbd_error err;
  const int64_t start = now_ms();
  CHECK_RC(connect_with(&options, &err), ZBD_ERR_NOT_CONNECTED, err);
  const int64_t elapsed = now_ms() - start;
  CHECK(elapsed >= 250);
  CHECK(elapsed < 5000);
  close(fd);
  unlink(path);
}

int main(void) {
  snprintf(g_dir, sizeof(g_dir), "/tmp/zbd-c-args.XXXXXX");
  if (mkdtemp(g_dir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  RUN(test_library_info);
  RUN(test_null_arguments);
  RUN(test_invalid_options);
  RUN(test_no_daemon);
  RUN(test_connect_timeout);
  rmdir(g_dir);
  return check_exit_code();
}
