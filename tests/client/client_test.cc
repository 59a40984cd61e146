// The client library against a scripted peer daemon (peer_daemon.h): handshake, opening
// tables, acks at both levels, rejections among good records, flush, flow control, a daemon
// that vanishes or misbehaves, and many threads at once. Every wait is on an event (an ack, a
// peer counter) with a generous bound; nothing sleeps.

#include "zerobusd/client.h"

#include <atomic>
#include <future>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/frame/messages.h"
#include "tests/client/peer_daemon.h"

namespace zerobusd {
namespace {

using std::chrono::milliseconds;
using testing::AckMode;
using testing::PeerConfig;
using testing::PeerDaemon;
using testing::PeerStats;

constexpr milliseconds kWait{20000};
constexpr const char* kTable = "main.demo.events";

ClientOptions optionsFor(const PeerDaemon& peer) {
  ClientOptions options;
  options.socket_path = peer.socketPath();
  options.client_name = "client-test";
  options.connect_timeout = kWait;
  options.close_timeout = kWait;
  options.block_timeout = kWait;
  options.reconnect.min_retry_interval = milliseconds(0);
  return options;
}

Client connectTo(ClientOptions options) {
  Result<Client> client = Client::connect(std::move(options));
  EXPECT_TRUE(client.ok()) << (client.ok() ? "" : client.error().toString());
  if (!client.ok()) std::abort();
  return std::move(client).value();
}

Client connectTo(const PeerDaemon& peer) { return connectTo(optionsFor(peer)); }

Table openJson(Client& client, const char* name = kTable) {
  Result<Table> table = client.openTable(name, RecordType::kJson);
  EXPECT_TRUE(table.ok()) << (table.ok() ? "" : table.error().toString());
  if (!table.ok()) std::abort();
  return table.value();
}

std::string record(int i) { return R"({"id":)" + std::to_string(i) + "}"; }

// Counts callbacks; a test waits for a total (callbacks run after waiters wake, so a waiter
// cannot assume they have run).
struct Counter {
  std::mutex mu;
  std::condition_variable cv;
  size_t value = 0;

  void add(size_t n = 1) {
    std::lock_guard lock(mu);
    value += n;
    cv.notify_all();
  }
  bool waitFor(size_t target) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, kWait, [&] { return value >= target; });
  }
  size_t get() {
    std::lock_guard lock(mu);
    return value;
  }
};

// Collects on_error reports and lets a test wait for one.
struct ErrorSink {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Error> errors;

  std::function<void(const Error&)> callback() {
    return [this](const Error& error) {
      std::lock_guard lock(mu);
      errors.push_back(error);
      cv.notify_all();
    };
  }
  bool waitForCode(ErrorCode code) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, kWait, [&] {
      for (const auto& error : errors) {
        if (error.code == code) return true;
      }
      return false;
    });
  }
};

// ---------------------------------------------------------------- handshake and tables

TEST(ClientTest, HandshakeAnnouncesTheDaemonsLimits) {
  PeerConfig config;
  config.max_frame_bytes = 4096;
  config.max_records_per_frame = 7;
  config.window_records = 70;
  config.window_bytes = 1 << 20;
  PeerDaemon peer(config);
  Client client = connectTo(peer);
  const ConnectionInfo info = client.connectionInfo();
  EXPECT_TRUE(info.connected);
  EXPECT_EQ(info.daemon_version, "peer-daemon 1");
  EXPECT_EQ(info.ack_levels, AckLevels::kBoth);
  EXPECT_EQ(info.max_frame_bytes, 4096u);
  EXPECT_EQ(info.max_records_per_frame, 7u);
  EXPECT_EQ(info.window_records, 70u);
  EXPECT_EQ(info.window_bytes, 1u << 20);
  const PeerStats stats = peer.stats();
  ASSERT_EQ(stats.client_names.size(), 1u);
  EXPECT_EQ(stats.client_names[0], "client-test");
  EXPECT_EQ(stats.requested_levels[0], 3);
  EXPECT_TRUE(client.isConnected());
}

TEST(ClientTest, ConnectFailsRetriablyWithoutADaemon) {
  ClientOptions options;
  options.socket_path = "/tmp/zbc-no-such-dir/d.sock";
  Result<Client> client = Client::connect(options);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.error().code, ErrorCode::kNotConnected);
  EXPECT_TRUE(client.error().retriable);
  EXPECT_NE(client.error().message.find("/tmp/zbc-no-such-dir/d.sock"), std::string::npos);
}

TEST(ClientTest, ConnectRefusesBadOptions) {
  PeerDaemon peer;
  ClientOptions long_name = optionsFor(peer);
  long_name.client_name = std::string(257, 'n');
  Result<Client> client = Client::connect(long_name);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.error().code, ErrorCode::kInvalidArgument);

  ClientOptions long_path = optionsFor(peer);
  long_path.socket_path = "/tmp/" + std::string(120, 'p');
  client = Client::connect(long_path);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(peer.stats().connections, 0);
}

TEST(ClientTest, DaemonRefusingTheHelloFailsConnectWithItsCode) {
  PeerDaemon peer;
  peer.refuseHello(frame::ErrorCode::kLimitExceeded);
  Result<Client> client = Client::connect(optionsFor(peer));
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.error().code, ErrorCode::kLimitExceeded);
  EXPECT_TRUE(client.error().retriable);
}

TEST(ClientTest, OpenTableSucceedsOrReportsTheDaemonsRefusal) {
  PeerDaemon peer;
  peer.refuseTable("main.secret.t", frame::ErrorCode::kPermissionDenied);
  Client client = connectTo(peer);
  Table table = openJson(client);
  EXPECT_EQ(table.name(), kTable);
  EXPECT_EQ(table.recordType(), RecordType::kJson);

  Result<Table> refused = client.openTable("main.secret.t", RecordType::kProto);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
  EXPECT_FALSE(refused.error().retriable);

  Result<Table> empty = client.openTable("", RecordType::kJson);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(peer.stats().opened_tables,
            (std::vector<std::string>{kTable, "main.secret.t"}));
}

// ---------------------------------------------------------------- acks

TEST(ClientTest, IngestIsAcceptedThenDurable) {
  PeerDaemon peer;
  peer.setAckMode(AckMode::kAcceptOnly);
  Client client = connectTo(peer);
  Table table = openJson(client);

  AckHandle handle = table.ingestJson(record(1));
  ASSERT_TRUE(handle.valid());
  EXPECT_EQ(handle.size(), 1u);
  ASSERT_TRUE(handle.waitAccepted(kWait).ok());
  EXPECT_TRUE(handle.isAccepted());
  EXPECT_FALSE(handle.isDone());
  Status not_yet = handle.waitDurable(milliseconds(0));
  ASSERT_FALSE(not_yet.ok());
  EXPECT_EQ(not_yet.error().code, ErrorCode::kWaitTimeout);

  peer.releaseAcks();
  ASSERT_TRUE(handle.waitDurable(kWait).ok());
  EXPECT_TRUE(handle.isDone());
  EXPECT_TRUE(handle.outcome().ok());
  EXPECT_EQ(peer.stats().records, std::vector<std::string>{record(1)});
}

TEST(ClientTest, RejectedRecordsAmongGoodOnesGetExactlyOneOutcomeEach) {
  PeerDaemon peer;
  peer.setRejectRule([](std::string_view r) -> std::optional<std::pair<frame::ErrorCode, bool>> {
    if (r.find("bad") != std::string_view::npos) {
      return std::pair{frame::ErrorCode::kInvalidRecord, false};
    }
    if (r.find("later") != std::string_view::npos) {
      return std::pair{frame::ErrorCode::kUpstreamUnavailable, true};
    }
    return std::nullopt;
  });
  Client client = connectTo(peer);
  Table table = openJson(client);

  const std::vector<std::string> batch = {"{}", "{}", "bad", "bad", "{}", "{}", "{}", "later",
                                          "{}", "{}"};
  Counter batch_callbacks;
  AckHandle many = table.ingestMany(std::span<const std::string>(batch));
  many.onDone([&](const Outcome&) { batch_callbacks.add(); });
  AckHandle good = table.ingest("{}");
  AckHandle bad = table.ingest("bad one");

  ASSERT_FALSE(many.waitDurable(kWait).ok());
  ASSERT_TRUE(good.waitDurable(kWait).ok());
  Status bad_status = bad.waitDurable(kWait);
  ASSERT_FALSE(bad_status.ok());
  EXPECT_EQ(bad_status.error().code, ErrorCode::kInvalidRecord);
  EXPECT_FALSE(bad_status.error().retriable);

  const Outcome outcome = many.outcome();
  EXPECT_EQ(outcome.records, 10u);
  EXPECT_EQ(outcome.failed, 3u);
  ASSERT_EQ(outcome.failures.size(), 2u);
  EXPECT_EQ(outcome.failures[0].first_index, 2u);
  EXPECT_EQ(outcome.failures[0].count, 2u);
  EXPECT_EQ(outcome.failures[0].error.code, ErrorCode::kInvalidRecord);
  EXPECT_EQ(outcome.failures[1].first_index, 7u);
  EXPECT_EQ(outcome.failures[1].count, 1u);
  EXPECT_EQ(outcome.failures[1].error.code, ErrorCode::kUpstreamUnavailable);
  EXPECT_TRUE(outcome.failures[1].error.retriable);
  ASSERT_TRUE(batch_callbacks.waitFor(1));
  // A callback registered after completion runs at once, on this thread.
  many.onDone([&](const Outcome&) { batch_callbacks.add(); });
  EXPECT_EQ(batch_callbacks.get(), 2u);
  EXPECT_EQ(peer.stats().sequence_errors, 0);
}

TEST(ClientTest, FlushWaitsForEveryOutcomeSentBeforeIt) {
  PeerDaemon peer;
  peer.setAckMode(AckMode::kHold);
  Client client = connectTo(peer);
  Table table = openJson(client);
  std::vector<AckHandle> handles;
  for (int i = 0; i < 5; ++i) handles.push_back(table.ingest(record(i)));

  auto flushed = std::async(std::launch::async, [&] { return table.flush(kWait); });
  ASSERT_TRUE(peer.waitFor([](const PeerStats& s) { return s.flushes == 1; }));
  EXPECT_EQ(peer.stats().records.size(), 5u);  // the flush pushed them out first
  EXPECT_EQ(flushed.wait_for(milliseconds(0)), std::future_status::timeout);
  for (const auto& handle : handles) EXPECT_FALSE(handle.isDone());

  peer.releaseAcks();
  ASSERT_TRUE(flushed.get().ok());
  for (const auto& handle : handles) EXPECT_TRUE(handle.isDone());

  // A connection-wide flush with nothing outstanding answers at once.
  EXPECT_TRUE(client.flush(kWait).ok());
  EXPECT_EQ(peer.stats().flushes, 2);
}

TEST(ClientTest, FlushTimeoutIsAWaitTimeoutAndRecordsStayPending) {
  PeerDaemon peer;
  peer.setAckMode(AckMode::kHold);
  Client client = connectTo(peer);
  Table table = openJson(client);
  AckHandle handle = table.ingest(record(1));
  Status flushed = table.flush(milliseconds(1));
  ASSERT_FALSE(flushed.ok());
  EXPECT_EQ(flushed.error().code, ErrorCode::kWaitTimeout);
  EXPECT_FALSE(handle.isDone());
  // A release only frees what the peer holds: the record may still be on its way (a loaded
  // TSan run released before it arrived, and the record was then held for good).
  ASSERT_TRUE(peer.waitFor([](const PeerStats& s) { return s.records.size() == 1; }));
  peer.releaseAcks();
  EXPECT_TRUE(handle.waitDurable(kWait).ok());
}

// ---------------------------------------------------------------- flow control

TEST(ClientTest, FullWindowBlocksIngestUntilAcksFreeIt) {
  PeerConfig config;
  config.max_records_per_frame = 2;
  config.window_records = 4;
  PeerDaemon peer(config);
  peer.setAckMode(AckMode::kHold);
  Client client = connectTo(peer);
  Table table = openJson(client);

  std::vector<AckHandle> first;
  for (int i = 0; i < 4; ++i) first.push_back(table.ingest(record(i)));
  ASSERT_TRUE(peer.waitFor([](const PeerStats& s) { return s.records.size() == 4; }));

  AckHandle refused = table.tryIngest(record(99));
  ASSERT_TRUE(refused.isDone());
  EXPECT_EQ(refused.outcome().firstError()->code, ErrorCode::kWouldBlock);
  EXPECT_TRUE(refused.outcome().firstError()->retriable);

  auto blocked = std::async(std::launch::async, [&] { return table.ingest(record(4)); });
  EXPECT_EQ(blocked.wait_for(milliseconds(0)), std::future_status::timeout);
  peer.releaseAcks();
  AckHandle fifth = blocked.get();
  for (const auto& handle : first) EXPECT_TRUE(handle.waitDurable(kWait).ok());
  ASSERT_TRUE(peer.waitFor([](const PeerStats& s) { return s.records.size() == 5; }));
  peer.releaseAcks();
  EXPECT_TRUE(fifth.waitDurable(kWait).ok());
  const PeerStats stats = peer.stats();
  EXPECT_EQ(stats.window_violations, 0);
  EXPECT_LE(stats.max_inflight_records, 4u);
  EXPECT_EQ(stats.records.back(), record(4));  // the refused record was never sent
}

TEST(ClientTest, AsyncRecordsQueueInTheClientAndFlowAsTheWindowOpens) {
  PeerConfig config;
  config.max_records_per_frame = 3;
  config.window_records = 4;
  PeerDaemon peer(config);
  peer.setAckMode(AckMode::kHold);
  ClientOptions options = optionsFor(peer);
  options.max_queued_records = 100;
  Client client = connectTo(options);
  Table table = openJson(client);

  Counter done;
  std::vector<AckHandle> handles;
  for (int i = 0; i < 20; ++i) {
    AckHandle handle = table.tryIngest(record(i));  // never blocks: the queue has room
    handle.onDone([&](const Outcome& outcome) {
      EXPECT_TRUE(outcome.ok());
      done.add();
    });
    handles.push_back(handle);
  }
  // Each release empties the window, so the client sends more while any record waits.
  uint64_t frames_seen = 0;
  while (peer.stats().records.size() < 20) {
    ASSERT_TRUE(peer.waitFor([&](const PeerStats& s) { return s.records_frames > frames_seen; }));
    frames_seen = peer.stats().records_frames;
    peer.releaseAcks();
  }
  peer.releaseAcks();
  for (const auto& handle : handles) ASSERT_TRUE(handle.waitDurable(kWait).ok());
  EXPECT_TRUE(done.waitFor(20));
  const PeerStats stats = peer.stats();
  EXPECT_EQ(stats.window_violations, 0);
  EXPECT_LE(stats.max_inflight_records, 4u);
  std::vector<std::string> expected;
  for (int i = 0; i < 20; ++i) expected.push_back(record(i));
  EXPECT_EQ(stats.records, expected);
}

TEST(ClientTest, WaitingInsideACallbackFailsAtOnceInsteadOfStallingTheAcks) {
  PeerDaemon peer;
  peer.setAckMode(AckMode::kHold);
  Client client = connectTo(peer);
  Table table = openJson(client);
  AckHandle first = table.ingest(record(0));
  ASSERT_TRUE(peer.waitFor([](const PeerStats& s) { return s.records.size() == 1; }));
  AckHandle pending;
  std::promise<void> pending_ready;  // the callback starts waiting once `pending` exists
  std::promise<Status> inside;
  first.onDone([&](const Outcome&) {
    pending_ready.get_future().wait();
    inside.set_value(pending.waitDurable(kWait));
  });
  peer.releaseAcks();               // acks record 0 only: record 1 is not sent yet
  pending = table.ingest(record(1));  // held by the peer until the next release
  pending_ready.set_value();
  auto result = inside.get_future();
  ASSERT_EQ(result.wait_for(kWait), std::future_status::ready);
  Status status = result.get();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(status.error().message.find("callback"), std::string::npos);
  ASSERT_TRUE(peer.waitFor([](const PeerStats& s) { return s.records.size() == 2; }));
  peer.releaseAcks();
  EXPECT_TRUE(pending.waitDurable(kWait).ok());
}

TEST(ClientTest, WindowFrameFromTheDaemonReleasesABlockedIngest) {
  PeerConfig config;
  config.max_records_per_frame = 2;
  config.window_records = 2;
  PeerDaemon peer(config);
  peer.setAckMode(AckMode::kHold);
  Client client = connectTo(peer);
  Table table = openJson(client);
  AckHandle a = table.ingest(record(1));
  AckHandle b = table.ingest(record(2));
  auto blocked = std::async(std::launch::async, [&] { return table.ingest(record(3)); });
  EXPECT_EQ(blocked.wait_for(milliseconds(0)), std::future_status::timeout);
  peer.sendWindow(10, 1 << 20);
  AckHandle c = blocked.get();
  ASSERT_TRUE(peer.waitFor([](const PeerStats& s) { return s.records.size() == 3; }));
  EXPECT_EQ(client.connectionInfo().window_records, 10u);
  peer.releaseAcks();
  EXPECT_TRUE(c.waitDurable(kWait).ok());
  EXPECT_EQ(peer.stats().window_violations, 0);
}

TEST(ClientTest, RecordsOfManyCallsCoalesceIntoFewFramesWhileTheWindowIsFull) {
  PeerConfig config;
  config.max_records_per_frame = 100;
  config.window_records = 100;
  PeerDaemon peer(config);
  peer.setAckMode(AckMode::kHold);
  ClientOptions options = optionsFor(peer);
  options.max_queued_records = 1000;
  Client client = connectTo(options);
  Table table = openJson(client);
  std::vector<AckHandle> handles;
  for (int i = 0; i < 100; ++i) handles.push_back(table.tryIngest(record(i)));
  ASSERT_TRUE(peer.waitFor([](const PeerStats& s) { return s.records.size() == 100; }));
  const uint64_t frames_before = peer.stats().records_frames;

  // The window is full: 200 single-record calls wait in the client and go out together.
  for (int i = 100; i < 300; ++i) handles.push_back(table.tryIngest(record(i)));
  uint64_t frames_seen = frames_before;
  while (peer.stats().records.size() < 300) {
    peer.releaseAcks();
    ASSERT_TRUE(peer.waitFor([&](const PeerStats& s) { return s.records_frames > frames_seen; }));
    frames_seen = peer.stats().records_frames;
  }
  peer.releaseAcks();
  for (const auto& handle : handles) ASSERT_TRUE(handle.waitDurable(kWait).ok());
  const PeerStats stats = peer.stats();
  // At most: what had gathered when the window filled, two full frames, the remainder.
  EXPECT_LE(stats.records_frames - frames_before, 4u);
  EXPECT_EQ(stats.window_violations, 0);
  std::vector<std::string> expected;
  for (int i = 0; i < 300; ++i) expected.push_back(record(i));
  EXPECT_EQ(stats.records, expected);
}

TEST(ClientTest, RecordLargerThanTheFrameLimitFailsAtOnce) {
  PeerConfig config;
  config.max_frame_bytes = 1024;
  config.window_bytes = 1 << 20;
  PeerDaemon peer(config);
  Client client = connectTo(peer);
  Table table = openJson(client);
  AckHandle handle = table.ingest(std::string(2000, 'x'));
  ASSERT_TRUE(handle.isDone());
  EXPECT_EQ(handle.outcome().firstError()->code, ErrorCode::kRecordTooLarge);
  // The largest record that fits does go through.
  AckHandle fits = table.ingest(std::string(1024 - 20, 'y'));
  EXPECT_TRUE(fits.waitDurable(kWait).ok());
}

// ---------------------------------------------------------------- connection loss

TEST(ClientTest, VanishingDaemonFailsPendingRecordsRetriablyAndTheNextCallReconnects) {
  PeerDaemon peer;
  peer.setAckMode(AckMode::kHold);
  ErrorSink sink;
  ClientOptions options = optionsFor(peer);
  options.on_error = sink.callback();
  Client client = connectTo(options);
  Table table = openJson(client);
  std::vector<AckHandle> pending;
  for (int i = 0; i < 3; ++i) pending.push_back(table.ingest(record(i)));
  ASSERT_TRUE(peer.waitFor([](const PeerStats& s) { return s.records.size() == 3; }));

  peer.dropConnections();
  for (const auto& handle : pending) {
    Status status = handle.waitDurable(kWait);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.error().code, ErrorCode::kConnectionLost);
    EXPECT_TRUE(status.error().retriable);
    EXPECT_NE(status.error().message.find("was sent"), std::string::npos);
  }
  EXPECT_TRUE(sink.waitForCode(ErrorCode::kConnectionLost));
  EXPECT_FALSE(client.isConnected());

  // The next call reconnects: HELLO and OPEN again, and sequences restart at 0 on the new
  // handle (the peer counts any gap).
  peer.setAckMode(AckMode::kImmediate);
  AckHandle again = table.ingest(record(10));
  EXPECT_TRUE(again.waitDurable(kWait).ok());
  const PeerStats stats = peer.stats();
  EXPECT_EQ(stats.connections, 2);
  EXPECT_EQ(stats.client_names.size(), 2u);
  EXPECT_EQ(stats.opened_tables, (std::vector<std::string>{kTable, kTable}));
  EXPECT_EQ(stats.sequence_errors, 0);
  EXPECT_TRUE(client.isConnected());
}

TEST(ClientTest, ReopenRefusedAfterReconnectFailsThatTablesIngests) {
  PeerDaemon peer;
  ErrorSink sink;
  ClientOptions options = optionsFor(peer);
  options.on_error = sink.callback();
  Client client = connectTo(options);
  Table table = openJson(client);
  Table other = openJson(client, "main.demo.other");
  ASSERT_TRUE(table.ingest(record(1)).waitDurable(kWait).ok());
  peer.refuseTable(kTable, frame::ErrorCode::kPermissionDenied);
  peer.dropConnections();
  ASSERT_TRUE(sink.waitForCode(ErrorCode::kConnectionLost));

  // This call reconnects and re-opens both tables; the daemon now refuses the first.
  AckHandle refused = table.ingest(record(2));
  ASSERT_TRUE(refused.isDone());
  EXPECT_EQ(refused.outcome().firstError()->code, ErrorCode::kPermissionDenied);
  EXPECT_TRUE(other.ingest(record(3)).waitDurable(kWait).ok());
  EXPECT_EQ(peer.stats().connections, 2);
}

TEST(ClientTest, ReconnectDisabledKeepsTheClientDisconnected) {
  PeerDaemon peer;
  ErrorSink sink;
  ClientOptions options = optionsFor(peer);
  options.reconnect.enabled = false;
  options.on_error = sink.callback();
  Client client = connectTo(options);
  Table table = openJson(client);
  peer.dropConnections();
  ASSERT_TRUE(sink.waitForCode(ErrorCode::kConnectionLost));
  AckHandle handle = table.ingest(record(1));
  ASSERT_TRUE(handle.isDone());
  EXPECT_EQ(handle.outcome().firstError()->code, ErrorCode::kNotConnected);
  EXPECT_FALSE(handle.outcome().firstError()->retriable);
  EXPECT_EQ(peer.stats().connections, 1);
}

// ---------------------------------------------------------------- misbehaving daemon

struct BadFrameCase {
  const char* name;
  std::string bytes;
  ErrorCode reported;
  bool then_close = false;  // the peer closes the connection after sending
};

std::vector<BadFrameCase> badFrames() {
  std::vector<BadFrameCase> cases;
  cases.push_back({"garbage", "this is not a frame", ErrorCode::kProtocolError});
  std::string too_large;
  frame::encodeHeader(too_large, frame::FrameType::kAck, (1u << 20) + 1);
  cases.push_back({"frame over the limit", too_large, ErrorCode::kProtocolError});
  std::string trailing;
  frame::encodeAck(trailing, 1, frame::AckLevel::kAccepted, 1);
  trailing[4] = 14;  // claim one more payload byte...
  trailing.push_back('\0');  // ...and send it
  cases.push_back({"ACK with a trailing byte", trailing, ErrorCode::kProtocolError});
  std::string over_ack;
  frame::encodeAck(over_ack, 1, frame::AckLevel::kDurable, 1000);
  cases.push_back({"ACK beyond what was sent", over_ack, ErrorCode::kProtocolError});
  std::string client_type;
  frame::encodeGoodbye(client_type);
  cases.push_back({"a client frame type", client_type, ErrorCode::kProtocolError});
  std::string wrong_version = "\x5A\x42\x02\x83";
  wrong_version += std::string(4, '\0');
  cases.push_back({"version 2 header", wrong_version, ErrorCode::kProtocolError});
  std::string fatal;
  frame::encodeError(fatal, frame::ErrorCode::kSequenceGap, false, true, 1, "gap");
  cases.push_back({"fatal ERROR", fatal, ErrorCode::kSequenceGap});
  std::string shutdown;
  frame::encodeDaemonGoodbye(shutdown, frame::GoodbyeReason::kShuttingDown, "SIGTERM");
  cases.push_back({"daemon GOODBYE then close", shutdown, ErrorCode::kShuttingDown, true});
  return cases;
}

TEST(ClientTest, BadFramesFromTheDaemonAreReportedAndFailPendingRecords) {
  for (const auto& bad : badFrames()) {
    SCOPED_TRACE(bad.name);
    PeerDaemon peer;
    peer.setAckMode(AckMode::kHold);
    ErrorSink sink;
    ClientOptions options = optionsFor(peer);
    options.on_error = sink.callback();
    Client client = connectTo(options);
    Table table = openJson(client);
    AckHandle pending = table.ingest(record(1));
    ASSERT_TRUE(peer.waitFor([](const PeerStats& s) { return s.records.size() == 1; }));

    peer.sendRaw(bad.bytes);
    if (bad.then_close) peer.dropConnections();
    ASSERT_TRUE(sink.waitForCode(bad.reported));
    Status status = pending.waitDurable(kWait);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.error().code, ErrorCode::kConnectionLost);
    EXPECT_TRUE(status.error().retriable);

    // The client recovers on the next call.
    peer.setAckMode(AckMode::kImmediate);
    EXPECT_TRUE(table.ingest(record(2)).waitDurable(kWait).ok());
    EXPECT_EQ(peer.stats().client_protocol_errors, 0);
  }
}

TEST(ClientTest, DaemonShutdownDeliversOutstandingOutcomesAndFailsWhatWasNotSent) {
  PeerConfig config;
  config.max_records_per_frame = 2;
  config.window_records = 2;
  PeerDaemon peer(config);
  peer.setAckMode(AckMode::kHold);
  ErrorSink sink;
  ClientOptions options = optionsFor(peer);
  options.max_queued_records = 10;
  options.on_error = sink.callback();
  Client client = connectTo(options);
  Table table = openJson(client);
  std::vector<AckHandle> sent;
  for (int i = 0; i < 2; ++i) sent.push_back(table.ingest(record(i)));
  ASSERT_TRUE(peer.waitFor([](const PeerStats& s) { return s.records.size() == 2; }));
  std::vector<AckHandle> queued;  // beyond the window: still in the client
  for (int i = 2; i < 4; ++i) queued.push_back(table.tryIngest(record(i)));

  std::string goodbye;
  frame::encodeDaemonGoodbye(goodbye, frame::GoodbyeReason::kShuttingDown, "SIGTERM");
  peer.sendRaw(goodbye);
  ASSERT_TRUE(sink.waitForCode(ErrorCode::kShuttingDown));
  for (const auto& handle : queued) {
    Status status = handle.waitDurable(kWait);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.error().code, ErrorCode::kShuttingDown);
    EXPECT_TRUE(status.error().retriable);
    EXPECT_NE(status.error().message.find("not sent"), std::string::npos);
  }
  AckHandle refused = table.ingest(record(9));  // the daemon reads nothing more
  ASSERT_TRUE(refused.isDone());
  EXPECT_EQ(refused.outcome().firstError()->code, ErrorCode::kShuttingDown);

  // The daemon drains: outcomes of what it read still arrive, then it closes.
  peer.releaseAcks();
  for (const auto& handle : sent) EXPECT_TRUE(handle.waitDurable(kWait).ok());
  peer.dropConnections();
  peer.setAckMode(AckMode::kImmediate);
  // Once the client has seen the close (nothing to wait on but its state: the close after a
  // shutdown GOODBYE is expected and not reported), the next call reaches a restarted daemon
  // (here the same peer).
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (client.isConnected() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  ASSERT_FALSE(client.isConnected());
  AckHandle after = table.ingest(record(10));
  EXPECT_TRUE(after.waitDurable(kWait).ok());
  EXPECT_EQ(peer.stats().records.size(), 3u);  // the two queued records were never sent
  EXPECT_EQ(peer.stats().window_violations, 0);
}

TEST(ClientTest, NonFatalErrorIsReportedAndTheConnectionStays) {
  PeerDaemon peer;
  ErrorSink sink;
  ClientOptions options = optionsFor(peer);
  options.on_error = sink.callback();
  Client client = connectTo(options);
  Table table = openJson(client);
  std::string error;
  frame::encodeError(error, frame::ErrorCode::kLimitExceeded, true, false, 0, "slow down");
  peer.sendRaw(error);
  ASSERT_TRUE(sink.waitForCode(ErrorCode::kLimitExceeded));
  EXPECT_TRUE(table.ingest(record(1)).waitDurable(kWait).ok());
  EXPECT_EQ(peer.stats().connections, 1);
}

// ---------------------------------------------------------------- threads

TEST(ClientTest, EightThreadsIngestingConcurrentlyGetExactlyOneOutcomePerRecord) {
  PeerConfig config;
  config.max_records_per_frame = 64;
  config.window_records = 256;
  PeerDaemon peer(config);
  peer.setRejectRule([](std::string_view r) -> std::optional<std::pair<frame::ErrorCode, bool>> {
    if (r.back() == '7') return std::pair{frame::ErrorCode::kInvalidRecord, false};
    return std::nullopt;
  });
  Client client = connectTo(peer);
  Table table = openJson(client);

  constexpr int kThreads = 8;
  constexpr int kPerThread = 600;  // 300 single ingests + 30 batches of 10
  Counter callbacks;
  std::atomic<size_t> ok_records{0};
  std::atomic<size_t> failed_records{0};
  std::vector<std::vector<AckHandle>> handles(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto count = [&](const Outcome& outcome) {
        ok_records += outcome.records - outcome.failed;
        failed_records += outcome.failed;
        callbacks.add();
      };
      for (int i = 0; i < kPerThread / 2; ++i) {
        AckHandle handle = table.ingest("t" + std::to_string(t) + "-" + std::to_string(i));
        handle.onDone(count);
        handles[static_cast<size_t>(t)].push_back(handle);
      }
      for (int b = 0; b < kPerThread / 20; ++b) {
        std::vector<std::string> batch;
        for (int i = 0; i < 10; ++i) {
          batch.push_back("t" + std::to_string(t) + "-b" + std::to_string(b * 10 + i));
        }
        AckHandle handle = table.ingestMany(std::span<const std::string>(batch));
        handle.onDone(count);
        handles[static_cast<size_t>(t)].push_back(handle);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  size_t handle_count = 0;
  for (const auto& per_thread : handles) {
    for (const auto& handle : per_thread) {
      (void)handle.waitDurable(kWait);
      ASSERT_TRUE(handle.isDone());
      ++handle_count;
    }
  }
  EXPECT_TRUE(client.flush(kWait).ok());
  constexpr size_t kTotal = kThreads * kPerThread;
  ASSERT_TRUE(callbacks.waitFor(handle_count));
  EXPECT_EQ(callbacks.get(), handle_count);
  EXPECT_EQ(ok_records + failed_records, kTotal);

  const PeerStats stats = peer.stats();
  ASSERT_EQ(stats.records.size(), kTotal);
  const std::set<std::string> distinct(stats.records.begin(), stats.records.end());
  EXPECT_EQ(distinct.size(), kTotal);  // each record sent exactly once
  size_t expected_failures = 0;
  for (const auto& r : stats.records) expected_failures += r.back() == '7' ? 1u : 0u;
  EXPECT_EQ(failed_records.load(), expected_failures);
  EXPECT_EQ(stats.sequence_errors, 0);
  EXPECT_EQ(stats.window_violations, 0);
  EXPECT_LT(stats.records_frames, kTotal);  // some coalescing happened
}

TEST(ClientTest, CallbacksMayIngestWithoutBlocking) {
  PeerDaemon peer;
  Client client = connectTo(peer);
  Table table = openJson(client);
  std::promise<AckHandle> chained;
  AckHandle first = table.ingest(record(1));
  first.onDone([&](const Outcome&) { chained.set_value(table.ingest(record(2))); });
  AckHandle second = chained.get_future().get();
  EXPECT_TRUE(second.waitDurable(kWait).ok());
}

// ---------------------------------------------------------------- the rest of the API

TEST(ClientTest, PingAndStatusRoundTrip) {
  PeerDaemon peer;
  Client client = connectTo(peer);
  Result<std::chrono::nanoseconds> rtt = client.ping(kWait);
  ASSERT_TRUE(rtt.ok());
  EXPECT_GT(rtt.value().count(), 0);
  Result<std::string> status = client.status(kWait);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status.value(), R"({"daemon":"peer","ready":true})");
  EXPECT_EQ(peer.stats().pings, 1);
  EXPECT_EQ(peer.stats().statuses, 1);
}

TEST(ClientTest, CloseWaitsForOutstandingOutcomesAndSaysGoodbye) {
  PeerDaemon peer;
  peer.setAckMode(AckMode::kHold);  // the peer releases everything when it gets GOODBYE
  Client client = connectTo(peer);
  Table table = openJson(client);
  AckHandle handle = table.ingest(record(1));
  ASSERT_TRUE(client.close(kWait).ok());
  EXPECT_TRUE(handle.waitDurable(milliseconds(0)).ok());
  EXPECT_EQ(peer.stats().goodbyes, 1);
  EXPECT_FALSE(client.isConnected());
  AckHandle after = table.ingest(record(2));
  ASSERT_TRUE(after.isDone());
  EXPECT_EQ(after.outcome().firstError()->code, ErrorCode::kClosed);
  EXPECT_TRUE(client.close(kWait).ok());  // idempotent
}

TEST(ClientTest, ClosingATableReleasesItsHandle) {
  PeerDaemon peer;
  Client client = connectTo(peer);
  Table table = openJson(client);
  AckHandle handle = table.ingest(record(1));
  ASSERT_TRUE(table.close(kWait).ok());
  EXPECT_TRUE(handle.isDone());
  ASSERT_TRUE(peer.waitFor([](const PeerStats& s) { return s.close_handles == 1; }));
  AckHandle after = table.ingest(record(2));
  ASSERT_TRUE(after.isDone());
  EXPECT_EQ(after.outcome().firstError()->code, ErrorCode::kClosed);
  EXPECT_EQ(table.flush(kWait).error().code, ErrorCode::kClosed);
}

TEST(ClientTest, AcceptedOnlyClientIsDoneAtAccepted) {
  PeerDaemon peer;
  ClientOptions options = optionsFor(peer);
  options.ack_levels = AckLevels::kAccepted;
  Client client = connectTo(options);
  EXPECT_EQ(client.connectionInfo().ack_levels, AckLevels::kAccepted);
  EXPECT_EQ(peer.stats().requested_levels[0], 1);
  Table table = openJson(client);
  AckHandle handle = table.ingest(record(1));
  EXPECT_TRUE(handle.wait(kWait).ok());
  EXPECT_TRUE(handle.isDone());
  Status durable = handle.waitDurable(kWait);
  ASSERT_FALSE(durable.ok());
  EXPECT_EQ(durable.error().code, ErrorCode::kInvalidArgument);
}

TEST(ClientTest, IngestJsonOnAProtoTableIsATypeMismatch) {
  PeerDaemon peer;
  Client client = connectTo(peer);
  Result<Table> table = client.openTable("main.demo.proto", RecordType::kProto);
  ASSERT_TRUE(table.ok());
  AckHandle handle = table->ingestJson("{}");
  ASSERT_TRUE(handle.isDone());
  EXPECT_EQ(handle.outcome().firstError()->code, ErrorCode::kRecordTypeMismatch);
  // Serialized protobuf bytes go through ingest() untouched.
  const std::string proto_bytes("\x08\x96\x01\x12\x03" "abc", 8);
  EXPECT_TRUE(table->ingest(proto_bytes).waitDurable(kWait).ok());
  EXPECT_EQ(peer.stats().records.back(), proto_bytes);
}

TEST(ClientTest, ErrorsPrintTheirNameFlagAndMessage) {
  EXPECT_EQ((Error{ErrorCode::kConnectionLost, true, "peer gone"}).toString(),
            "CONNECTION_LOST (retriable): peer gone");
  EXPECT_EQ((Error{ErrorCode::kInvalidRecord, false, ""}).toString(),
            "INVALID_RECORD (not retriable)");
  EXPECT_STREQ(errorCodeName(static_cast<ErrorCode>(4242)), "UNKNOWN_ERROR_CODE");
}

}  // namespace
}  // namespace zerobusd
