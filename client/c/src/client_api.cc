// zbd_client_*: options, connect, open table, flush, ping, status, close.

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>

#include "client/c/src/handles.h"

namespace zerobusd::capi {
namespace {

using std::chrono::milliseconds;

// ABI version 1's options layout. Growing the struct later is compatible (struct_size tells
// what the caller has); changing this layout is not.
constexpr size_t kOptionsV1Size = sizeof(zbd_client_options);
static_assert(sizeof(void*) != 8 || kOptionsV1Size == 56, "zbd_client_options layout changed");
// A struct_size above this is not a real options struct from any version of the header.
constexpr size_t kMaxOptionsSize = 4096;

// Reads the caller's options: the first struct_size bytes over the defaults. Bytes beyond what
// this library knows must be zero: a caller setting options this version does not have gets an
// error instead of having them ignored.
int readOptions(const zbd_client_options* in, zbd_client_options& out, zbd_error* err) {
  zbd_client_options_init(&out);
  if (in == nullptr) return ZBD_OK;
  if (in->struct_size < kOptionsV1Size || in->struct_size > kMaxOptionsSize) {
    return invalidArgument(err, "options->struct_size is " + std::to_string(in->struct_size) +
                                    "; call zbd_client_options_init() first");
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(in);
  for (size_t i = sizeof(zbd_client_options); i < in->struct_size; ++i) {
    if (bytes[i] != 0) {
      return invalidArgument(err, "options set fields this library version does not know");
    }
  }
  std::memcpy(&out, in, sizeof(zbd_client_options));
  return ZBD_OK;
}

int toClientOptions(const zbd_client_options& in, ClientOptions& out, zbd_error* err) {
  if (in.ack_levels < ZBD_ACK_ACCEPTED || in.ack_levels > ZBD_ACK_BOTH) {
    return invalidArgument(err, "options->ack_levels must be ZBD_ACK_ACCEPTED, _DURABLE or _BOTH");
  }
  if (in.connect_timeout_ms == 0) {
    return invalidArgument(err, "options->connect_timeout_ms must be positive");
  }
  if (in.socket_path != nullptr) out.socket_path = in.socket_path;
  if (in.client_name != nullptr) out.client_name = in.client_name;
  out.ack_levels = static_cast<AckLevels>(in.ack_levels);
  out.connect_timeout = milliseconds(in.connect_timeout_ms);
  out.close_timeout = milliseconds(in.close_timeout_ms);
  out.block_timeout = milliseconds(in.block_timeout_ms);
  out.max_queued_records = in.max_queued_records;
  out.max_queued_bytes = in.max_queued_bytes;
  return ZBD_OK;
}

}  // namespace
}  // namespace zerobusd::capi

using std::chrono::milliseconds;
using zerobusd::capi::blocking;
using zerobusd::capi::fail;
using zerobusd::capi::guarded;
using zerobusd::capi::guardedFlag;
using zerobusd::capi::invalidArgument;
using zerobusd::capi::refuseInCallback;
using zerobusd::capi::report;
using zerobusd::capi::succeed;

extern "C" {

void zbd_client_options_init(zbd_client_options* options) {
  if (options == nullptr) return;
  std::memset(options, 0, sizeof(*options));
  options->struct_size = sizeof(*options);
  options->ack_levels = ZBD_ACK_BOTH;
  options->connect_timeout_ms = 5000;
  options->close_timeout_ms = 5000;
  options->block_timeout_ms = 60000;
}

int zbd_client_connect(const zbd_client_options* options, zbd_client** out, zbd_error* err) {
  return guarded(err, [&] {
    if (out == nullptr) return invalidArgument(err, "zbd_client_connect: out is NULL");
    *out = nullptr;
    if (int refused = refuseInCallback(err, "zbd_client_connect"); refused != ZBD_OK) {
      return refused;
    }
    zbd_client_options c_options;
    if (int bad = zerobusd::capi::readOptions(options, c_options, err); bad != ZBD_OK) return bad;
    zerobusd::ClientOptions cxx_options;
    if (int bad = zerobusd::capi::toClientOptions(c_options, cxx_options, err); bad != ZBD_OK) {
      return bad;
    }
    zerobusd::Result<zerobusd::Client> client = zerobusd::Client::connect(std::move(cxx_options));
    if (!client.ok()) return fail(err, client.error());
    *out = new zbd_client(std::move(client.value()));
    return succeed(err);
  });
}

int zbd_client_open_table(zbd_client* client, const char* name, int record_type, zbd_table** out,
                          zbd_error* err) {
  return guarded(err, [&] {
    if (out != nullptr) *out = nullptr;
    if (client == nullptr || name == nullptr || out == nullptr) {
      return invalidArgument(err, "zbd_client_open_table: client, name and out must not be NULL");
    }
    if (record_type != ZBD_RECORD_PROTO && record_type != ZBD_RECORD_JSON) {
      return invalidArgument(err, "record_type must be ZBD_RECORD_PROTO or ZBD_RECORD_JSON");
    }
    if (int refused = refuseInCallback(err, "zbd_client_open_table"); refused != ZBD_OK) {
      return refused;
    }
    zerobusd::Result<zerobusd::Table> table =
        client->client.openTable(name, static_cast<zerobusd::RecordType>(record_type));
    if (!table.ok()) return fail(err, table.error());
    *out = new zbd_table(std::move(table.value()));
    return succeed(err);
  });
}

int zbd_client_flush(zbd_client* client, uint32_t timeout_ms, zbd_error* err) {
  return blocking(err, "zbd_client_flush", "client", client,
                  [&] { return report(err, client->client.flush(milliseconds(timeout_ms))); });
}

int zbd_client_ping(zbd_client* client, uint32_t timeout_ms, uint64_t* rtt_ns, zbd_error* err) {
  if (rtt_ns != nullptr) *rtt_ns = 0;
  return blocking(err, "zbd_client_ping", "client", client, [&] {
    zerobusd::Result<std::chrono::nanoseconds> rtt = client->client.ping(milliseconds(timeout_ms));
    if (!rtt.ok()) return fail(err, rtt.error());
    if (rtt_ns != nullptr) *rtt_ns = static_cast<uint64_t>(rtt.value().count());
    return succeed(err);
  });
}

int zbd_client_status(zbd_client* client, uint32_t timeout_ms, char** json_out, zbd_error* err) {
  return guarded(err, [&] {
    if (json_out != nullptr) *json_out = nullptr;
    if (client == nullptr || json_out == nullptr) {
      return invalidArgument(err, "zbd_client_status: client and json_out must not be NULL");
    }
    if (int refused = refuseInCallback(err, "zbd_client_status"); refused != ZBD_OK) {
      return refused;
    }
    zerobusd::Result<std::string> status = client->client.status(milliseconds(timeout_ms));
    if (!status.ok()) return fail(err, status.error());
    // malloc, so that zbd_string_free (free) releases it whatever allocator the caller uses.
    auto* copy = static_cast<char*>(std::malloc(status.value().size() + 1));
    if (copy == nullptr) return fail(err, ZBD_ERR_INTERNAL, true, "out of memory");
    std::memcpy(copy, status.value().data(), status.value().size());
    copy[status.value().size()] = '\0';
    *json_out = copy;
    return succeed(err);
  });
}

int zbd_client_is_connected(const zbd_client* client) {
  return guardedFlag([&] { return client != nullptr && client->client.isConnected(); });
}

int zbd_client_close(zbd_client* client, uint32_t timeout_ms, zbd_error* err) {
  return blocking(err, "zbd_client_close", "client", client,
                  [&] { return report(err, client->client.close(milliseconds(timeout_ms))); });
}

void zbd_client_free(zbd_client* client) {
  // The destructor closes with options.close_timeout_ms (a no-op once closed).
  delete client;
}

}  // extern "C"
