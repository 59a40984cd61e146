#include "tools/zerobus-fake/token_authority.h"

#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace zerobusd::fake {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

TokenGrant grantFor(std::set<std::string> tables) {
  TokenGrant grant;
  grant.tables = std::move(tables);
  grant.ingest = true;
  return grant;
}

TEST(TokenAuthorityTest, MintsDistinctHexTokensOf32Bytes) {
  TokenAuthority tokens;
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string token = tokens.mint(TokenGrant{}, seconds(60));
    ASSERT_EQ(token.size(), 64U);
    EXPECT_EQ(token.find_first_not_of("0123456789abcdef"), std::string::npos) << token;
    EXPECT_TRUE(seen.insert(token).second);
  }
  EXPECT_EQ(tokens.minted(), 100U);
}

TEST(TokenAuthorityTest, GrantsOnlyTheTablesOfTheGrant) {
  TokenAuthority tokens;
  const std::string token = tokens.mint(grantFor({"main.default.events"}), seconds(60));
  EXPECT_EQ(tokens.check(token, "main.default.events"), TokenCheck::Ok);
  EXPECT_EQ(tokens.check(token, "main.default.other"), TokenCheck::NotGranted);
}

TEST(TokenAuthorityTest, ComparesTableNamesCaseInsensitively) {
  TokenAuthority tokens;
  const std::string token = tokens.mint(grantFor({"Main.Default.Events"}), seconds(60));
  EXPECT_EQ(tokens.check(token, "main.default.events"), TokenCheck::Ok);
  EXPECT_EQ(tokens.check(token, "MAIN.DEFAULT.EVENTS"), TokenCheck::Ok);
}

TEST(TokenAuthorityTest, AllTablesGrantCoversEveryTable) {
  TokenAuthority tokens;
  TokenGrant grant;
  grant.all_tables = true;
  const std::string token = tokens.mint(grant, seconds(60));
  EXPECT_EQ(tokens.check(token, "any.table.at_all"), TokenCheck::Ok);
}

TEST(TokenAuthorityTest, GrantWithoutTablesGrantsNone) {
  TokenAuthority tokens;
  const std::string token = tokens.mint(TokenGrant{}, seconds(60));
  EXPECT_EQ(tokens.check(token, "main.default.events"), TokenCheck::NotGranted);
  EXPECT_EQ(tokens.lookup(token, nullptr), TokenCheck::Ok);
}

TEST(TokenAuthorityTest, ExpiresAtTheEndOfItsLifetime) {
  TokenAuthority tokens;
  const auto before = TokenAuthority::Clock::now();
  const std::string token = tokens.mint(grantFor({"main.default.events"}), seconds(60));
  EXPECT_EQ(tokens.check(token, "main.default.events", before + seconds(59)), TokenCheck::Ok);
  EXPECT_EQ(tokens.check(token, "main.default.events", before + seconds(61)), TokenCheck::Expired);
  // Expiry wins over the grant: an expired token is Expired for every table.
  EXPECT_EQ(tokens.check(token, "main.default.other", before + seconds(61)), TokenCheck::Expired);
  EXPECT_EQ(tokens.lookup(token, nullptr, before + seconds(61)), TokenCheck::Expired);
}

TEST(TokenAuthorityTest, ZeroLifetimeIsExpiredAtOnce) {
  TokenAuthority tokens;
  const std::string token = tokens.mint(grantFor({"main.default.events"}), seconds(0));
  EXPECT_EQ(tokens.check(token, "main.default.events"), TokenCheck::Expired);
}

TEST(TokenAuthorityTest, UnknownAndEmptyTokensAreUnknown) {
  TokenAuthority tokens;
  tokens.addStatic("static-token");
  EXPECT_EQ(tokens.check("no-such-token", "main.default.events"), TokenCheck::Unknown);
  EXPECT_EQ(tokens.check("", "main.default.events"), TokenCheck::Unknown);
  EXPECT_EQ(tokens.lookup("no-such-token", nullptr), TokenCheck::Unknown);
}

TEST(TokenAuthorityTest, StaticTokensGrantEveryTableAndNeverExpire) {
  TokenAuthority tokens;
  tokens.addStatic("static-token");
  const auto far_future = TokenAuthority::Clock::now() + hours(24 * 365 * 50);
  EXPECT_EQ(tokens.check("static-token", "any.table.name"), TokenCheck::Ok);
  EXPECT_EQ(tokens.check("static-token", "any.table.name", far_future), TokenCheck::Ok);
  TokenGrant grant;
  grant.ingest = true;
  ASSERT_EQ(tokens.lookup("static-token", &grant), TokenCheck::Ok);
  EXPECT_TRUE(grant.all_tables);
  EXPECT_FALSE(grant.ingest);
  EXPECT_EQ(tokens.minted(), 0U);
}

TEST(TokenAuthorityTest, LookupCopiesTheGrant) {
  TokenAuthority tokens;
  const std::string token = tokens.mint(grantFor({"main.default.events"}), seconds(60));
  TokenGrant grant;
  ASSERT_EQ(tokens.lookup(token, &grant), TokenCheck::Ok);
  EXPECT_TRUE(grant.ingest);
  EXPECT_FALSE(grant.all_tables);
  EXPECT_EQ(grant.tables, std::set<std::string>{"main.default.events"});
}

TEST(TokenAuthorityTest, RevokeAllForgetsMintedTokensButKeepsStaticOnes) {
  TokenAuthority tokens;
  tokens.addStatic("static-token");
  const std::string token = tokens.mint(grantFor({"main.default.events"}), seconds(60));
  tokens.revokeAll();
  EXPECT_EQ(tokens.check(token, "main.default.events"), TokenCheck::Unknown);
  EXPECT_EQ(tokens.check("static-token", "main.default.events"), TokenCheck::Ok);
  EXPECT_EQ(tokens.minted(), 1U);  // a count of mints, not of live tokens
  const std::string fresh = tokens.mint(grantFor({"main.default.events"}), seconds(60));
  EXPECT_EQ(tokens.check(fresh, "main.default.events"), TokenCheck::Ok);
}

TEST(TokenAuthorityTest, ManyThreadsMintAndCheckConcurrently) {
  TokenAuthority tokens;
  tokens.addStatic("static-token");
  constexpr int kThreads = 4;
  constexpr int kPerThread = 300;  // crosses the periodic sweep more than once
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&tokens, &failures, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string token = tokens.mint(grantFor({"main.default.events"}), seconds(60));
        if (tokens.check(token, "main.default.events") != TokenCheck::Ok ||
            tokens.check("static-token", "x.y.z") != TokenCheck::Ok) {
          ++failures[static_cast<size_t>(t)];
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  for (int failed : failures) {
    EXPECT_EQ(failed, 0);
  }
  EXPECT_EQ(tokens.minted(), static_cast<uint64_t>(kThreads * kPerThread));
}

}  // namespace
}  // namespace zerobusd::fake
