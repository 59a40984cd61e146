// Fuzz target for the local frame codec: every parser over arbitrary bytes, with the
// parse/re-encode identity checked (tests/frame/fuzz_check.h). Built two ways:
//  - with -DZEROBUSD_LIBFUZZER=ON (clang, -fsanitize=fuzzer): a libFuzzer binary;
//  - otherwise: a replay program that runs every file of the corpus directories given on the
//    command line (ctest runs tests/frame/corpus this way, label "fuzz").

#include <cstddef>
#include <cstdint>

#include "tests/frame/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  zerobusd::frame::testing::checkFrameBytes(data, size);
  return 0;
}

#ifndef ZEROBUSD_LIBFUZZER

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <corpus dir or file>...\n", argv[0]);
    return 2;
  }
  std::vector<std::filesystem::path> files;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path path(argv[i]);
    if (std::filesystem::is_directory(path)) {
      for (const auto& entry : std::filesystem::directory_iterator(path)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
    } else {
      files.push_back(path);
    }
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::fprintf(stderr, "no corpus files found\n");
    return 1;  // an empty corpus would make this test pass vacuously
  }
  size_t frames = 0;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)),
                            std::istreambuf_iterator<char>());
    frames += zerobusd::frame::testing::checkFrameBytes(
        reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
  std::printf("replayed %zu corpus files, %zu frames decoded\n", files.size(), frames);
  return 0;
}

#endif  // ZEROBUSD_LIBFUZZER
