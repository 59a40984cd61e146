/* A minimal check harness for the C API's tests, in C: CHECK / CHECK_RC record failures and go
 * on, RUN runs one test function; the program's exit code is the failure count (capped). Also
 * the helpers the tests share: a monotonic clock and an AirQuality protobuf encoder. */
#ifndef ZEROBUSD_TESTS_CAPI_C_CHECK_H
#define ZEROBUSD_TESTS_CAPI_C_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "zerobusd/zerobusd_c.h"

static int g_check_failures = 0;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++g_check_failures;                                                      \
    }                                                                          \
  } while (0)

/* Checks that `expr` returned the zbd_error_code `expected`; prints the error on mismatch. */
#define CHECK_RC(expr, expected, err)                                                             \
  do {                                                                                            \
    const int check_rc_ = (expr);                                                                 \
    if (check_rc_ != (expected)) {                                                                \
      fprintf(stderr, "%s:%d: %s returned %s (\"%s\"), expected %s\n", __FILE__, __LINE__, #expr, \
              zbd_error_code_name(check_rc_), (err).message, zbd_error_code_name(expected));      \
      ++g_check_failures;                                                                         \
    }                                                                                             \
  } while (0)

#define RUN(test)                                                                        \
  do {                                                                                   \
    const int before_ = g_check_failures;                                                \
    printf("[ RUN      ] %s\n", #test);                                                  \
    fflush(stdout);                                                                      \
    test();                                                                              \
    printf("[ %s ] %s\n", g_check_failures == before_ ? "      OK" : "  FAILED", #test); \
    fflush(stdout);                                                                      \
  } while (0)

static inline int check_exit_code(void) {
  printf("%d check(s) failed\n", g_check_failures);
  return g_check_failures > 100 ? 100 : g_check_failures;
}

static inline int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline size_t put_varint(uint8_t* out, uint64_t value) {
  size_t n = 0;
  while (value >= 0x80) {
    out[n++] = (uint8_t)(value | 0x80);
    value >>= 7;
  }
  out[n++] = (uint8_t)value;
  return n;
}

/* message AirQuality { optional string device_name = 1; optional int32 temp = 2;
 *                      optional int64 humidity = 3; }  (config/schemas/air_quality.proto)
 * `out` needs strlen(name) + 32 bytes. Returns the encoded size. */
static inline size_t encode_air_quality(uint8_t* out, const char* name, int32_t temp,
                                        int64_t humidity) {
  const size_t name_len = strlen(name);
  size_t n = 0;
  out[n++] = 0x0A; /* field 1, length-delimited */
  n += put_varint(out + n, name_len);
  memcpy(out + n, name, name_len);
  n += name_len;
  out[n++] = 0x10; /* field 2, varint: a negative int32 is sign-extended to 64 bits */
  n += put_varint(out + n, (uint64_t)(int64_t)temp);
  out[n++] = 0x18; /* field 3, varint */
  n += put_varint(out + n, (uint64_t)humidity);
  return n;
}

#endif /* ZEROBUSD_TESTS_CAPI_C_CHECK_H */
