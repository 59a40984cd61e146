#pragma once
// The fake's admin HTTP API: fault injection and read-only counters for tests and people
// (documented in docs/zerobus-fake.md). Plaintext, meant for loopback only.

namespace httplib {
class Server;
}

namespace zerobusd::fake {

class FakeServer;

void registerAdminRoutes(httplib::Server& server, FakeServer& fake);

}  // namespace zerobusd::fake
