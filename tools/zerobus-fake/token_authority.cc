#include "tools/zerobus-fake/token_authority.h"

#include <array>
#include <cctype>
#include <stdexcept>
#include <utility>

#include <openssl/rand.h>

namespace zerobusd::fake {
namespace {

constexpr size_t kTokenBytes = 32;
// Expired tokens are kept this long so a client presenting one is told Expired rather than
// Unknown; after that they are swept so a long-running fake does not grow without bound.
constexpr auto kExpiredRetention = std::chrono::hours(1);
// Sweeping is O(tokens); doing it once per this many mints keeps minting O(1) amortised.
constexpr uint64_t kPruneEvery = 256;

std::string lowerAscii(std::string text) {
  for (char& c : text) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return text;
}

std::string randomToken() {
  std::array<unsigned char, kTokenBytes> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    // Never fall back to a weaker generator: a predictable token would make the fake's
    // authentication checks meaningless.
    throw std::runtime_error("RAND_bytes failed: no token minted");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token;
  token.reserve(2 * bytes.size());
  for (unsigned char b : bytes) {
    token.push_back(kHex[b >> 4]);
    token.push_back(kHex[b & 0x0f]);
  }
  return token;
}

}  // namespace

std::string TokenAuthority::mint(TokenGrant grant, std::chrono::seconds lifetime) {
  std::set<std::string> tables;
  for (const std::string& table : grant.tables) {
    tables.insert(lowerAscii(table));
  }
  grant.tables = std::move(tables);
  std::string token = randomToken();
  const auto now = Clock::now();
  std::lock_guard lock(mu_);
  ++minted_;
  if (minted_ % kPruneEvery == 0) {
    pruneExpired(now);
  }
  tokens_[token] = Entry{std::move(grant), now + lifetime};
  return token;
}

void TokenAuthority::addStatic(const std::string& token) {
  std::lock_guard lock(mu_);
  static_.insert(token);
}

TokenCheck TokenAuthority::check(const std::string& token, const std::string& table) const {
  return check(token, table, Clock::now());
}

TokenCheck TokenAuthority::check(const std::string& token, const std::string& table,
                                 Clock::time_point now) const {
  const std::string wanted = lowerAscii(table);
  std::lock_guard lock(mu_);
  const TokenGrant* grant = nullptr;
  const TokenCheck found = find(token, now, &grant);
  if (found != TokenCheck::Ok || grant == nullptr) {
    return found;  // static tokens (grant == nullptr) grant every table
  }
  if (grant->all_tables || grant->tables.count(wanted) != 0) {
    return TokenCheck::Ok;
  }
  return TokenCheck::NotGranted;
}

TokenCheck TokenAuthority::lookup(const std::string& token, TokenGrant* grant) const {
  return lookup(token, grant, Clock::now());
}

TokenCheck TokenAuthority::lookup(const std::string& token, TokenGrant* grant,
                                  Clock::time_point now) const {
  std::lock_guard lock(mu_);
  const TokenGrant* found_grant = nullptr;
  const TokenCheck found = find(token, now, &found_grant);
  if (found == TokenCheck::Ok && grant != nullptr) {
    if (found_grant != nullptr) {
      *grant = *found_grant;
    } else {
      *grant = TokenGrant{};
      grant->all_tables = true;
    }
  }
  return found;
}

void TokenAuthority::revokeAll() {
  std::lock_guard lock(mu_);
  tokens_.clear();
}

uint64_t TokenAuthority::minted() const {
  std::lock_guard lock(mu_);
  return minted_;
}

TokenCheck TokenAuthority::find(const std::string& token, Clock::time_point now,
                                const TokenGrant** grant) const {
  *grant = nullptr;
  if (token.empty()) {
    return TokenCheck::Unknown;
  }
  if (static_.count(token) != 0) {
    return TokenCheck::Ok;
  }
  const auto it = tokens_.find(token);
  if (it == tokens_.end()) {
    return TokenCheck::Unknown;
  }
  if (now >= it->second.expires) {
    return TokenCheck::Expired;
  }
  *grant = &it->second.grant;
  return TokenCheck::Ok;
}

void TokenAuthority::pruneExpired(Clock::time_point now) {
  for (auto it = tokens_.begin(); it != tokens_.end();) {
    if (it->second.expires + kExpiredRetention <= now) {
      it = tokens_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace zerobusd::fake
