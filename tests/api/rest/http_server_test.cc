#include "api/rest/http_server.h"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/rest/http_client.h"
#include "tests/api/rest/raw_connection.h"
#include "tests/api/rest/test_routes.h"

namespace api::rest {
namespace {

using nlohmann::json;
using testing::kAdminToken;
using testing::kReadToken;
using testing::RawConnection;
using testing::RawResponse;

std::string ErrorCode(std::string_view body) {
  return json::parse(body).at("error").at("code").get<std::string>();
}

std::string Get(std::string_view target, std::string_view token = kReadToken,
                std::string_view extra = {}) {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer " +
         std::string(token) + "\r\n" + std::string(extra) + "\r\n";
}

class HttpServerTest : public ::testing::Test {
 protected:
  void StartServer(HttpServerOptions options = {}) {
    options.address = "127.0.0.1:0";
    auto server = HttpServer::Start(std::move(options), testing::MakeTestRouter());
    ASSERT_TRUE(server.has_value()) << server.error().ToString();
    server_ = std::move(server).value();
  }

  HttpClient Client(std::string token = kReadToken) const {
    HttpClientOptions options;
    options.base_url = server_->url();
    options.token = std::move(token);
    options.timeout = std::chrono::seconds(20);
    return HttpClient(options);
  }

  // Waits, bounded, until the server has `count` open connections: closing is observed
  // by the server asynchronously and there is no event to wait for.
  bool WaitForOpenConnections(size_t count) const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (server_->stats().open_connections != count) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  }

  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, RoutesWithParamsAndQuery) {
  StartServer();
  EXPECT_NE(server_->port(), 0);
  EXPECT_EQ(server_->url(), "http://127.0.0.1:" + std::to_string(server_->port()));
  auto response = Client().Call("GET", "/v1/echo/card%2Ffraud?x=1&y=a+b");
  ASSERT_TRUE(response.has_value()) << response.error().ToString();
  EXPECT_EQ(response->status, 200) << response->body;
  EXPECT_EQ(response->content_type, "application/json");
  EXPECT_EQ(response->header("server"), "cep");
  EXPECT_EQ(response->header("content-length"), std::to_string(response->body.size()));
  const json body = json::parse(response->body);
  EXPECT_EQ(body["name"], "card/fraud");
  EXPECT_EQ(body["query"], json({{"x", "1"}, {"y", "a b"}}));
  EXPECT_EQ(body["scope"], "read");
}

TEST_F(HttpServerTest, UnknownRouteIs404AndWrongMethodIs405) {
  StartServer();
  auto missing = Client().Call("GET", "/v1/nothing");
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(ErrorCode(missing->body), "not_found");
  auto wrong_method = Client().Call("DELETE", "/v1/echo/x");
  ASSERT_TRUE(wrong_method.has_value());
  EXPECT_EQ(wrong_method->status, 405);
  EXPECT_EQ(ErrorCode(wrong_method->body), "method_not_allowed");
  EXPECT_EQ(wrong_method->header("allow"), "GET");
}

TEST_F(HttpServerTest, Authentication) {
  StartServer();
  auto no_token = Client("").Call("GET", "/v1/echo/x");
  ASSERT_TRUE(no_token.has_value());
  EXPECT_EQ(no_token->status, 401);
  EXPECT_EQ(ErrorCode(no_token->body), "unauthorized");
  EXPECT_EQ(no_token->header("www-authenticate"), "Bearer");

  auto wrong_scheme =
      Client("").Call("GET", "/v1/echo/x", {}, {}, {{"Authorization", "Basic cmVhZA=="}});
  ASSERT_TRUE(wrong_scheme.has_value());
  EXPECT_EQ(wrong_scheme->status, 401);

  auto wrong_token = Client("nope").Call("GET", "/v1/echo/x");
  ASSERT_TRUE(wrong_token.has_value());
  EXPECT_EQ(wrong_token->status, 401);

  auto read_on_admin = Client(kReadToken).Call("POST", "/v1/admin", "{}");
  ASSERT_TRUE(read_on_admin.has_value());
  EXPECT_EQ(read_on_admin->status, 403);
  EXPECT_EQ(ErrorCode(read_on_admin->body), "forbidden");

  auto admin_on_admin = Client(kAdminToken).Call("POST", "/v1/admin", "{}");
  ASSERT_TRUE(admin_on_admin.has_value());
  EXPECT_EQ(admin_on_admin->status, 200);

  auto admin_on_read = Client(kAdminToken).Call("GET", "/v1/echo/x");
  ASSERT_TRUE(admin_on_read.has_value());
  EXPECT_EQ(admin_on_read->status, 200);
  EXPECT_EQ(json::parse(admin_on_read->body)["scope"], "admin");

  auto healthz = Client("").Call("GET", "/healthz");
  ASSERT_TRUE(healthz.has_value());
  EXPECT_EQ(healthz->status, 200);
  EXPECT_EQ(healthz->body, "ok\n");
  EXPECT_EQ(healthz->content_type, "text/plain; charset=utf-8");
}

TEST_F(HttpServerTest, HandlerExceptionIs500) {
  StartServer();
  auto response = Client().Call("GET", "/v1/throw");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 500);
  EXPECT_EQ(ErrorCode(response->body), "internal");
  EXPECT_EQ(response->body.find("secret"), std::string::npos);
}

TEST_F(HttpServerTest, BodyAtTheLimitPassesAndOneByteMoreIs413) {
  HttpServerOptions options;
  options.max_body_bytes = 1 << 20;
  StartServer(options);
  const std::string at_limit(1 << 20, 'a');
  auto ok = Client().Call("POST", "/v1/echo", at_limit, "application/octet-stream");
  ASSERT_TRUE(ok.has_value()) << ok.error().ToString();
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(json::parse(ok->body)["size"], 1 << 20);
  EXPECT_EQ(json::parse(ok->body)["content_type"], "application/octet-stream");

  auto too_large = Client().Call("POST", "/v1/echo", std::string((1 << 20) + 1, 'a'));
  ASSERT_TRUE(too_large.has_value()) << too_large.error().ToString();
  EXPECT_EQ(too_large->status, 413);
  EXPECT_EQ(ErrorCode(too_large->body), "payload_too_large");
  EXPECT_EQ(too_large->header("connection"), "close");
}

TEST_F(HttpServerTest, ChunkedBodyOverTheLimitIs413) {
  HttpServerOptions options;
  options.max_body_bytes = 100;
  StartServer(options);
  RawConnection connection(server_->port());
  ASSERT_TRUE(connection.connected());
  const std::string chunk(80, 'x');
  ASSERT_TRUE(connection.Send(
      "POST /v1/echo HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + std::string(kReadToken) +
      "\r\nTransfer-Encoding: chunked\r\n\r\n50\r\n" + chunk + "\r\n50\r\n" + chunk + "\r\n0\r\n\r\n"));
  auto response = connection.ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 413);
  EXPECT_TRUE(connection.WaitClosed());
}

TEST_F(HttpServerTest, HugeHeaderIs431) {
  HttpServerOptions options;
  options.max_header_bytes = 16 * 1024;
  StartServer(options);
  auto response =
      Client().Call("GET", "/v1/echo/x", {}, {}, {{"X-Big", std::string(20 * 1024, 'h')}});
  ASSERT_TRUE(response.has_value()) << response.error().ToString();
  EXPECT_EQ(response->status, 431);
  EXPECT_EQ(ErrorCode(response->body), "request_header_fields_too_large");
}

TEST_F(HttpServerTest, LongTargetIs414) {
  StartServer();  // target limit 8 KiB, header limit 16 KiB
  auto response = Client().Call("GET", "/v1/echo/" + std::string(9 * 1024, 'u'));
  ASSERT_TRUE(response.has_value()) << response.error().ToString();
  EXPECT_EQ(response->status, 414);
  EXPECT_EQ(ErrorCode(response->body), "uri_too_long");
  // Just under the limit is fine.
  auto ok = Client().Call("GET", "/v1/echo/" + std::string(8 * 1024 - 20, 'u'));
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->status, 200);
}

TEST_F(HttpServerTest, MalformedRequestLineIs400ThenClose) {
  StartServer();
  RawConnection connection(server_->port());
  ASSERT_TRUE(connection.connected());
  ASSERT_TRUE(connection.Send("THIS IS NOT HTTP\r\n\r\n"));
  auto response = connection.ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(ErrorCode(response->body), "bad_request");
  EXPECT_EQ(response->Header("Connection"), "close");
  EXPECT_TRUE(connection.WaitClosed());
}

TEST_F(HttpServerTest, BadChunkIs400) {
  StartServer();
  RawConnection connection(server_->port());
  ASSERT_TRUE(connection.connected());
  ASSERT_TRUE(connection.Send("POST /v1/echo HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " +
                              std::string(kReadToken) +
                              "\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"));
  auto response = connection.ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 400);
  EXPECT_TRUE(connection.WaitClosed());
}

TEST_F(HttpServerTest, TruncatedBodyIsClosedAfterReadTimeout) {
  HttpServerOptions options;
  options.read_timeout = std::chrono::milliseconds(200);
  StartServer(options);
  RawConnection connection(server_->port());
  ASSERT_TRUE(connection.connected());
  ASSERT_TRUE(connection.Send("POST /v1/echo HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " +
                              std::string(kReadToken) +
                              "\r\nContent-Length: 100\r\n\r\nonly ten b"));
  const auto start = std::chrono::steady_clock::now();
  std::string received;
  EXPECT_TRUE(connection.WaitClosed(&received));  // bounded by the 10 s socket timeout
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(150));
  EXPECT_EQ(received, "");  // no response to half a request
  EXPECT_EQ(server_->stats().requests, 0u);
}

TEST_F(HttpServerTest, IdleKeepAliveConnectionIsClosedAfterReadTimeout) {
  HttpServerOptions options;
  options.read_timeout = std::chrono::milliseconds(200);
  StartServer(options);
  RawConnection connection(server_->port());
  ASSERT_TRUE(connection.Send(Get("/healthz")));
  auto response = connection.ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(connection.WaitClosed());
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  StartServer();
  RawConnection connection(server_->port());
  ASSERT_TRUE(connection.connected());
  ASSERT_TRUE(connection.Send(Get("/v1/echo/one")));
  auto first = connection.ReadResponse();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(json::parse(first->body)["name"], "one");
  EXPECT_NE(first->Header("Connection"), "close");
  EXPECT_EQ(first->Header("Server"), "cep");

  ASSERT_TRUE(connection.Send(Get("/v1/echo/two")));
  auto second = connection.ReadResponse();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(json::parse(second->body)["name"], "two");

  // Two pipelined requests in one write, the last one asking to close.
  ASSERT_TRUE(connection.Send(Get("/v1/echo/three") +
                              Get("/v1/echo/four", kReadToken, "Connection: close\r\n")));
  auto third = connection.ReadResponse();
  auto fourth = connection.ReadResponse();
  ASSERT_TRUE(third.has_value() && fourth.has_value());
  EXPECT_EQ(json::parse(third->body)["name"], "three");
  EXPECT_EQ(json::parse(fourth->body)["name"], "four");
  EXPECT_EQ(fourth->Header("Connection"), "close");
  EXPECT_TRUE(connection.WaitClosed());

  const HttpServerStats stats = server_->stats();
  EXPECT_EQ(stats.connections_accepted, 1u);
  EXPECT_EQ(stats.requests, 4u);
}

TEST_F(HttpServerTest, Http10ClosesUnlessKeepAlive) {
  StartServer();
  RawConnection connection(server_->port());
  ASSERT_TRUE(connection.Send("GET /healthz HTTP/1.0\r\n\r\n"));
  auto response = connection.ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->head.substr(0, 8), "HTTP/1.0");
  EXPECT_TRUE(connection.WaitClosed());
}

TEST_F(HttpServerTest, ExpectContinueGetsA100BeforeTheBody) {
  StartServer();
  RawConnection connection(server_->port());
  const std::string body(200 * 1024, 'b');
  ASSERT_TRUE(connection.Send("POST /v1/echo HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " +
                              std::string(kReadToken) + "\r\nContent-Length: " +
                              std::to_string(body.size()) + "\r\nExpect: 100-continue\r\n\r\n"));
  auto interim = connection.ReadResponse();
  ASSERT_TRUE(interim.has_value());
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(connection.Send(body));
  auto response = connection.ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(json::parse(response->body)["size"], body.size());
}

TEST_F(HttpServerTest, ExpectContinueWithTooLargeBodyIs413WithoutA100) {
  HttpServerOptions options;
  options.max_body_bytes = 1000;
  StartServer(options);
  RawConnection connection(server_->port());
  ASSERT_TRUE(connection.Send("POST /v1/echo HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " +
                              std::string(kReadToken) +
                              "\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n"));
  auto response = connection.ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 413);
}

TEST_F(HttpServerTest, ConnectionsBeyondTheLimitGet503) {
  HttpServerOptions options;
  options.max_connections = 2;
  StartServer(options);
  RawConnection first(server_->port());
  RawConnection second(server_->port());
  for (RawConnection* connection : {&first, &second}) {
    ASSERT_TRUE(connection->Send(Get("/healthz")));
    auto response = connection->ReadResponse();
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->status, 200);
  }
  auto rejected = Client().Call("GET", "/healthz");
  ASSERT_TRUE(rejected.has_value()) << rejected.error().ToString();
  EXPECT_EQ(rejected->status, 503);
  EXPECT_EQ(ErrorCode(rejected->body), "too_many_connections");
  EXPECT_EQ(server_->stats().connections_rejected, 1u);
  EXPECT_EQ(server_->stats().open_connections, 2u);

  // Once one closes, a new connection is served again.
  first.Close();
  ASSERT_TRUE(WaitForOpenConnections(1));
  auto accepted = Client().Call("GET", "/healthz");
  ASSERT_TRUE(accepted.has_value());
  EXPECT_EQ(accepted->status, 200);
  EXPECT_EQ(server_->stats().connections_accepted, 4u);
}

TEST_F(HttpServerTest, ManyConcurrentClientsAreAllAnswered) {
  HttpServerOptions options;
  options.threads = 4;
  StartServer(options);
  constexpr int kThreads = 8;
  constexpr int kRequests = 50;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const HttpClient client = Client();
      for (int i = 0; i < kRequests; ++i) {
        const std::string name = std::to_string(t) + "-" + std::to_string(i);
        auto response = client.Call("GET", "/v1/echo/" + name);
        if (response.has_value() && response->status == 200 &&
            json::parse(response->body)["name"] == name) {
          ok.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), kThreads * kRequests);
  EXPECT_EQ(server_->stats().requests, static_cast<uint64_t>(kThreads * kRequests));
}

TEST_F(HttpServerTest, StopClosesOpenConnectionsAndIsIdempotent) {
  StartServer();
  RawConnection connection(server_->port());
  ASSERT_TRUE(connection.Send(Get("/healthz")));
  ASSERT_TRUE(connection.ReadResponse().has_value());
  server_->Stop();
  EXPECT_TRUE(connection.WaitClosed());
  server_->Stop();
  auto refused = Client().Call("GET", "/healthz");
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), cep::StatusCode::kUnavailable);
}

TEST(HttpServerStartTest, AddressInUseIsUnavailable) {
  HttpServerOptions options;
  options.address = "127.0.0.1:0";
  auto first = HttpServer::Start(options, testing::MakeTestRouter());
  ASSERT_TRUE(first.has_value());
  options.address = "127.0.0.1:" + std::to_string((*first)->port());
  auto second = HttpServer::Start(options, testing::MakeTestRouter());
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code(), cep::StatusCode::kUnavailable);
  EXPECT_NE(second.error().message().find("binding"), std::string::npos)
      << second.error().message();
}

TEST(HttpServerStartTest, BadAddressIsInvalidArgument) {
  for (const char* address : {"nonsense", "127.0.0.1:99999", "::1:80", ":80"}) {
    HttpServerOptions options;
    options.address = address;
    auto server = HttpServer::Start(options, testing::MakeTestRouter());
    ASSERT_FALSE(server.has_value()) << address;
    EXPECT_EQ(server.error().code(), cep::StatusCode::kInvalidArgument) << address;
  }
}

TEST(HttpClientTest, RefusedConnectionIsUnavailable) {
  // Bind a port, stop listening: nothing accepts there for the test's duration.
  HttpServerOptions options;
  options.address = "127.0.0.1:0";
  auto server = HttpServer::Start(options, testing::MakeTestRouter());
  ASSERT_TRUE(server.has_value());
  const std::string url = (*server)->url();
  (*server)->Stop();
  HttpClientOptions client_options;
  client_options.base_url = url;
  auto response = HttpClient(client_options).Call("GET", "/healthz");
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code(), cep::StatusCode::kUnavailable);
  EXPECT_NE(response.error().message().find("connecting"), std::string::npos);
}

TEST(HttpClientTest, BadBaseUrlIsUnavailable) {
  HttpClientOptions options;
  options.base_url = "ftp://example";
  auto response = HttpClient(options).Call("GET", "/");
  ASSERT_FALSE(response.has_value());
  EXPECT_NE(response.error().message().find("http://"), std::string::npos);
}

}  // namespace
}  // namespace api::rest
