#include "common/frame/frame_reader.h"

#include <cstring>

namespace zerobusd::frame {

void FrameReader::dropConsumed() {
  read_ += consume_;
  consume_ = 0;
  if (read_ == write_) read_ = write_ = 0;
}

std::span<char> FrameReader::prepare(size_t min_size) {
  dropConsumed();
  if (buffer_.size() - write_ < min_size && read_ > 0) {
    // Move the partial frame to the front rather than growing: the buffer stays near one
    // frame's size however long the connection lives.
    std::memmove(buffer_.data(), buffer_.data() + read_, write_ - read_);
    write_ -= read_;
    read_ = 0;
  }
  if (buffer_.size() - write_ < min_size) {
    size_t capacity = buffer_.empty() ? 4096 : buffer_.size();
    while (capacity - write_ < min_size) capacity *= 2;
    buffer_.resize(capacity);
  }
  return {buffer_.data() + write_, buffer_.size() - write_};
}

void FrameReader::commit(size_t size) {
  write_ += size < buffer_.size() - write_ ? size : buffer_.size() - write_;
}

void FrameReader::append(const void* data, size_t size) {
  if (size == 0) return;
  std::span<char> space = prepare(size);
  std::memcpy(space.data(), data, size);
  commit(size);
}

FrameReader::Result FrameReader::next(Frame* frame, ErrorCode* error) {
  if (error_ != ErrorCode::kOk) {
    *error = error_;
    return Result::kError;
  }
  dropConsumed();
  const size_t available = write_ - read_;
  const auto* data = reinterpret_cast<const uint8_t*>(buffer_.data() + read_);
  const HeaderResult header = parseHeader(data, available, max_payload_);
  if (header.status == HeaderStatus::kError) {
    error_ = header.error;
    *error = error_;
    return Result::kError;
  }
  if (header.status == HeaderStatus::kNeedMore) return Result::kNeedMore;
  const size_t total = kHeaderSize + header.header.payload_size;
  if (available < total) return Result::kNeedMore;
  frame->header = header.header;
  frame->payload = std::string_view(buffer_.data() + read_ + kHeaderSize,
                                    header.header.payload_size);
  consume_ = total;
  return Result::kFrame;
}

}  // namespace zerobusd::frame
