#pragma once
// send's input: records read one at a time from a file descriptor with bounded memory.
//   - LineReader: one record per line (NDJSON, JSON to be converted). '\n' ends a line, a
//     trailing '\r' is dropped, the last line needs no '\n'. A line longer than the limit is
//     read past (not kept) and reported with its length, so a huge line costs no memory.
//   - DelimitedReader: length-delimited binary records, each a base-128 varint length and
//     that many bytes (protobuf's writeDelimitedTo / parseDelimitedFrom framing). A record
//     over the limit is skipped the same way. A bad varint or a stream that ends inside a
//     record cannot be resynchronised: that is an error, which ends the input.
// Records are numbered from 1 (line numbers; record index + 1 for delimited input).
//
// Thread affinity: one thread. Memory: the 64 KiB read buffer plus one record (<= the limit).
// Error contract: kError with a message for read(2) failures and corrupt delimited input.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace zerobusd::ctl {

// Buffered reads from a file descriptor (not owned). `before_block` runs when the buffer is
// empty and the next read would wait (a pipe or terminal with nothing to read yet): send uses
// it to hand over the records it holds, so a slow producer's lines are not held back.
class InputSource {
 public:
  InputSource(int fd, std::function<void()> before_block);
  InputSource(const InputSource&) = delete;
  InputSource& operator=(const InputSource&) = delete;

  // Bytes buffered and not consumed yet; refills when empty. Empty at end of input or on error
  // (then failed() is true).
  std::string_view available();
  void consume(size_t bytes) { begin_ += bytes; }
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }

 private:
  int fd_;
  std::function<void()> before_block_;
  std::string buffer_;
  size_t begin_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  std::string error_;
};

struct InputRecord {
  uint64_t number = 0;    // 1-based line / record number
  std::string_view data;  // valid until the next call; empty when too_large
  uint64_t size = 0;      // the record's full size in bytes
  bool too_large = false;
};

enum class ReadStatus { kRecord, kEnd, kError };

class LineReader {
 public:
  LineReader(InputSource& source, size_t max_line_bytes);
  ReadStatus next(InputRecord* record, std::string* error);

 private:
  InputSource& source_;
  size_t max_;
  uint64_t number_ = 0;
  std::string line_;
};

class DelimitedReader {
 public:
  DelimitedReader(InputSource& source, size_t max_record_bytes);
  ReadStatus next(InputRecord* record, std::string* error);

 private:
  // Reads exactly `n` bytes into record_ (or drops them when `keep` is false).
  bool readBytes(uint64_t n, bool keep);

  InputSource& source_;
  size_t max_;
  uint64_t number_ = 0;
  std::string record_;
};

}  // namespace zerobusd::ctl
