// Records the service refuses (docs/upstream.md, "Records the service refuses"). The daemon
// checks a JSON record's syntax, not its keys: a record with a key that is not a column reaches
// the service, which ends the whole call. Only that record may fail: every other producer's
// records land.

#include <set>

#include <fmt/format.h>

#include "tests/daemon/daemon_fixture.h"

namespace zerobusd::testing {
namespace {

namespace f = zerobusd::frame;

// A good and a careless producer on the events table. The long linger puts their records in
// one batch, so the bad records share a call (and a batch) with good ones.
class RefusedRecordsTest : public DaemonTest {
 protected:
  void SetUp() override {
    DaemonTest::SetUp();
    startDaemon("", "    batch: {linger_ms: 200}\n");
    good_ = std::make_unique<RawClient>(socketPath());
    careless_ = std::make_unique<RawClient>(socketPath());
    ASSERT_TRUE(good_->hello());
    ASSERT_TRUE(careless_->hello());
    good_handle_ = good_->open(kEvents, f::RecordType::kJson);
    careless_handle_ = careless_->open(kEvents, f::RecordType::kJson);
    ASSERT_NE(good_handle_, 0u);
    ASSERT_NE(careless_handle_, 0u);
  }

  std::unique_ptr<RawClient> good_;
  std::unique_ptr<RawClient> careless_;
  uint32_t good_handle_ = 0;
  uint32_t careless_handle_ = 0;
};

TEST_F(RefusedRecordsTest, ARecordTheServiceRefusesFailsAloneAndEveryOtherRecordLands) {
  // Every batch in flight on the refused call is sent again alone, and the refused one is
  // halved until the bad record fails by itself.
  std::vector<std::string> careless_records = eventRecords(100, 20);
  careless_records[13] = R"({"id":113,"kind":"k","colour":"red"})";
  ASSERT_TRUE(good_->sendRecords(good_handle_, 0, eventRecords(0, 50)));
  ASSERT_TRUE(careless_->sendRecords(careless_handle_, 0, careless_records));

  std::vector<f::Reject> good_rejects;
  std::vector<f::Reject> careless_rejects;
  ASSERT_TRUE(good_->waitDurable(good_handle_, 50, &good_rejects));
  ASSERT_TRUE(careless_->waitDurable(careless_handle_, 20, &careless_rejects));
  EXPECT_TRUE(good_rejects.empty());
  ASSERT_EQ(careless_rejects.size(), 1u);
  EXPECT_EQ(careless_rejects[0].first_seq, 13u);
  EXPECT_EQ(careless_rejects[0].count, 1u);
  EXPECT_EQ(careless_rejects[0].error_code, f::ErrorCode::kUpstreamRejected);
  EXPECT_FALSE(careless_rejects[0].retriable);
  EXPECT_NE(std::string(careless_rejects[0].message).find("colour"), std::string::npos)
      << careless_rejects[0].message;
  // Every other record landed (some perhaps twice: a refused call's earlier messages may have
  // landed unacked), and the bad one never did.
  std::set<int64_t> ids;
  for (const auto& row : landedRows(kEvents)) ids.insert(row["row"]["id"].get<int64_t>());
  EXPECT_EQ(ids.size(), 69u);
  EXPECT_FALSE(ids.contains(113));
  EXPECT_GE(counters(kEvents).rejected_messages, 2u);  // shared, then alone (and halves)
  // Published once a second: counted as soon as a scrape shows it.
  const std::string isolated =
      "zerobusd_stream_events_total{event=\"isolated_batch\",table=\"" + std::string(kEvents) + "\"} ";
  EXPECT_TRUE(fake::testing::waitFor([&] {
    std::string text = metricsText();
    size_t at = text.find(isolated);
    return at != std::string::npos && text.compare(at + isolated.size(), 2, "0\n") != 0;
  })) << metricsText();
}

TEST_F(RefusedRecordsTest, ABatchOfManyRefusedRecordsCostsABoundedNumberOfStreams) {
  // Every record of one producer is bad: halving down to each would cost the service a failed
  // stream per record. The search cuts between producers' frames first, so the good frame goes
  // whole and lands; it stops at its budget (2 x ceil(log2(records)) sends of the parts of one
  // batch), and the bad parts not pinned down fail whole, retriably (they might be fine).
  std::vector<std::string> bad;
  for (int i = 0; i < 64; ++i) bad.push_back(fmt::format(R"({{"id":{},"colour":"red"}})", 1000 + i));
  ASSERT_TRUE(careless_->sendRecords(careless_handle_, 0, bad));
  ASSERT_TRUE(good_->sendRecords(good_handle_, 0, eventRecords(0, 50)));

  std::vector<f::Reject> good_rejects;
  std::vector<f::Reject> careless_rejects;
  ASSERT_TRUE(good_->waitDurable(good_handle_, 50, &good_rejects));
  ASSERT_TRUE(careless_->waitDurable(careless_handle_, 64, &careless_rejects));
  EXPECT_TRUE(good_rejects.empty());
  uint64_t rejected = 0;
  for (const auto& r : careless_rejects) {
    rejected += r.count;
    EXPECT_EQ(r.error_code, f::ErrorCode::kUpstreamRejected);
    // Pinned down to one record: final; a part the search gave up on: may be sent again.
    EXPECT_EQ(r.retriable, r.count > 1) << r.first_seq << "+" << r.count << ": " << r.message;
  }
  EXPECT_EQ(rejected, 64u);
  std::set<int64_t> ids;
  for (const auto& row : landedRows(kEvents)) ids.insert(row["row"]["id"].get<int64_t>());
  EXPECT_EQ(ids.size(), 50u);
  // At most one batch of 114 records: the shared call, the batch alone, then 2 x 7 halves.
  // Halving every bad record out would have cost well over 100.
  EXPECT_LE(counters(kEvents).rejected_messages, 16u);
}

}  // namespace
}  // namespace zerobusd::testing
