#pragma once
// Where a finished gRPC call lets go of its channel: a thread of the daemon's own, never one of
// gRPC's.
//
// Why: gRPC 1.51 (Debian 12) runs callback reactions on the threads of one process-wide
// completion queue, shared by every channel and server, and the last grpc::Channel (or Server)
// to go shuts that queue down, joins its threads and frees it. A call's ClientContext holds a
// reference to its channel; when a released call was the last holder, its OnDone ran that
// teardown on one of the queue's own threads: the self-join failed silently, the queue was
// freed, and the thread went on polling it (a double free under ASan, a refcount assertion
// otherwise). A call therefore keeps a reference of its own, outliving its context, and hands
// it to the reaper in OnDone.

#include <memory>

#include <grpcpp/grpcpp.h>

namespace zerobusd::upstream {

// Drops `channel` on the reaper thread, soon and in order of hand-over. Never blocks on it.
void releaseOffGrpcThreads(std::shared_ptr<grpc::Channel> channel);

// Returns once every channel handed over before this call has been dropped.
void waitReaped();

}  // namespace zerobusd::upstream
