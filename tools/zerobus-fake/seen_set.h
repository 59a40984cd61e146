#pragma once
// A set of 64-bit record hashes for duplicate counting: open addressing with linear probing in
// one flat array, so an insert is a hash and (mostly) one cache miss. The fake inserts every
// landed record; std::unordered_set's node allocation and rehashing cost more than everything
// else the fake does per record. Not thread-safe (the caller holds the table's lock).

#include <cstdint>
#include <vector>

namespace zerobusd::fake {

class SeenSet {
 public:
  // True if `hash` was not in the set (and is now).
  bool insert(uint64_t hash) {
    if (hash == 0) hash = 1;  // 0 marks an empty slot
    if ((size_ + 1) * 2 > slots_.size()) grow();
    size_t mask = slots_.size() - 1;
    for (size_t i = mix(hash) & mask;; i = (i + 1) & mask) {
      if (slots_[i] == hash) return false;
      if (slots_[i] == 0) {
        slots_[i] = hash;
        ++size_;
        return true;
      }
    }
  }
  void clear() {
    slots_.clear();
    size_ = 0;
  }
  size_t size() const { return size_; }

 private:
  static uint64_t mix(uint64_t x) {  // spread the bits: std::hash may leave low bits weak
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
  }
  void grow() {
    std::vector<uint64_t> old;
    old.swap(slots_);
    slots_.assign(old.empty() ? 1024 : old.size() * 2, 0);
    size_ = 0;
    for (uint64_t h : old) {
      if (h != 0) insert(h);
    }
  }
  std::vector<uint64_t> slots_;
  size_t size_ = 0;
};

}  // namespace zerobusd::fake
