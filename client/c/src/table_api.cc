// zbd_table_*: ingest (one or many records, blocking or not), flush, close.

#include <chrono>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "client/c/src/handles.h"

namespace zerobusd::capi {
namespace {

// Hands `records` to the table and wraps the handle. The C++ client reports a record it could
// not take through an already-done handle; WOULD_BLOCK can only arise that way (nothing was
// taken), so it is returned from the call itself, where a non-blocking caller looks for it.
int ingest(zbd_table* table, std::span<const std::string_view> records, bool may_block,
           zbd_ack** out, zbd_error* err) {
  // Inside a callback a blocking ingest would stall the client's I/O thread: it becomes a
  // non-blocking one, as the C++ client does on that thread.
  const bool block = may_block && !inCallback();
  AckHandle handle =
      records.size() == 1
          ? (block ? table->table.ingest(records[0]) : table->table.tryIngest(records[0]))
          : (block ? table->table.ingestMany(records) : table->table.tryIngestMany(records));
  if (handle.isDone()) {
    const Outcome outcome = handle.outcome();
    const Error* first = outcome.firstError();
    if (first != nullptr && first->code == ErrorCode::kWouldBlock) return fail(err, *first);
  }
  *out = new zbd_ack(std::move(handle));
  return succeed(err);
}

int ingestMany(zbd_table* table, const void* const* records, const size_t* lens, size_t count,
               bool may_block, zbd_ack** out, zbd_error* err) {
  if (out != nullptr) *out = nullptr;
  if (table == nullptr || out == nullptr) {
    return invalidArgument(err, "ingest: table and out must not be NULL");
  }
  if (count > 0 && (records == nullptr || lens == nullptr)) {
    return invalidArgument(err, "ingest: records and lens must not be NULL when count > 0");
  }
  std::vector<std::string_view> views;
  views.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    if (records[i] == nullptr && lens[i] > 0) {
      return invalidArgument(err, "ingest: record " + std::to_string(i) + " is NULL");
    }
    views.emplace_back(static_cast<const char*>(records[i]), lens[i]);
  }
  return ingest(table, views, may_block, out, err);
}

int ingestOne(zbd_table* table, const void* record, size_t len, bool may_block, zbd_ack** out,
              zbd_error* err) {
  if (out != nullptr) *out = nullptr;
  if (table == nullptr || out == nullptr) {
    return invalidArgument(err, "ingest: table and out must not be NULL");
  }
  if (record == nullptr && len > 0) return invalidArgument(err, "ingest: record is NULL");
  const std::string_view view(static_cast<const char*>(record), len);
  return ingest(table, std::span<const std::string_view>(&view, 1), may_block, out, err);
}

}  // namespace
}  // namespace zerobusd::capi

using std::chrono::milliseconds;
using zerobusd::capi::blocking;
using zerobusd::capi::guarded;
using zerobusd::capi::report;

extern "C" {

const char* zbd_table_name(const zbd_table* table) {
  return table != nullptr ? table->table.name().c_str() : "";
}

int zbd_table_record_type(const zbd_table* table) {
  return table != nullptr ? static_cast<int>(table->table.recordType()) : 0;
}

int zbd_table_ingest(zbd_table* table, const void* record, size_t len, zbd_ack** out,
                     zbd_error* err) {
  return guarded(err, [&] {
    return zerobusd::capi::ingestOne(table, record, len, /*may_block=*/true, out, err);
  });
}

int zbd_table_try_ingest(zbd_table* table, const void* record, size_t len, zbd_ack** out,
                         zbd_error* err) {
  return guarded(err, [&] {
    return zerobusd::capi::ingestOne(table, record, len, /*may_block=*/false, out, err);
  });
}

int zbd_table_ingest_many(zbd_table* table, const void* const* records, const size_t* lens,
                          size_t count, zbd_ack** out, zbd_error* err) {
  return guarded(err, [&] {
    return zerobusd::capi::ingestMany(table, records, lens, count, /*may_block=*/true, out, err);
  });
}

int zbd_table_try_ingest_many(zbd_table* table, const void* const* records, const size_t* lens,
                              size_t count, zbd_ack** out, zbd_error* err) {
  return guarded(err, [&] {
    return zerobusd::capi::ingestMany(table, records, lens, count, /*may_block=*/false, out, err);
  });
}

int zbd_table_flush(zbd_table* table, uint32_t timeout_ms, zbd_error* err) {
  return blocking(err, "zbd_table_flush", "table", table,
                  [&] { return report(err, table->table.flush(milliseconds(timeout_ms))); });
}

int zbd_table_close(zbd_table* table, uint32_t timeout_ms, zbd_error* err) {
  return blocking(err, "zbd_table_close", "table", table,
                  [&] { return report(err, table->table.close(milliseconds(timeout_ms))); });
}

void zbd_table_free(zbd_table* table) { delete table; }

}  // extern "C"
