#pragma once
// Where a table's streams get their bearer token. One TokenSource per (workspace, table,
// principal), shared by every stream of the table's pool, so a pool makes one token request
// where the SDK makes one per stream and per reconnect.
//
// Thread affinity: getToken() is called on the loop thread and `done` runs on the loop thread.
// Error contract: a failure's code is classified by common/status.h isRetriable():
// UNAVAILABLE / DEADLINE_EXCEEDED for token endpoint 5xx, network errors and timeouts
// (retriable, the SDK's TokenFetchError); UNAUTHENTICATED for 4xx (429 included), a body that
// is not JSON or lacks access_token (not retriable, the SDK's InvalidUCTokenError);
// INVALID_ARGUMENT for a table name that is not catalog.schema.table.
// Tokens and secrets never appear in a Status message or a log line.

#include <functional>
#include <memory>
#include <string>

#include "common/status.h"

namespace zerobusd {

class TokenSource {
 public:
  using Callback = std::function<void(absl::StatusOr<std::string> token)>;
  virtual ~TokenSource() = default;

  // Gives a token that is valid now: cached, or fetched. With `invalidate`, the service has
  // refused the token last given (UNAUTHENTICATED / PERMISSION_DENIED): drop it and fetch anew.
  // Concurrent calls while a fetch runs share that fetch (single flight).
  virtual void getToken(bool invalidate, Callback done) = 0;
};

// A configured static bearer token (e.g. a personal access token, or the fake's test token).
class StaticTokenSource final : public TokenSource {
 public:
  explicit StaticTokenSource(std::string token) : token_(std::move(token)) {}
  void getToken(bool /*invalidate*/, Callback done) override { done(token_); }

 private:
  std::string token_;
};

}  // namespace zerobusd
