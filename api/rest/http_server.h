#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "api/rest/router.h"
#include "cep/base/result.h"

namespace api::rest {

struct HttpServerOptions {
  std::string address = "127.0.0.1:8080";  // host:port, port 0 = any; [v6]:port
  int threads = 2;                         // the server's own io threads (not the engine's slots)
  size_t max_body_bytes = 1 << 20;         // 413 payload_too_large beyond
  size_t max_header_bytes = 16 * 1024;     // 431 request_header_fields_too_large beyond
  size_t max_target_bytes = 8 * 1024;      // 414 uri_too_long beyond
  // Per request (header and body) and per response. A keep-alive connection idle for
  // read_timeout is closed; so is one whose request does not arrive in full in time.
  std::chrono::milliseconds read_timeout{30'000}, write_timeout{30'000};
  size_t max_connections = 256;  // beyond: accept, answer 503 `too_many_connections`, close
  std::string tls_cert_file, tls_key_file;  // both set: HTTPS only (TLS 1.2+), else plain HTTP
};

struct HttpServerStats {
  uint64_t connections_accepted = 0;  // every accepted connection, rejected ones included
  uint64_t connections_rejected = 0;  // answered 503 because max_connections were open
  uint64_t requests = 0;              // responses sent or being sent, errors included
  size_t open_connections = 0;        // served connections open now (rejected ones not counted)
};

// The HTTP/1.1 server of `cep serve` (Boost.Beast, kept out of this header).
//
// Each connection runs on its own strand; requests on one connection are handled in
// order (keep-alive, no pipelining in parallel). The Router's handlers are called on the
// io threads, so `threads` bounds how many handlers run at once. Every response carries
// Content-Type, Content-Length, `Server: cep` and the Connection header HTTP/1.1 asks
// for. Protocol errors are answered in the REST error shape and the connection closed:
// 400 bad_request (malformed request), 413 payload_too_large, 414 uri_too_long,
// 431 request_header_fields_too_large. `Expect: 100-continue` is honoured.
//
// Threading: Start() and Stop() from one owning thread; port(), url() and stats() from
// any thread. The Router is shared read-only with the io threads until Stop() returns.
class HttpServer {
 public:
  // Binds, listens and starts the io threads. InvalidArgument for a bad address or
  // option, Unavailable when the address cannot be bound (taken, not local), and
  // InvalidArgument naming the file when the TLS certificate or key cannot be loaded.
  static cep::Result<std::unique_ptr<HttpServer>> Start(HttpServerOptions options,
                                                        std::shared_ptr<const Router> router);
  ~HttpServer();  // Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Stops accepting, closes every connection (a request in a handler finishes first,
  // its response is dropped) and joins the io threads. Idempotent.
  void Stop();

  uint16_t port() const;  // the bound port (useful with port 0)
  std::string url() const;  // "http://127.0.0.1:PORT", "https://[::1]:PORT"
  HttpServerStats stats() const;

  struct Impl;  // in http_server.cc

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace api::rest
