#include "tools/zerobus-fake/admin_http.h"

#include <functional>
#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "tools/zerobus-fake/fake_server.h"

namespace zerobusd::fake {

namespace {

using Json = nlohmann::json;

struct BadRequest {
  std::string message;
};

void reply(httplib::Response& res, int status, const Json& body) {
  res.status = status;
  res.set_content(body.dump() + "\n", "application/json");
}

// Wraps a handler: parses the JSON body ({} when empty), turns bad input into 400.
httplib::Server::Handler jsonHandler(std::function<Json(const Json&)> handler) {
  return [handler = std::move(handler)](const httplib::Request& req, httplib::Response& res) {
    Json body = req.body.empty() ? Json::object() : Json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      reply(res, 400, {{"error", "the body must be a JSON object"}});
      return;
    }
    try {
      reply(res, 200, handler(body));
    } catch (const BadRequest& e) {
      reply(res, 400, {{"error", e.message}});
    } catch (const Json::exception& e) {
      reply(res, 400, {{"error", std::string("bad field: ") + e.what()}});
    }
  };
}

grpc::StatusCode codeField(const Json& body, const char* key, grpc::StatusCode fallback) {
  if (!body.contains(key)) return fallback;
  const Json& value = body.at(key);
  auto code = parseStatusCode(value.is_string() ? value.get<std::string>() : value.dump());
  if (!code) throw BadRequest{std::string(key) + ": not a gRPC status code"};
  return *code;
}

CreateFaultMode createMode(const std::string& mode) {
  if (mode == "status") return CreateFaultMode::Status;
  if (mode == "trailers_only") return CreateFaultMode::TrailersOnly;
  if (mode == "ok_end") return CreateFaultMode::OkEnd;
  if (mode == "no_stream_id") return CreateFaultMode::NoStreamId;
  if (mode == "wrong_payload") return CreateFaultMode::WrongPayload;
  throw BadRequest{"mode: one of status, trailers_only, ok_end, no_stream_id, wrong_payload"};
}

}  // namespace

void registerAdminRoutes(httplib::Server& server, FakeServer& fake) {
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    reply(res, 200, {{"status", "ok"}});
  });
  server.Get("/admin/counters", [&fake](const httplib::Request&, httplib::Response& res) {
    reply(res, 200, fake.counters());
  });
  server.Get("/admin/streams", [&fake](const httplib::Request&, httplib::Response& res) {
    reply(res, 200, {{"live", fake.streams().liveJson()}, {"calls", fake.streams().callsJson()}});
  });
  server.Post("/admin/reset", jsonHandler([&fake](const Json&) {
    fake.faults().reset();
    fake.workspace().setTokenFaults({});
    fake.workspace().setUcFaults({});
    fake.resetCounters();
    return Json{{"reset", true}};
  }));

  // Fail (or otherwise spoil) the next `count` stream creations.
  server.Post("/admin/faults/create", jsonHandler([&fake](const Json& body) {
    CreateFault fault;
    fault.count = body.value("count", 1);
    fault.mode = createMode(body.value("mode", std::string("status")));
    fault.code = codeField(body, "code", grpc::StatusCode::UNAVAILABLE);
    fault.message = body.value("message", std::string("injected creation failure"));
    fault.table = body.value("table", std::string());
    fake.faults().setCreateFault(fault);
    return Json{{"armed", fault.count}};
  }));

  // End every open stream (of `table`, or all) now with a status.
  server.Post("/admin/faults/abort", jsonHandler([&fake](const Json& body) {
    grpc::Status status(codeField(body, "code", grpc::StatusCode::UNAVAILABLE),
                        body.value("message", std::string("injected stream abort")));
    int n = fake.streams().forEach(body.value("table", std::string()),
                                   [&](LiveStream& s) { s.abort(status); });
    return Json{{"streams", n}};
  }));

  // Ack policy: {"mode":"stop"|"normal","delay_ms":N,"stop_after":N,"every":N}.
  server.Post("/admin/faults/acks", jsonHandler([&fake](const Json& body) {
    AckPolicy policy;
    std::string mode = body.value("mode", std::string("normal"));
    if (mode != "stop" && mode != "normal") throw BadRequest{"mode: stop or normal"};
    policy.stopped = mode == "stop";
    policy.delay_ms = body.value("delay_ms", int64_t{0});
    policy.stop_after = body.value("stop_after", int64_t{-1});
    policy.every = body.value("every", int64_t{1});
    if (policy.delay_ms < 0 || policy.every < 1) throw BadRequest{"delay_ms >= 0, every >= 1"};
    fake.faults().setAckPolicy(policy);
    int n = 0;
    if (!policy.stopped && policy.stop_after < 0) {
      n = fake.streams().forEach("", [](LiveStream& s) { s.resumeAcks(); });
    }
    return Json{{"mode", mode}, {"resumed_streams", n}};
  }));

  // Send close_stream_signal now; optionally end the streams after the duration.
  server.Post("/admin/faults/close-signal", jsonHandler([&fake](const Json& body) {
    int64_t duration_ms = body.value("duration_ms", int64_t{0});
    bool end = body.value("end", true);
    grpc::Status status(codeField(body, "code", grpc::StatusCode::UNAVAILABLE),
                        body.value("message", std::string("Stream closed by the service (injected "
                                                          "close signal). Error Code: 6002.")));
    int n = fake.streams().forEach(body.value("table", std::string()), [&](LiveStream& s) {
      s.closeSignal(duration_ms, end, status);
    });
    fake.faults().countFired("close_signal");
    return Json{{"streams", n}};
  }));

  // Land the next `count` messages, then fail their stream before the ack goes out.
  server.Post("/admin/faults/drop-after-commit", jsonHandler([&fake](const Json& body) {
    int count = body.value("count", 1);
    fake.faults().setDropAfterCommit(count);
    return Json{{"armed", count}};
  }));

  server.Post("/admin/faults/drop-connections", jsonHandler([&fake](const Json&) {
    auto status = fake.dropConnections();
    if (!status.ok()) throw BadRequest{std::string(status.message())};
    return Json{{"dropped", true}, {"grpc_port", fake.grpcPort()}};
  }));

  server.Post("/admin/faults/token", jsonHandler([&fake](const Json& body) {
    TokenFaults faults;
    faults.status = body.value("status", 0);
    faults.count = body.value("count", faults.status != 0 ? 1 : 0);
    faults.delay_ms = body.value("delay_ms", 0);
    faults.body_mode = body.value("body_mode", std::string());
    faults.lifetime_s = body.value("lifetime_s", int64_t{0});
    if (auto status = validateTokenFaults(faults); !status.ok()) {
      throw BadRequest{std::string(status.message())};
    }
    fake.workspace().setTokenFaults(faults);
    return Json{{"armed", true}};
  }));

  server.Post("/admin/faults/uc", jsonHandler([&fake](const Json& body) {
    UcFaults faults;
    faults.status = body.value("status", 0);
    faults.count = body.value("count", faults.status != 0 ? 1 : 0);
    faults.delay_ms = body.value("delay_ms", 0);
    faults.reject_ingest_tokens = body.value("reject_ingest_tokens", false);
    if (auto status = validateUcFaults(faults); !status.ok()) {
      throw BadRequest{std::string(status.message())};
    }
    fake.workspace().setUcFaults(faults);
    return Json{{"armed", true}};
  }));

  // Revoke every minted token; with end_streams, live streams using one end UNAUTHENTICATED.
  server.Post("/admin/tokens/revoke", jsonHandler([&fake](const Json& body) {
    fake.tokens().revokeAll();
    int n = 0;
    if (body.value("end_streams", false)) {
      n = fake.streams().forEach("", [](LiveStream& s) { s.recheckToken(); });
    }
    fake.faults().countFired("revoke_tokens");
    return Json{{"revoked", true}, {"streams_checked", n}};
  }));

  // Stream lifetime for streams created from now on.
  server.Post("/admin/streams/lifetime", jsonHandler([&fake](const Json& body) {
    int64_t lifetime = body.value("lifetime_ms", fake.streams().lifetime_ms.load());
    int64_t grace = body.value("close_grace_ms", fake.streams().close_grace_ms.load());
    if (lifetime < 0 || grace < 0) throw BadRequest{"lifetime_ms and close_grace_ms >= 0"};
    fake.streams().lifetime_ms = lifetime;
    fake.streams().close_grace_ms = grace;
    return Json{{"lifetime_ms", lifetime}, {"close_grace_ms", grace}};
  }));

  server.set_logger([](const httplib::Request& req, const httplib::Response& res) {
    spdlog::debug("admin {} {} -> {}", req.method, req.path, res.status);
  });
}

}  // namespace zerobusd::fake
