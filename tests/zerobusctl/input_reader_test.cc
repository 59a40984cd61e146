#include "tools/zerobusctl/input_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace zerobusd::ctl {
namespace {

// A pipe whose write end is filled by the test (and closed, for EOF).
class Pipe {
 public:
  Pipe() { EXPECT_EQ(::pipe2(fds_, O_CLOEXEC), 0); }
  ~Pipe() {
    closeWrite();
    ::close(fds_[0]);
  }
  int readFd() const { return fds_[0]; }
  void write(const std::string& bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::write(fds_[1], bytes.data() + done, bytes.size() - done);
      ASSERT_GT(n, 0);
      done += static_cast<size_t>(n);
    }
  }
  void closeWrite() {
    if (fds_[1] >= 0) ::close(fds_[1]);
    fds_[1] = -1;
  }

 private:
  int fds_[2] = {-1, -1};
};

struct Read {
  uint64_t number;
  std::string data;
  uint64_t size;
  bool too_large;
};

// Feeds `input` through a pipe from a writer thread (so inputs larger than the pipe buffer
// work) and collects every record; `error` gets the reader's error, if any.
template <typename Reader>
std::vector<Read> readAll(const std::string& input, size_t max, std::string* error = nullptr) {
  Pipe pipe;
  std::thread writer([&] {
    pipe.write(input);
    pipe.closeWrite();
  });
  InputSource source(pipe.readFd(), nullptr);
  Reader reader(source, max);
  std::vector<Read> out;
  InputRecord record;
  std::string why;
  ReadStatus status;
  while ((status = reader.next(&record, &why)) == ReadStatus::kRecord) {
    out.push_back({record.number, std::string(record.data), record.size, record.too_large});
  }
  writer.join();
  if (status == ReadStatus::kError && error != nullptr) *error = why;
  EXPECT_TRUE(status == ReadStatus::kEnd || error != nullptr) << why;
  return out;
}

std::string varint(uint64_t value) {
  std::string out;
  while (value >= 0x80) {
    out += static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  out += static_cast<char>(value);
  return out;
}

TEST(LineReaderTest, SplitsLinesDropsCarriageReturnsAndKeepsTheLastUnterminatedLine) {
  auto lines = readAll<LineReader>("a\r\n\nbc\nlast", 100);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0].data, "a");
  EXPECT_EQ(lines[1].data, "");
  EXPECT_EQ(lines[2].data, "bc");
  EXPECT_EQ(lines[2].number, 3u);
  EXPECT_EQ(lines[3].data, "last");
  EXPECT_EQ(readAll<LineReader>("", 100).size(), 0u);
  EXPECT_EQ(readAll<LineReader>("x\n", 100).size(), 1u);
}

TEST(LineReaderTest, ReportsLongLinesWithTheirLengthWithoutKeepingThem) {
  const std::string big(1'000'000, 'x');  // spans many 64 KiB reads
  auto lines = readAll<LineReader>("ok\n" + big + "\nfits\n" + std::string(11, 'y'), 10);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_FALSE(lines[0].too_large);
  EXPECT_TRUE(lines[1].too_large);
  EXPECT_EQ(lines[1].size, big.size());
  EXPECT_EQ(lines[1].data, "");
  EXPECT_EQ(lines[2].data, "fits");
  EXPECT_EQ(lines[2].number, 3u);
  EXPECT_TRUE(lines[3].too_large);
  EXPECT_EQ(lines[3].size, 11u);
}

TEST(DelimitedReaderTest, ReadsVarintPrefixedRecords) {
  const std::string big(300, 'b');  // a two-byte length prefix
  auto records = readAll<DelimitedReader>(varint(3) + "abc" + varint(0) + varint(300) + big, 1000);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].data, "abc");
  EXPECT_EQ(records[1].data, "");
  EXPECT_EQ(records[2].data, big);
  EXPECT_EQ(records[2].number, 3u);
}

TEST(DelimitedReaderTest, SkipsOversizedRecordsAndGoesOn) {
  auto records = readAll<DelimitedReader>(
      varint(2'000'000) + std::string(2'000'000, 'z') + varint(1) + "k", 10);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_TRUE(records[0].too_large);
  EXPECT_EQ(records[0].size, 2'000'000u);
  EXPECT_EQ(records[1].data, "k");
}

TEST(DelimitedReaderTest, CorruptOrTruncatedInputIsAnError) {
  std::string error;
  auto records = readAll<DelimitedReader>(varint(1) + "a" + varint(5) + "ab", 100, &error);
  EXPECT_EQ(records.size(), 1u);
  EXPECT_NE(error.find("record 2: the input ends inside the record (5 bytes announced)"),
            std::string::npos)
      << error;
  error.clear();
  readAll<DelimitedReader>("\x80", 100, &error);
  EXPECT_NE(error.find("record 1: the input ends inside its length prefix"), std::string::npos);
  error.clear();
  readAll<DelimitedReader>(std::string(11, '\xff'), 100, &error);
  EXPECT_NE(error.find("not a valid varint"), std::string::npos) << error;
  error.clear();
  // The largest 64-bit length is a valid varint, but far over any limit; its bytes are missing.
  readAll<DelimitedReader>(std::string(9, '\xff') + "\x01", 100, &error);
  EXPECT_NE(error.find("the input ends inside the record"), std::string::npos) << error;
}

TEST(InputSourceTest, CallsBeforeBlockOnlyWhenAReadWouldWait) {
  Pipe pipe;
  int calls = 0;
  InputSource source(pipe.readFd(), [&] {
    ++calls;
    pipe.write("late\n");  // what a slow producer writes after the hook ran
    pipe.closeWrite();
  });
  pipe.write("first\n");
  LineReader reader(source, 100);
  InputRecord record;
  std::string error;
  ASSERT_EQ(reader.next(&record, &error), ReadStatus::kRecord);
  EXPECT_EQ(record.data, "first");
  EXPECT_EQ(calls, 0);  // the data was there
  ASSERT_EQ(reader.next(&record, &error), ReadStatus::kRecord);
  EXPECT_EQ(record.data, "late");
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(reader.next(&record, &error), ReadStatus::kEnd);
}

TEST(InputSourceTest, ReadErrorsAreReported) {
  InputSource source(-1, nullptr);
  LineReader reader(source, 100);
  InputRecord record;
  std::string error;
  EXPECT_EQ(reader.next(&record, &error), ReadStatus::kError);
  EXPECT_NE(error.find("read failed"), std::string::npos);
}

}  // namespace
}  // namespace zerobusd::ctl
