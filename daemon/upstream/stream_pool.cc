#include "daemon/upstream/stream_pool.h"

#include <algorithm>
#include <utility>

#include <spdlog/spdlog.h>

namespace zerobusd::upstream {

namespace {
uint64_t recordBytes(const Records& records) {
  uint64_t bytes = 0;
  for (const std::string& r : records) bytes += r.size();
  return bytes;
}

bool usable(const ZerobusStream& s) {
  return s.state() != StreamState::Failed && s.state() != StreamState::Closed;
}

// May be handed a batch now (a stream not yet opened queues it until it is).
bool takesNewBatches(const ZerobusStream& s) {
  return s.acceptingNewBatches() || s.state() == StreamState::Uninitialized;
}
}  // namespace

StreamPool::StreamPool(EventLoop& loop, PoolOptions options, StreamFactory factory,
                       PoolCallbacks callbacks, UpstreamMetrics* metrics)
    : loop_(loop),
      options_(options),
      factory_(std::move(factory)),
      callbacks_(std::move(callbacks)),
      metrics_(metrics) {
  options_.min_streams = std::max(1, options_.min_streams);
  options_.max_streams = std::max(options_.min_streams, options_.max_streams);
}

StreamPool::~StreamPool() {
  *alive_ = false;
  if (idle_timer_) loop_.cancelTimer(*idle_timer_);
}

void StreamPool::start() {
  while (streamCount() < options_.min_streams) addStream();
  checkIdle();
}

StreamPool::Member* StreamPool::find(uint64_t member) {
  for (auto& m : streams_) {
    if (m.id == member) return &m;
  }
  return nullptr;
}

int StreamPool::activeStreams() const {
  int n = 0;
  for (const auto& m : streams_) n += (!m.retiring && usable(*m.stream)) ? 1 : 0;
  return n;
}

int StreamPool::openStreams() const {
  int n = 0;
  for (const auto& m : streams_) {
    auto state = m.stream->state();
    n += (state == StreamState::Opened || state == StreamState::Flushing) ? 1 : 0;
  }
  return n;
}

StreamPool::Member* StreamPool::addStream() {
  uint64_t id = next_member_++;
  std::weak_ptr<bool> alive = alive_;
  StreamCallbacks callbacks;
  callbacks.on_batch_done = [this, alive, id](BatchOutcome outcome, Records records) {
    if (!alive.expired()) onBatchDone(id, std::move(outcome), std::move(records));
  };
  callbacks.on_state = [this, alive, id](StreamState state) {
    if (!alive.expired()) onStreamState(id, state);
  };
  callbacks.on_close_signal = [this, alive, id](std::chrono::milliseconds) {
    if (!alive.expired()) onCloseSignal(id);
  };
  callbacks.on_capacity = [this, alive] {
    if (!alive.expired()) pump();
  };
  streams_.push_back({id, factory_(std::move(callbacks)), loop_.now(), false});
  streams_.back().stream->start();
  spdlog::debug("stream pool: opened stream #{} ({} in the pool)", id, streams_.size());
  return &streams_.back();
}

StreamPool::Member* StreamPool::pick(uint64_t bytes) {
  int active = 0;
  Member* best = nullptr;
  Member* fallback = nullptr;
  for (auto& m : streams_) {
    if (m.retiring || !usable(*m.stream)) continue;
    ++active;
    if (m.id == isolation_member_) continue;  // kept for an alone batch
    if (!m.stream->hasCapacity(bytes)) continue;
    if (takesNewBatches(*m.stream) && m.stream->inflightBatches() < options_.grow_at_inflight_batches) {
      if (best == nullptr || m.stream->inflightBytes() < best->stream->inflightBytes()) best = &m;
    } else if (fallback == nullptr || m.stream->inflightBytes() < fallback->stream->inflightBytes()) {
      fallback = &m;
    }
  }
  if (best != nullptr) return best;
  if (active < options_.max_streams) return addStream();
  return fallback;
}

void StreamPool::submit(uint64_t cookie, Records records, bool alone) {
  meta_[cookie].alone = alone;
  (alone ? isolate_ : queue_).push_back({cookie, std::move(records)});
  pump();
}

void StreamPool::failQueued(Queued queued, absl::Status status, bool retriable) {
  meta_.erase(queued.cookie);
  BatchOutcome outcome;
  outcome.cookie = queued.cookie;
  outcome.status = std::move(status);
  outcome.retriable = retriable;
  outcome.records = static_cast<uint64_t>(queued.records.size());
  callbacks_.on_batch_done(queued.cookie, std::move(outcome), std::move(queued.records));
  checkDrained();
}

StreamPool::Member* StreamPool::reserveForIsolation() {
  // An idle stream if there is one; else a new one if the pool may grow; else the least loaded,
  // which takes nothing new from now on and is used once its batches are acked.
  auto load = [](const Member& m) { return std::pair(m.stream->inflightBatches() > 0, m.stream->inflightBytes()); };
  Member* least = nullptr;
  for (auto& m : streams_) {
    if (m.retiring || !usable(*m.stream)) continue;
    if (least == nullptr || load(m) < load(*least)) least = &m;
  }
  if ((least == nullptr || least->stream->inflightBatches() > 0) && activeStreams() < options_.max_streams) {
    least = addStream();
  }
  if (least != nullptr) isolation_member_ = least->id;
  return least;
}

void StreamPool::pumpIsolation() {
  if (closing_ || isolate_.empty() || isolating_cookie_) return;  // one alone batch at a time
  Member* member = isolation_member_ ? find(*isolation_member_) : nullptr;
  if (member == nullptr || member->retiring || !usable(*member->stream)) {
    isolation_member_.reset();
    member = reserveForIsolation();
    if (member == nullptr) return;
  }
  if (!takesNewBatches(*member->stream) || member->stream->inflightBatches() > 0) return;  // resumed by onBatchDone / on_state
  Queued& next = isolate_.front();
  auto offset = member->stream->ingest(next.records, next.cookie);
  if (offset.ok()) {
    member->last_busy = loop_.now();
    isolating_cookie_ = next.cookie;
    isolate_.pop_front();
    if (metrics_ != nullptr) UpstreamMetrics::add(metrics_->batches_isolated);
    return;
  }
  if (offset.status().code() == absl::StatusCode::kInvalidArgument) {
    Queued failed = std::move(next);
    isolate_.pop_front();
    failQueued(std::move(failed), offset.status(), false);
    pump();
  } else if (offset.status().code() == absl::StatusCode::kFailedPrecondition) {
    // Closed under us: reserve another (each pass retires one stream, so this ends).
    member->retiring = true;
    isolation_member_.reset();
    pumpIsolation();
  }
}

void StreamPool::pump() {
  pumpIsolation();
  while (!closing_ && (!retry_.empty() || !queue_.empty())) {
    auto& source = retry_.empty() ? queue_ : retry_;
    Queued& next = source.front();
    Member* member = pick(recordBytes(next.records));
    if (member == nullptr) return;  // on_capacity or a new stream resumes
    auto offset = member->stream->ingest(next.records, next.cookie);
    if (offset.ok()) {
      member->last_busy = loop_.now();
      source.pop_front();
      continue;
    }
    if (offset.status().code() == absl::StatusCode::kInvalidArgument) {
      // Can never be sent (e.g. too large): fail it alone.
      Queued failed = std::move(next);
      source.pop_front();
      failQueued(std::move(failed), offset.status(), false);
      continue;
    }
    // Closed under us, or full: this stream takes no more for now.
    member->retiring = member->retiring || offset.status().code() == absl::StatusCode::kFailedPrecondition;
    if (offset.status().code() == absl::StatusCode::kResourceExhausted) return;
  }
  if (queue_.empty() && retry_.empty() && callbacks_.on_capacity) callbacks_.on_capacity();
}

void StreamPool::onBatchDone(uint64_t member, BatchOutcome outcome, Records records) {
  if (Member* m = find(member)) m->last_busy = loop_.now();
  uint64_t cookie = outcome.cookie;
  auto it = meta_.find(cookie);
  if (it == meta_.end()) return;  // not ours (cannot happen)
  const bool was_alone = isolating_cookie_ == cookie;
  if (was_alone) {
    isolating_cookie_.reset();
    isolation_member_.reset();
  }
  if (!outcome.status.ok() && outcome.suspect && !closing_) {
    if (!was_alone) {
      // Maybe innocent: it shared the call with the refused records. Find out alone.
      it->second.alone = true;
      requeue(cookie, std::move(records));
      return;
    }
    outcome.isolated = true;  // refused alone: its own records were refused
  } else if (!outcome.status.ok() && outcome.suspect) {
    outcome.retriable = true;  // stopping: no time to find out, and it may well be fine
  } else if (!outcome.status.ok() && outcome.retriable && !closing_ &&
             ++it->second.attempts < options_.max_batch_attempts) {
    // Another stream may do better (this one failed or closed): send it again, before new work.
    requeue(cookie, std::move(records));
    return;
  }
  meta_.erase(it);
  callbacks_.on_batch_done(cookie, std::move(outcome), std::move(records));
  checkDrained();
  if (was_alone || (!isolate_.empty() && !isolating_cookie_)) pump();  // the reserved stream may be free now
}

void StreamPool::requeue(uint64_t cookie, Records records) {
  (meta_[cookie].alone ? isolate_ : retry_).push_back({cookie, std::move(records)});
  loop_.post([this, alive = std::weak_ptr<bool>(alive_)] {
    if (!alive.expired()) pump();
  });
}

void StreamPool::onStreamState(uint64_t member, StreamState state) {
  if (state != StreamState::Failed && state != StreamState::Closed) {
    if (state == StreamState::Opened) pump();
    return;
  }
  // Not from inside the stream's own callback: it is still running.
  loop_.post([this, alive = std::weak_ptr<bool>(alive_), member] {
    if (alive.expired()) return;
    removeStream(member);
    if (!closing_) {
      if (activeStreams() < options_.min_streams) addStream();
      pump();
    }
    checkDrained();
  });
}

void StreamPool::onCloseSignal(uint64_t member) {
  Member* m = find(member);
  if (m == nullptr || closing_) return;
  // Make-before-break: new batches go to a replacement while this one drains and reconnects;
  // once it is idle it is closed (checkIdle), so the pool does not grow for good.
  m->retiring = true;
  int active = activeStreams();
  if (active < options_.min_streams || (active == 0)) addStream();
  pump();
}

void StreamPool::removeStream(uint64_t member) {
  auto it = std::find_if(streams_.begin(), streams_.end(), [&](const Member& m) { return m.id == member; });
  if (it == streams_.end()) return;
  spdlog::debug("stream pool: stream #{} left ({})", member, stateName(it->stream->state()));
  if (isolation_member_ == member) isolation_member_.reset();  // pumpIsolation reserves another
  streams_.erase(it);
}

void StreamPool::checkIdle() {
  idle_timer_.reset();
  auto now = loop_.now();
  int active = activeStreams();
  for (auto& m : streams_) {
    if (!usable(*m.stream) || m.stream->inflightBatches() > 0 || m.id == isolation_member_) continue;
    bool idle = now - m.last_busy > std::chrono::milliseconds(options_.idle_close_ms);
    if (m.retiring || (idle && active > options_.min_streams)) {
      if (!m.retiring) --active;
      m.retiring = true;
      m.stream->close([](absl::Status) {});  // Closed -> removed by onStreamState
    }
  }
  std::weak_ptr<bool> alive = alive_;
  auto period = std::chrono::milliseconds(std::clamp<int64_t>(options_.idle_close_ms / 4, 50, 1000));
  idle_timer_ = loop_.addTimer(period, [this, alive] {
    if (!alive.expired()) checkIdle();
  });
}

void StreamPool::drain(std::function<void()> done) {
  drain_waiters_.push_back(std::move(done));
  checkDrained();
}

void StreamPool::checkDrained() {
  if (!meta_.empty() || drain_waiters_.empty()) return;
  auto waiters = std::move(drain_waiters_);
  drain_waiters_.clear();
  for (auto& w : waiters) w();
}

void StreamPool::close(std::function<void()> done) {
  closing_ = true;
  for (auto* source : {&isolate_, &retry_, &queue_}) {
    while (!source->empty()) {
      Queued q = std::move(source->front());
      source->pop_front();
      failQueued(std::move(q), absl::CancelledError("The daemon is shutting down"), true);
    }
  }
  auto remaining = std::make_shared<size_t>(streams_.size());
  auto finished = std::make_shared<std::function<void()>>(std::move(done));
  if (*remaining == 0) {
    (*finished)();
    return;
  }
  std::vector<std::shared_ptr<ZerobusStream>> streams;
  for (auto& m : streams_) streams.push_back(m.stream);
  for (auto& s : streams) {
    s->close([remaining, finished, s](absl::Status) {
      if (--*remaining == 0) (*finished)();
    });
  }
}

}  // namespace zerobusd::upstream
