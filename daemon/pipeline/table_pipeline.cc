#include "daemon/pipeline/table_pipeline.h"

#include <algorithm>
#include <bit>
#include <cstdlib>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/log_limiter.h"

namespace zerobusd::pipeline {

TablePipeline::TablePipeline(EventLoop& loop, std::string table, BatchingOptions options,
                             PoolFactory pools, BatchObserver observer)
    : loop_(loop), table_(std::move(table)), options_(options), observer_(std::move(observer)) {
  std::weak_ptr<bool> alive = alive_;
  upstream::PoolCallbacks callbacks;
  callbacks.on_batch_done = [this, alive](uint64_t cookie, upstream::BatchOutcome outcome,
                                          Records records) {
    if (!alive.expired()) onBatchDone(cookie, std::move(outcome), std::move(records));
  };
  pool_ = pools(std::move(callbacks));
}

TablePipeline::~TablePipeline() {
  *alive_ = false;
  if (linger_timer_) loop_.cancelTimer(*linger_timer_);
  // Whatever is still pending ends here with an outcome: segments hold their handle tracker and
  // the tracker holds its unfinished segments, so an unfinished one would also never be freed.
  const std::string message = "zerobusd stopped before the records were acknowledged";
  auto fail = [&](Batch& batch) {
    for (auto& piece : batch.pieces) {
      piece.seg->handle->pieceFailed(*piece.seg, piece.begin, piece.end, kShuttingDown, true, message);
    }
  };
  fail(current_);
  for (auto& [cookie, batch] : inflight_) fail(batch);
}

void TablePipeline::start() { pool_->start(); }

void TablePipeline::submit(const std::shared_ptr<FrameSeg>& seg, Records records) {
  uint32_t n = static_cast<uint32_t>(records.size());
  queued_bytes_ += seg->bytes;
  // A frame travels whole when it fits one batch; a larger one is cut into batch-sized pieces
  // (the request limit is fixed by the service). The cuts come first: the segment must know
  // how many pieces it has before any of them can complete.
  std::vector<std::pair<uint32_t, uint64_t>> cuts;  // (end, bytes) of each piece
  for (uint32_t from = 0; from < n;) {
    uint32_t to = from;
    uint64_t bytes = 0;
    while (to < n) {
      uint64_t size = records.Get(static_cast<int>(to)).size();
      bool full = (to > from) && (static_cast<int64_t>(to - from) >= options_.max_records ||
                                  static_cast<int64_t>(bytes + size) > options_.max_bytes);
      if (full) break;
      bytes += size;
      ++to;
    }
    cuts.emplace_back(to, bytes);
    from = to;
  }
  seg->pieces_pending = static_cast<uint32_t>(cuts.size());
  // Take the strings out whole: batches adopt the same heap objects, no byte is copied and no
  // string is allocated again.
  std::vector<std::string*> owned(n);
  records.ExtractSubrange(0, static_cast<int>(n), owned.data());
  uint32_t from = 0;
  for (auto [to, bytes] : cuts) {
    uint64_t pending_records = static_cast<uint64_t>(current_.records.size());
    if (pending_records > 0 &&
        (static_cast<int64_t>(pending_records + (to - from)) > options_.max_records ||
         static_cast<int64_t>(current_.bytes + bytes) > options_.max_bytes)) {
      sendBatch();
    }
    appendPiece({seg, from, to}, owned, from, to, bytes);
    from = to;
  }
  if (static_cast<int64_t>(current_.records.size()) >= options_.max_records ||
      static_cast<int64_t>(current_.bytes) >= options_.max_bytes) {
    sendBatch();
  } else if (!current_.records.empty() && !linger_timer_) {
    std::weak_ptr<bool> alive = alive_;
    linger_timer_ = loop_.addTimer(std::chrono::milliseconds(options_.linger_ms), [this, alive] {
      if (alive.expired()) return;
      linger_timer_.reset();
      sendBatch();
    });
  }
}

void TablePipeline::appendPiece(Piece piece, std::vector<std::string*>& owned, uint32_t from,
                                uint32_t to, uint64_t bytes) {
  for (uint32_t i = from; i < to; ++i) current_.records.AddAllocated(owned[i]);
  current_.bytes += bytes;
  current_.pieces.push_back(std::move(piece));
}

void TablePipeline::sendBatch() {
  if (linger_timer_) {
    loop_.cancelTimer(*linger_timer_);
    linger_timer_.reset();
  }
  if (current_.records.empty()) return;
  uint64_t cookie = next_cookie_++;
  Batch batch = std::move(current_);
  current_ = Batch{};
  Records records;
  records.Swap(&batch.records);
  inflight_.emplace(cookie, std::move(batch));
  pool_->submit(cookie, std::move(records));
}

void TablePipeline::onBatchDone(uint64_t cookie, upstream::BatchOutcome outcome, Records records) {
  auto it = inflight_.find(cookie);
  if (it == inflight_.end()) return;
  Batch batch = std::move(it->second);
  inflight_.erase(it);
  if (!outcome.status.ok() && outcome.isolated) {
    // Refused alone: some of its records are bad. Halve it until each bad record fails by
    // itself: 2 x ceil(log2(records)) more sends for one bad record. A batch of many bad
    // records stops halving when that budget is spent (each refusal costs the service a
    // stream), and its parts then fail whole.
    if (!batch.alone_sends_left) {
      auto depth = static_cast<int>(std::bit_width(static_cast<uint32_t>(records.size() - 1)));  // ceil(log2)
      batch.alone_sends_left = std::make_shared<int>(2 * depth);
    }
    if (records.size() > 1) {
      if (*batch.alone_sends_left >= 2) {
        *batch.alone_sends_left -= 2;
        split(std::move(batch), std::move(records));
        return;
      }
      // Not pinned down: some of these may be fine, so the producer may send them again.
      outcome.retriable = true;
      outcome.status = absl::Status(outcome.status.code(),
                                    fmt::format("refused with other records, and zerobusd stopped searching for the bad "
                                                "ones (these may be fine; send them again): {}",
                                                std::string(outcome.status.message())));
    }
    thread_local LogLimiter limiter;  // per loop thread
    uint64_t suppressed = 0;
    if (limiter.allow(table_, &suppressed)) {
      spdlog::warn("table {}: the service refused {} record(s) sent alone{}: {}{}", table_, records.size(),
                   records.size() > 1 ? " (search budget spent)" : "", std::string(outcome.status.message()),
                   LogLimiter::note(suppressed));
    }
  }
  if (observer_) observer_(outcome);
  if (outcome.status.ok()) {
    records_durable_ += outcome.records;
    for (auto& piece : batch.pieces) piece.seg->handle->pieceDurable(*piece.seg);
  } else {
    records_failed_ += outcome.records;
    // Refused by the service, even when the search gave up and the records may be fine.
    uint16_t code = outcome.retriable && !outcome.isolated ? kUpstreamUnavailable : kUpstreamRejected;
    if (outcome.status.code() == absl::StatusCode::kCancelled) code = kShuttingDown;
    std::string message = "Zerobus: " + outcome.status.ToString();
    for (auto& piece : batch.pieces) {
      piece.seg->handle->pieceFailed(*piece.seg, piece.begin, piece.end, code, outcome.retriable,
                                     message);
    }
  }
  release(batch.bytes);
}

void TablePipeline::split(Batch batch, Records records) {
  const int n = records.size();
  // Cut between frames where there are several (the one nearest the middle): bad records mostly
  // come from one producer, and the others' frames then go whole, in one send each.
  int half = n / 2;
  if (batch.pieces.size() > 1) {
    int best = -1;
    int at = 0;
    for (size_t i = 0; i + 1 < batch.pieces.size(); ++i) {
      at += static_cast<int>(batch.pieces[i].end - batch.pieces[i].begin);
      if (best < 0 || std::abs(at - n / 2) < std::abs(best - n / 2)) best = at;
    }
    half = best;
  }
  std::vector<std::string*> owned(static_cast<size_t>(n));
  records.ExtractSubrange(0, n, owned.data());
  Batch parts[2];
  int index = 0;  // of the next record, over the whole batch
  for (Piece& piece : batch.pieces) {
    uint32_t count = piece.end - piece.begin;
    if (index < half && index + static_cast<int>(count) > half) {
      // This piece straddles the cut: it becomes two, both owed an outcome.
      uint32_t cut = piece.begin + static_cast<uint32_t>(half - index);
      parts[0].pieces.push_back({piece.seg, piece.begin, cut});
      parts[1].pieces.push_back({piece.seg, cut, piece.end});
      ++piece.seg->pieces_pending;
    } else {
      parts[index < half ? 0 : 1].pieces.push_back(piece);
    }
    index += static_cast<int>(count);
  }
  for (int i = 0; i < n; ++i) {
    Batch& part = parts[i < half ? 0 : 1];
    part.bytes += owned[static_cast<size_t>(i)]->size();
    part.records.AddAllocated(owned[static_cast<size_t>(i)]);
  }
  for (Batch& part : parts) {
    part.alone_sends_left = batch.alone_sends_left;
    Records part_records;
    part_records.Swap(&part.records);
    submitAlone(std::move(part), std::move(part_records));
  }
}

void TablePipeline::submitAlone(Batch batch, Records records) {
  uint64_t cookie = next_cookie_++;
  inflight_.emplace(cookie, std::move(batch));
  pool_->submit(cookie, std::move(records), /*alone=*/true);
}

void TablePipeline::release(uint64_t bytes) {
  queued_bytes_ -= std::min(queued_bytes_, bytes);
  if (hasRoom() && !room_waiters_.empty()) {
    auto waiters = std::move(room_waiters_);
    room_waiters_.clear();
    for (auto& w : waiters) w();
  }
}

void TablePipeline::waitForRoom(std::function<void()> resume) {
  if (hasRoom()) {
    resume();
    return;
  }
  room_waiters_.push_back(std::move(resume));
}

void TablePipeline::flushNow() { sendBatch(); }

void TablePipeline::drain(std::function<void()> done) {
  sendBatch();
  pool_->drain(std::move(done));
}

void TablePipeline::close(std::function<void()> done) {
  sendBatch();
  pool_->close(std::move(done));
}

TableStats TablePipeline::stats() const {
  TableStats s;
  s.queued_bytes = queued_bytes_;
  s.batcher_records = static_cast<uint64_t>(current_.records.size());
  s.batches_inflight = static_cast<uint64_t>(inflight_.size());
  s.records_durable = records_durable_;
  s.records_failed = records_failed_;
  return s;
}

}  // namespace zerobusd::pipeline
