// zerobusctl send keeps its memory bounded however large the input: a line too long for the
// daemon is read past, never held, and records flow at the pace the daemon's window allows.
// Measured as the child's peak RSS (VmHWM) against a baseline run of the same command.
// Labelled no_tsan: ThreadSanitizer's shadow memory makes RSS meaningless.

#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/zerobusctl/ctl_fixture.h"

namespace zerobusd::ctl::testing {
namespace {

using zerobusd::testing::kEvents;

TEST_F(CtlTest, SendStreamsHugeInputsWithBoundedMemory) {
  startDaemon(
      "limits: {connection_window_bytes: 262144, max_frame_bytes: 65536, max_record_bytes: "
      "65000}\n");
  CtlInput input;
  input.limit = std::chrono::seconds(100);
  // Under AddressSanitizer, freed memory sits in a quarantine that would count as growth.
  const char* asan = std::getenv("ASAN_OPTIONS");
  input.env = {
      {"ASAN_OPTIONS", std::string(asan != nullptr ? asan : "") + ":quarantine_size_mb=0"}};

  const std::string one = inputFile("small", R"({"id":0,"kind":"k"})"
                                             "\n");
  const CtlRun small = ctl({"send", "-t", kEvents, "-f", one}, input);
  ASSERT_EQ(small.exit_code, 0) << small.err;

  // 64 MiB in one line, then ~12 MiB of records: neither may be held in memory at once.
  constexpr int kRecords = 100'000;
  std::string text = R"({"id":-1,"kind":")" + std::string(64 << 20, 'h') + "\"}\n";
  const std::string kind(100, 'k');
  for (int i = 1; i <= kRecords; ++i)
    text += fmt::format(R"({{"id":{},"kind":"{}"}})", i, kind) + "\n";
  const std::string path = inputFile("big", text);
  text.clear();
  text.shrink_to_fit();

  const CtlRun big = ctl({"send", "-t", kEvents, "-f", path}, input);
  EXPECT_EQ(big.exit_code, 1) << big.err;  // the huge line fails, nothing else
  EXPECT_NE(
      big.out.find(fmt::format("{} record(s) read, {} durable, 1 failed", kRecords + 1, kRecords)),
      std::string::npos)
      << big.out << big.err;
  EXPECT_NE(big.err.find("line 1: RECORD_TOO_LARGE"), std::string::npos) << big.err;
  const long growth_kib = big.peak_rss_kib - small.peak_rss_kib;
  EXPECT_LT(growth_kib, 32 * 1024)
      << "baseline " << small.peak_rss_kib << " KiB, big input " << big.peak_rss_kib << " KiB";
  RecordProperty("rss_baseline_kib", std::to_string(small.peak_rss_kib));
  RecordProperty("rss_big_input_kib", std::to_string(big.peak_rss_kib));
  RecordProperty("milliseconds", std::to_string(big.took.count()));
  EXPECT_GE(rowsOnceAtLeast(kEvents, kRecords + 1).size(), static_cast<size_t>(kRecords + 1));
}

}  // namespace
}  // namespace zerobusd::ctl::testing
