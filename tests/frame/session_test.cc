// The annotated session in tests/frame/data/session.hex is what common/frame produces, byte for
// byte, and docs/protocol.md quotes that file verbatim: the document cannot drift from the code.

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/frame/frame_reader.h"
#include "common/frame/messages.h"
#include "tests/frame/fuzz_check.h"
#include "tests/frame/test_util.h"

namespace zerobusd::frame {
namespace {

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

const std::string kSessionPath = std::string(ZEROBUSD_SOURCE_DIR) + "/tests/frame/data/session.hex";
const std::string kDocPath = std::string(ZEROBUSD_SOURCE_DIR) + "/docs/protocol.md";

struct HexFrame {
  std::string direction;  // "C>D" or "D>C"
  std::string name;
  std::string bytes;
};

std::vector<HexFrame> parseSessionFile(const std::string& text) {
  std::vector<HexFrame> frames;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("== ", 0) == 0) {
      std::istringstream words(line.substr(3));
      HexFrame frame;
      words >> frame.direction >> frame.name;
      frames.push_back(frame);
      continue;
    }
    const std::string data = line.substr(0, line.find('#'));
    if (data.find_first_not_of(" \t") == std::string::npos) continue;
    EXPECT_FALSE(frames.empty()) << "bytes before the first frame: " << line;
    if (frames.empty()) continue;
    EXPECT_EQ(data.find_first_not_of("0123456789abcdef \t"), std::string::npos) << line;
    frames.back().bytes += testing::fromHex(data);
  }
  return frames;
}

// The session of the document, built with the encoders.
std::vector<HexFrame> encodedSession() {
  std::vector<HexFrame> frames;
  auto add = [&frames](const char* direction, const char* name, std::string bytes) {
    frames.push_back({direction, name, std::move(bytes)});
  };
  std::string f;
  encodeHello(f, kAckBitAccepted | kAckBitDurable, "demo");
  add("C>D", "HELLO", std::exchange(f, {}));
  encodeWelcome(f, Welcome{kVersion, kAckBitsAll, 1048576, 1000, 100000, 67108864,
                           "zerobusd 0.1.0"});
  add("D>C", "WELCOME", std::exchange(f, {}));
  encodeOpen(f, 1, RecordType::kJson, "main.demo.events");
  add("C>D", "OPEN", std::exchange(f, {}));
  encodeOpenResult(f, 1, ErrorCode::kOk, 1, "");
  add("D>C", "OPEN_RESULT", std::exchange(f, {}));
  RecordsEncoder records;
  records.begin(f, 1, 0);
  records.add(f, R"({"id":1})");
  records.add(f, R"({"id":2})");
  records.finish(f);
  add("C>D", "RECORDS", std::exchange(f, {}));
  encodeAck(f, 1, AckLevel::kAccepted, 2);
  add("D>C", "ACK", std::exchange(f, {}));
  encodeAck(f, 1, AckLevel::kDurable, 2);
  add("D>C", "ACK", std::exchange(f, {}));
  encodeFlush(f, 2, kAllHandles);
  add("C>D", "FLUSH", std::exchange(f, {}));
  encodeFlushed(f, 2, ErrorCode::kOk, "");
  add("D>C", "FLUSHED", std::exchange(f, {}));
  encodeGoodbye(f);
  add("C>D", "GOODBYE", std::exchange(f, {}));
  encodeDaemonGoodbye(f, GoodbyeReason::kAnswer, "");
  add("D>C", "GOODBYE", std::exchange(f, {}));
  return frames;
}

TEST(SessionTest, HexFileMatchesTheEncoderByteForByte) {
  const auto file = parseSessionFile(readFile(kSessionPath));
  const auto encoded = encodedSession();
  ASSERT_EQ(file.size(), encoded.size());
  for (size_t i = 0; i < file.size(); ++i) {
    SCOPED_TRACE("frame " + std::to_string(i) + " " + file[i].name);
    EXPECT_EQ(file[i].direction, encoded[i].direction);
    EXPECT_EQ(file[i].name, encoded[i].name);
    EXPECT_EQ(file[i].bytes, encoded[i].bytes);
  }
}

TEST(SessionTest, EveryFrameOfTheHexFileDecodesAndNamesItsType) {
  for (const auto& frame : parseSessionFile(readFile(kSessionPath))) {
    SCOPED_TRACE(frame.name);
    FrameReader reader(UINT32_MAX);
    reader.append(frame.bytes.data(), frame.bytes.size());
    Frame decoded;
    ErrorCode error;
    ASSERT_EQ(reader.next(&decoded, &error), FrameReader::Result::kFrame);
    EXPECT_EQ(reader.buffered(), 0u);
    EXPECT_EQ(frameTypeName(decoded.header.type), frame.name);
    const auto type = static_cast<uint8_t>(decoded.header.type);
    EXPECT_EQ(frame.direction == "C>D", isClientFrameType(type));
    std::string again;
    EXPECT_TRUE(testing::reencode(decoded.header.type, decoded.payload, &again, &error));
    EXPECT_EQ(again, frame.bytes);
  }
}

TEST(SessionTest, ProtocolDocumentQuotesTheHexFileVerbatim) {
  const std::string doc = readFile(kDocPath);
  const std::string begin_marker = "<!-- session.hex begin -->\n```text\n";
  const std::string end_marker = "```\n<!-- session.hex end -->";
  const size_t begin = doc.find(begin_marker);
  ASSERT_NE(begin, std::string::npos) << "docs/protocol.md lacks the session.hex block";
  const size_t start = begin + begin_marker.size();
  const size_t end = doc.find(end_marker, start);
  ASSERT_NE(end, std::string::npos);
  EXPECT_EQ(doc.substr(start, end - start), readFile(kSessionPath))
      << "docs/protocol.md must quote tests/frame/data/session.hex exactly";
}

}  // namespace
}  // namespace zerobusd::frame
