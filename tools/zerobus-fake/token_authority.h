#pragma once
// Tokens the fake service mints at its OAuth endpoint and checks on every stream, like the
// real workspace's token service: opaque random strings with an expiry and the tables their
// authorization_details granted. Thread-safe (HTTP and gRPC threads share one instance).
// Table names compare case-insensitively (ASCII), as Unity Catalog names do. Tokens are
// 32 bytes from OpenSSL's CSPRNG, hex-encoded; mint() throws std::runtime_error if the CSPRNG
// fails (callers at a thread boundary turn that into an error answer).

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>

namespace zerobusd::fake {

enum class TokenCheck { Ok, Unknown, Expired, NotGranted };

struct TokenGrant {
  // Static tokens only. Schema-only (all-apis) tokens are minted with all_tables = false and
  // no tables: they read Unity Catalog schemas but cannot open a stream (see workspace_http.h).
  bool all_tables = false;
  std::set<std::string> tables;  // catalog.schema.table with MODIFY granted
  bool ingest = false;           // minted by the ingest form (resource=...zerobusDirectWriteApi)
};

class TokenAuthority {
 public:
  using Clock = std::chrono::system_clock;

  // Mints a token valid for `lifetime` from now.
  std::string mint(TokenGrant grant, std::chrono::seconds lifetime);
  void addStatic(const std::string& token);  // never expires, every table
  TokenCheck check(const std::string& token, const std::string& table) const;
  // As above at an explicit time, so tests check expiry without waiting for it.
  TokenCheck check(const std::string& token, const std::string& table, Clock::time_point now) const;
  // Validity without a table (the Unity Catalog API): Ok, Unknown or Expired. On Ok and with
  // `grant` not null, copies the token's grant there (static tokens: all_tables, not ingest).
  TokenCheck lookup(const std::string& token, TokenGrant* grant) const;
  TokenCheck lookup(const std::string& token, TokenGrant* grant, Clock::time_point now) const;
  void revokeAll();  // minted tokens only; static ones stay
  uint64_t minted() const;

 private:
  struct Entry {
    TokenGrant grant;
    Clock::time_point expires;
  };
  // Looks `token` up with mu_ held; the entry's grant on Ok (nullptr for static tokens).
  TokenCheck find(const std::string& token, Clock::time_point now, const TokenGrant** grant) const;
  void pruneExpired(Clock::time_point now);

  mutable std::mutex mu_;
  std::map<std::string, Entry> tokens_;
  std::set<std::string> static_;
  uint64_t minted_ = 0;
};

}  // namespace zerobusd::fake
