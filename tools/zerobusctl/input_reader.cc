#include "tools/zerobusctl/input_reader.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace zerobusd::ctl {
namespace {

constexpr size_t kReadBufferBytes = 64 * 1024;
constexpr int kMaxVarintBytes = 10;

}  // namespace

InputSource::InputSource(int fd, std::function<void()> before_block)
    : fd_(fd), before_block_(std::move(before_block)), buffer_(kReadBufferBytes, '\0') {}

std::string_view InputSource::available() {
  if (begin_ < end_) return std::string_view(buffer_).substr(begin_, end_ - begin_);
  if (eof_ || failed()) return {};
  begin_ = end_ = 0;
  if (before_block_) {
    pollfd ready{fd_, POLLIN, 0};
    if (::poll(&ready, 1, 0) == 0) before_block_();
  }
  while (true) {
    const ssize_t n = ::read(fd_, buffer_.data(), buffer_.size());
    if (n > 0) {
      end_ = static_cast<size_t>(n);
      return std::string_view(buffer_).substr(0, end_);
    }
    if (n == 0) {
      eof_ = true;
      return {};
    }
    if (errno == EINTR) continue;
    error_ = std::string("read failed: ") + std::strerror(errno);
    return {};
  }
}

LineReader::LineReader(InputSource& source, size_t max_line_bytes)
    : source_(source), max_(max_line_bytes) {}

ReadStatus LineReader::next(InputRecord* record, std::string* error) {
  line_.clear();
  uint64_t size = 0;
  bool too_large = false;
  bool any = false;
  while (true) {
    std::string_view chunk = source_.available();
    if (chunk.empty()) {
      if (source_.failed()) {
        *error = source_.error();
        return ReadStatus::kError;
      }
      if (!any) return ReadStatus::kEnd;
      break;  // the last line, without '\n'
    }
    any = true;
    const size_t newline = chunk.find('\n');
    const std::string_view part = chunk.substr(0, newline);
    size += part.size();
    if (!too_large && line_.size() + part.size() <= max_) {
      line_.append(part);
    } else if (!too_large) {
      too_large = true;
      line_.clear();
      line_.shrink_to_fit();
    }
    if (newline == std::string_view::npos) {
      source_.consume(chunk.size());
      continue;
    }
    source_.consume(newline + 1);
    break;
  }
  if (!too_large && !line_.empty() && line_.back() == '\r') {
    line_.pop_back();
    --size;
  }
  *record = InputRecord{++number_, too_large ? std::string_view() : std::string_view(line_), size,
                        too_large};
  return ReadStatus::kRecord;
}

DelimitedReader::DelimitedReader(InputSource& source, size_t max_record_bytes)
    : source_(source), max_(max_record_bytes) {}

bool DelimitedReader::readBytes(uint64_t n, bool keep) {
  while (n > 0) {
    std::string_view chunk = source_.available();
    if (chunk.empty()) return false;
    const size_t take = static_cast<size_t>(std::min<uint64_t>(n, chunk.size()));
    if (keep) record_.append(chunk.substr(0, take));
    source_.consume(take);
    n -= take;
  }
  return true;
}

ReadStatus DelimitedReader::next(InputRecord* record, std::string* error) {
  const uint64_t number = number_ + 1;
  uint64_t length = 0;
  int shift = 0;
  for (int i = 0;; ++i) {
    std::string_view chunk = source_.available();
    if (chunk.empty()) {
      if (source_.failed()) {
        *error = source_.error();
        return ReadStatus::kError;
      }
      if (i == 0) return ReadStatus::kEnd;
      *error = "record " + std::to_string(number) + ": the input ends inside its length prefix";
      return ReadStatus::kError;
    }
    const auto byte = static_cast<uint8_t>(chunk.front());
    source_.consume(1);
    // The tenth byte may only carry bit 63: anything more does not fit 64 bits (and a
    // continuation bit there would make an 11-byte varint).
    if (i == kMaxVarintBytes - 1 && byte > 1) {
      *error = "record " + std::to_string(number) +
               ": the length prefix is not a valid varint (is this length-delimited protobuf?)";
      return ReadStatus::kError;
    }
    length |= static_cast<uint64_t>(byte & 0x7f) << shift;
    shift += 7;
    if ((byte & 0x80) == 0) break;
  }
  number_ = number;
  record_.clear();
  const bool too_large = length > max_;
  if (!readBytes(length, !too_large)) {
    if (source_.failed()) {
      *error = source_.error();
    } else {
      *error = "record " + std::to_string(number) + ": the input ends inside the record (" +
               std::to_string(length) + " bytes announced)";
    }
    return ReadStatus::kError;
  }
  *record = InputRecord{number, too_large ? std::string_view() : std::string_view(record_), length,
                        too_large};
  return ReadStatus::kRecord;
}

}  // namespace zerobusd::ctl
