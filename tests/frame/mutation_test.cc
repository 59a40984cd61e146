// Deterministic mutation testing of the frame codec: ~100k inputs derived from valid frames
// (bit flips, byte overwrites with boundary values, truncations, insertions, splices, length
// fields rewritten) through every parser, with the round-trip property of fuzz_check.h. Fixed
// seed, so a failure reproduces; the libFuzzer target explores beyond this.

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/frame/messages.h"
#include "tests/frame/fuzz_check.h"

namespace zerobusd::frame {
namespace {

std::vector<std::string> seeds() {
  std::vector<std::string> out;
  std::string f;
  encodeHello(f, 3, "seed-client");
  out.push_back(std::exchange(f, {}));
  encodeOpen(f, 1, RecordType::kProto, "main.demo.events");
  out.push_back(std::exchange(f, {}));
  RecordsEncoder e;
  e.begin(f, 1, 41);
  e.add(f, "{\"a\":1}");
  e.add(f, "");
  e.add(f, std::string(40, '\x08'));
  e.finish(f);
  out.push_back(std::exchange(f, {}));
  encodeFlush(f, 5, kAllHandles);
  out.push_back(std::exchange(f, {}));
  encodePing(f, 7);
  out.push_back(std::exchange(f, {}));
  encodeCloseHandle(f, 1);
  out.push_back(std::exchange(f, {}));
  encodeGoodbye(f);
  out.push_back(std::exchange(f, {}));
  encodeStatus(f, 9);
  out.push_back(std::exchange(f, {}));
  encodeWelcome(f, Welcome{1, 3, 4096, 10, 100, 1 << 20, "zerobusd"});
  out.push_back(std::exchange(f, {}));
  encodeOpenResult(f, 1, ErrorCode::kPermissionDenied, 0, "denied");
  out.push_back(std::exchange(f, {}));
  encodeAck(f, 1, AckLevel::kDurable, 44);
  out.push_back(std::exchange(f, {}));
  encodeReject(f, 1, 42, 1, ErrorCode::kInvalidRecord, false, "bad \xC3\xA9");
  out.push_back(std::exchange(f, {}));
  encodeFlushed(f, 5, ErrorCode::kOk, "");
  out.push_back(std::exchange(f, {}));
  encodePong(f, 7);
  out.push_back(std::exchange(f, {}));
  encodeWindow(f, 100, 1 << 20);
  out.push_back(std::exchange(f, {}));
  encodeError(f, ErrorCode::kSequenceGap, false, true, 1, "gap");
  out.push_back(std::exchange(f, {}));
  encodeDaemonGoodbye(f, GoodbyeReason::kShuttingDown, "bye");
  out.push_back(std::exchange(f, {}));
  encodeStatusResult(f, 9, "{\"ok\":true}");
  out.push_back(std::exchange(f, {}));
  return out;
}

std::string mutate(const std::vector<std::string>& pool, std::mt19937_64& rng) {
  auto pick = [&rng](size_t n) { return n == 0 ? 0 : static_cast<size_t>(rng() % n); };
  std::string s = pool[pick(pool.size())];
  const size_t rounds = 1 + pick(4);
  static const uint8_t kInteresting[] = {0x00, 0x01, 0x02, 0x7F, 0x80, 0xFF, 0xFE, 0x5A, 0x42};
  for (size_t r = 0; r < rounds; ++r) {
    switch (pick(8)) {
      case 0:  // flip a bit
        if (!s.empty()) s[pick(s.size())] ^= static_cast<char>(1u << pick(8));
        break;
      case 1:  // overwrite a byte with a boundary value
        if (!s.empty()) s[pick(s.size())] = static_cast<char>(kInteresting[pick(9)]);
        break;
      case 2:  // truncate
        s.resize(pick(s.size() + 1));
        break;
      case 3:  // insert random bytes
        s.insert(pick(s.size() + 1), std::string(1 + pick(8), static_cast<char>(rng())));
        break;
      case 4:  // append another frame (a stream of two)
        s += pool[pick(pool.size())];
        break;
      case 5:  // rewrite the header's length field
        if (s.size() >= 8) {
          const uint32_t length = static_cast<uint32_t>(
              pick(3) == 0 ? rng() : s.size() - 8 + pick(5) - 2);
          for (size_t i = 0; i < 4; ++i) s[4 + i] = static_cast<char>(length >> (8 * i));
        }
        break;
      case 6:  // rewrite a 32-bit field inside the payload (counts, string lengths, ...)
        if (s.size() >= 12) {
          const size_t at = 8 + pick(s.size() - 11);
          const uint32_t value = static_cast<uint32_t>(pick(2) == 0 ? rng() : pick(64));
          for (size_t i = 0; i < 4 && at + i < s.size(); ++i) {
            s[at + i] = static_cast<char>(value >> (8 * i));
          }
        }
        break;
      default:  // drop a range
        if (!s.empty()) {
          const size_t at = pick(s.size());
          s.erase(at, 1 + pick(s.size() - at));
        }
        break;
    }
  }
  return s;
}

TEST(MutationTest, HundredThousandMutatedFramesKeepTheCodecProperties) {
  const auto pool = seeds();
  std::mt19937_64 rng(0x5A42'0001'2024ULL);
  size_t frames = 0;
  for (int i = 0; i < 100000; ++i) {
    const std::string input = mutate(pool, rng);
    frames += testing::checkFrameBytes(reinterpret_cast<const uint8_t*>(input.data()),
                                       input.size());
  }
  // Sanity: mutations are not so destructive that nothing decodes any more.
  EXPECT_GT(frames, 10000u);
}

TEST(MutationTest, ValidSeedsRoundTrip) {
  for (const auto& seed : seeds()) {
    EXPECT_EQ(testing::checkFrameBytes(reinterpret_cast<const uint8_t*>(seed.data()),
                                       seed.size()),
              1u);
  }
}

}  // namespace
}  // namespace zerobusd::frame
