#pragma once
// send's bookkeeping: how many records were read, handed to the client, succeeded and failed;
// which lines failed and why (reported on stderr by a reporter thread, consecutive lines with
// the same reason as one range); progress on a terminal; and whether the connection broke, so
// the main loop stops reading.
//
// Thread affinity: submitted()/localFailure()/waits on the main thread; completed() on the
// client's I/O thread (onDone callbacks: it only counts and queues, never blocks on output);
// the reporter thread prints. All shared state is under mu_.
// Memory: failure notes wait for the reporter in a queue capped at kMaxQueuedNotes; beyond
// that they are counted, and reported as a number, not kept.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tools/zerobusctl/console.h"
#include "zerobusd/client.h"

namespace zerobusd::ctl {

inline constexpr size_t kMaxQueuedNotes = 10'000;

struct SendCounts {
  uint64_t read = 0;       // records taken from the input (blank lines not included)
  uint64_t blank = 0;      // blank lines skipped
  uint64_t submitted = 0;  // handed to the client
  uint64_t succeeded = 0;  // reached the final ack level
  uint64_t failed = 0;     // failed locally or remotely, or outcome unknown
};

class SendTracker {
 public:
  // `unit` is "line" or "record" (for messages; settable until startReporter()); `table` and
  // `level` ("durable" or "accepted") for the progress line.
  SendTracker(Console& console, std::string unit, std::string table, std::string level);
  ~SendTracker();
  SendTracker(const SendTracker&) = delete;
  SendTracker& operator=(const SendTracker&) = delete;

  void setUnit(std::string unit);
  void startReporter();
  // Prints every queued note, ends the reporter and clears the progress line.
  void stopReporter();

  void readRecord();
  void blankLine();
  void submitted(uint64_t records);
  // A record that never reached the daemon (too long, not convertible).
  void localFailure(uint64_t number, const std::string& reason);
  // A connection-level event (the client's on_error), printed as is. Safe on the I/O thread.
  void notice(const std::string& text);
  // The final outcome of one ingest call whose records had these line/record numbers.
  void completed(const std::vector<uint64_t>& numbers, const Outcome& outcome);

  // Waits until every submitted record has its outcome; gives up when none arrives for
  // `idle_limit`. True when nothing is outstanding.
  bool waitAllDone(std::chrono::milliseconds idle_limit);
  // Set once the connection can no longer take records (lost, closed, daemon shutting down,
  // the queue stayed full for --timeout): the first such error.
  std::optional<Error> stopReason() const;
  SendCounts counts() const;
  // Submitted records still without an outcome.
  uint64_t outstanding() const;

 private:
  struct Note {
    uint64_t first = 0;  // 0: a notice, not about records
    uint64_t last = 0;
    std::string reason;
  };

  void noteLocked(uint64_t first, uint64_t last, std::string reason);
  void reporterLoop();
  std::string describe(const Note& note) const;
  std::string progressLine(double rate) const;

  Console& console_;
  std::string unit_;  // written before the reporter starts, read by it
  const std::string table_;
  const std::string level_;

  mutable std::mutex mu_;
  std::condition_variable changed_;   // outcomes arrived, notes queued, or stopping
  SendCounts counts_;                 // guarded by mu_
  uint64_t remote_final_ = 0;         // submitted records with their outcome; guarded by mu_
  std::deque<Note> notes_;            // guarded by mu_
  uint64_t notes_dropped_ = 0;        // guarded by mu_
  std::optional<Error> stop_reason_;  // guarded by mu_
  bool stopping_ = false;             // guarded by mu_
  std::thread reporter_;
};

}  // namespace zerobusd::ctl
