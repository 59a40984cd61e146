// Incremental decoding: a stream of frames cut at every byte boundary (and fed one byte at a
// time, and read through prepare/commit) yields the same frames as when fed whole; errors are
// sticky; the payload limit can change after the handshake.

#include "common/frame/frame_reader.h"

#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/frame/messages.h"
#include "tests/frame/test_util.h"

namespace zerobusd::frame {
namespace {

struct Decoded {
  FrameType type;
  std::string payload;
  bool operator==(const Decoded&) const = default;
};

// One of every frame type, back to back, with payloads of many sizes.
std::string stream() {
  std::string s;
  encodeHello(s, 3, "client");
  encodeWelcome(s, Welcome{1, 3, 1 << 20, 1000, 100000, 64 << 20, "zerobusd 0.1.0"});
  encodeOpen(s, 1, RecordType::kJson, "main.demo.events");
  encodeOpenResult(s, 1, ErrorCode::kOk, 1, "");
  RecordsEncoder e;
  e.begin(s, 1, 0);
  for (int i = 0; i < 5; ++i) e.add(s, std::string(static_cast<size_t>(i * 37), 'r'));
  e.finish(s);
  encodeAck(s, 1, AckLevel::kAccepted, 5);
  encodeReject(s, 1, 3, 1, ErrorCode::kInvalidRecord, false, "bad record");
  encodeAck(s, 1, AckLevel::kDurable, 5);
  encodeFlush(s, 2, kAllHandles);
  encodeFlushed(s, 2, ErrorCode::kOk, "");
  encodePing(s, 99);
  encodePong(s, 99);
  encodeWindow(s, 10, 10000);
  encodeStatus(s, 3);
  encodeStatusResult(s, 3, "{\"ok\":true}");
  encodeCloseHandle(s, 1);
  encodeError(s, ErrorCode::kUnknownHandle, false, false, 1, "gone");
  encodeGoodbye(s);
  encodeDaemonGoodbye(s, GoodbyeReason::kAnswer, "");
  return s;
}

constexpr size_t kFramesInStream = 19;

// Feeds `chunks` in order and collects every frame.
std::vector<Decoded> decode(const std::vector<std::string_view>& chunks) {
  FrameReader reader(1 << 20);
  std::vector<Decoded> out;
  Frame frame;
  ErrorCode error;
  for (std::string_view chunk : chunks) {
    reader.append(chunk.data(), chunk.size());
    FrameReader::Result result;
    while ((result = reader.next(&frame, &error)) == FrameReader::Result::kFrame) {
      out.push_back({frame.header.type, std::string(frame.payload)});
    }
    EXPECT_EQ(result, FrameReader::Result::kNeedMore);
  }
  EXPECT_EQ(reader.buffered(), 0u);
  return out;
}

TEST(FrameReaderTest, DecodesAStreamFedWhole) {
  const std::string s = stream();
  const auto frames = decode({s});
  ASSERT_EQ(frames.size(), kFramesInStream);
  EXPECT_EQ(frames.front().type, FrameType::kHello);
  EXPECT_EQ(frames.back().type, FrameType::kDaemonGoodbye);
}

TEST(FrameReaderTest, SplitAtEveryByteBoundaryDecodesTheSame) {
  const std::string s = stream();
  const std::string_view v(s);
  const auto expected = decode({v});
  for (size_t cut = 0; cut <= s.size(); ++cut) {
    ASSERT_EQ(decode({v.substr(0, cut), v.substr(cut)}), expected) << "cut at " << cut;
  }
}

TEST(FrameReaderTest, SplitAtEveryPairOfBoundariesInOneFrame) {
  std::string s;
  encodeReject(s, 1, 3, 1, ErrorCode::kInvalidRecord, false, "bad record");
  const std::string_view v(s);
  const auto expected = decode({v});
  ASSERT_EQ(expected.size(), 1u);
  for (size_t a = 0; a <= s.size(); ++a) {
    for (size_t b = a; b <= s.size(); ++b) {
      ASSERT_EQ(decode({v.substr(0, a), v.substr(a, b - a), v.substr(b)}), expected)
          << a << "," << b;
    }
  }
}

TEST(FrameReaderTest, OneByteAtATime) {
  const std::string s = stream();
  std::vector<std::string_view> chunks;
  for (size_t i = 0; i < s.size(); ++i) chunks.push_back(std::string_view(s).substr(i, 1));
  EXPECT_EQ(decode(chunks), decode({s}));
}

TEST(FrameReaderTest, PrepareCommitReadsInPlaceAcrossCompactions) {
  const std::string s = stream();
  FrameReader reader(1 << 20);
  std::vector<Decoded> out;
  size_t pos = 0;
  Frame frame;
  ErrorCode error;
  while (pos < s.size()) {
    // Read in odd-sized pieces, as a socket would deliver them.
    const size_t n = std::min<size_t>(s.size() - pos, 7 + pos % 11);
    std::span<char> space = reader.prepare(n);
    ASSERT_GE(space.size(), n);
    std::memcpy(space.data(), s.data() + pos, n);
    reader.commit(n);
    pos += n;
    while (reader.next(&frame, &error) == FrameReader::Result::kFrame) {
      out.push_back({frame.header.type, std::string(frame.payload)});
    }
  }
  EXPECT_EQ(out, decode({s}));
}

TEST(FrameReaderTest, ErrorsAreStickyAndFramesBeforeThemAreDelivered) {
  std::string s;
  encodePing(s, 1);
  s += "garbage";
  encodePing(s, 2);
  FrameReader reader;
  reader.append(s.data(), s.size());
  Frame frame;
  ErrorCode error = ErrorCode::kOk;
  ASSERT_EQ(reader.next(&frame, &error), FrameReader::Result::kFrame);
  EXPECT_EQ(frame.header.type, FrameType::kPing);
  EXPECT_EQ(reader.next(&frame, &error), FrameReader::Result::kError);
  EXPECT_EQ(error, ErrorCode::kMalformedFrame);
  std::string more;
  encodePing(more, 3);
  reader.append(more.data(), more.size());
  EXPECT_EQ(reader.next(&frame, &error), FrameReader::Result::kError);
}

TEST(FrameReaderTest, OversizedFrameIsRefusedFromItsHeaderAlone) {
  std::string s;
  encodeHeader(s, FrameType::kRecords, kPreHandshakeMaxFrame + 1);
  FrameReader reader;  // pre-handshake limit
  reader.append(s.data(), s.size());
  Frame frame;
  ErrorCode error;
  EXPECT_EQ(reader.next(&frame, &error), FrameReader::Result::kError);
  EXPECT_EQ(error, ErrorCode::kFrameTooLarge);
}

TEST(FrameReaderTest, RaisedLimitAppliesToLaterFrames) {
  std::string big;
  RecordsEncoder e;
  e.begin(big, 1, 0);
  e.add(big, std::string(100000, 'x'));
  e.finish(big);
  FrameReader reader;
  reader.setMaxPayload(1 << 20);
  reader.append(big.data(), big.size());
  Frame frame;
  ErrorCode error;
  ASSERT_EQ(reader.next(&frame, &error), FrameReader::Result::kFrame);
  EXPECT_EQ(frame.payload.size(), big.size() - kHeaderSize);
}

}  // namespace
}  // namespace zerobusd::frame
