#include "api/rest/http_server.h"

#include <algorithm>
#include <atomic>
#include <limits>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include "api/rest/internal/host_port.h"

namespace api::rest {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using beast::error_code;

// After an error response the connection closes, but the client may still be sending
// (a body over the limit). Reading and dropping what arrives for a short while, as
// nginx's lingering close does, keeps the kernel from answering with a reset that could
// destroy the response before the client has read it.
constexpr std::chrono::milliseconds kLingerTime{1000};
constexpr size_t kLingerBytes = 8 << 20;

// What the server and every session share; sessions may outlive the HttpServer object
// by a moment (until the io_context destroys their pending handlers), so it is shared.
struct Shared {
  HttpServerOptions options;
  std::shared_ptr<const Router> router;
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> rejected{0};
  std::atomic<uint64_t> requests{0};
  std::atomic<size_t> open{0};
};

std::string_view View(beast::string_view s) { return {s.data(), s.size()}; }

std::string EndpointText(const tcp::endpoint& endpoint) {
  return internal::FormatHostPort(endpoint.address().to_string(), endpoint.port());
}

// One connection: reads requests one after another, hands each to the Router and writes
// the response. Every step runs on the connection's strand (the stream's executor).
// Stream is beast::tcp_stream or beast::ssl_stream<beast::tcp_stream>.
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

 public:
  // `reject`: the connection is over max_connections; it gets one 503 and is closed.
  Session(std::shared_ptr<Shared> shared, Stream stream, std::string remote, bool reject)
      : shared_(std::move(shared)),
        stream_(std::move(stream)),
        remote_(std::move(remote)),
        reject_(reject) {}
  ~Session() {
    if (!reject_) shared_->open.fetch_sub(1);
  }

  void Run() {
    if constexpr (kTls) {
      Lowest().expires_after(shared_->options.read_timeout);
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](error_code ec) {
                                if (ec) {
                                  spdlog::debug("REST TLS handshake with {} failed: {}",
                                                self->remote_, ec.message());
                                  return;  // the session ends, closing the socket
                                }
                                self->ReadHeader();
                              });
    } else {
      ReadHeader();
    }
  }

 private:
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  void ReadHeader() {
    const HttpServerOptions& options = shared_->options;
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(options.max_header_bytes));
    parser_->body_limit(static_cast<uint64_t>(options.max_body_bytes));
    method_.clear();
    path_.clear();
    // One deadline for the whole request: it also closes idle keep-alive connections.
    Lowest().expires_after(options.read_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(error_code ec) {
    if (ec) return OnReadError(ec);
    started_ = std::chrono::steady_clock::now();
    const auto& message = parser_->get();
    method_ = std::string(message.method_string());
    path_ = std::string(message.target().substr(0, message.target().find('?')));
    if (reject_) {
      return Respond(ErrorResponse(503, "too_many_connections",
                                   "the server has too many open connections; retry later"),
                     /*keep_alive=*/false);
    }
    if (message.target().size() > shared_->options.max_target_bytes) {
      return Respond(ErrorResponse(414, "uri_too_long",
                                   "the request target is longer than " +
                                       std::to_string(shared_->options.max_target_bytes) +
                                       " bytes"),
                     false);
    }
    if (parser_->is_done()) return Process();
    if (beast::iequals(message[http::field::expect], "100-continue")) {
      // The client waits for this before sending the body (curl does above 1 KiB).
      continue_.emplace(http::status::continue_, message.version());
      Lowest().expires_after(shared_->options.write_timeout);
      return http::async_write(stream_, *continue_,
                               [self = this->shared_from_this()](error_code write_ec, size_t) {
                                 if (write_ec) return;  // the session ends
                                 self->Lowest().expires_after(self->shared_->options.read_timeout);
                                 self->ReadBody();
                               });
    }
    ReadBody();
  }

  void ReadBody() {
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](error_code ec, size_t) {
                       if (ec) return self->OnReadError(ec);
                       self->Process();
                     });
  }

  void OnReadError(error_code ec) {
    if (ec == http::error::end_of_stream) return Shutdown();  // closed between requests
    if (method_.empty() && parser_) {  // for the log line: what was parsed before the error
      started_ = std::chrono::steady_clock::now();
      const auto& message = parser_->get();
      method_ = std::string(message.method_string());
      path_ = std::string(message.target().substr(0, message.target().find('?')));
    }
    if (ec == beast::error::timeout) {
      // tcp_stream has closed the socket already.
      spdlog::debug("REST connection from {} timed out reading a request", remote_);
      return;
    }
    if (ec == http::error::body_limit) {
      return Respond(ErrorResponse(413, "payload_too_large",
                                   "the request body is larger than " +
                                       std::to_string(shared_->options.max_body_bytes) + " bytes"),
                     false);
    }
    if (ec == http::error::header_limit) {
      return Respond(ErrorResponse(431, "request_header_fields_too_large",
                                   "the request header is larger than " +
                                       std::to_string(shared_->options.max_header_bytes) +
                                       " bytes"),
                     false);
    }
    if (ec.category() == make_error_code(http::error::bad_target).category() &&
        ec != http::error::partial_message) {
      return Respond(ErrorResponse(400, "bad_request", "malformed HTTP request: " + ec.message()),
                     false);
    }
    // The peer went away (reset, EOF inside a request, TLS truncation): nothing to answer.
    spdlog::debug("REST connection from {} closed while reading: {}", remote_, ec.message());
  }

  void Process() {
    auto& message = parser_->get();
    HttpRequest request;
    request.method = method_;
    if (cep::Status status = SetTarget(request, View(message.target())); !status.ok()) {
      return Respond(ErrorResponse(400, "bad_request", status.message()), false);
    }
    request.headers.reserve(static_cast<size_t>(std::distance(message.begin(), message.end())));
    for (const auto& field : message) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(),
                     [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; });
      request.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    request.body = std::move(message.body());
    request.remote = remote_;
    Respond(shared_->router->Handle(request), message.keep_alive());
  }

  // Writes `response`; then reads the next request when `keep_alive`, else closes.
  void Respond(HttpResponse response, bool keep_alive) {
    const unsigned version = parser_ && parser_->is_header_done() ? parser_->get().version() : 11;
    response_ = {};
    response_.version(version);
    const int status = (response.status >= 100 && response.status <= 999) ? response.status : 500;
    response_.result(static_cast<unsigned>(status));
    response_.set(http::field::server, "cep");
    response_.set(http::field::content_type, response.content_type);
    for (auto& [name, value] : response.headers) response_.insert(name, value);
    response_.body() = std::move(response.body);
    response_.keep_alive(keep_alive);
    response_.prepare_payload();
    // Counted before the write, so a client that has its response sees it in stats().
    shared_->requests.fetch_add(1);
    Lowest().expires_after(shared_->options.write_timeout);
    http::async_write(stream_, response_,
                      [self = this->shared_from_this(), keep_alive](error_code ec, size_t) {
                        self->OnWrite(ec, keep_alive);
                      });
  }

  void OnWrite(error_code ec, bool keep_alive) {
    const auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                              started_);
    spdlog::debug("REST {} {} {} {:.1f}ms {}", method_.empty() ? "-" : method_,
                  path_.empty() ? "-" : path_, response_.result_int(), ms.count(), remote_);
    if (ec) {
      spdlog::debug("REST write to {} failed: {}", remote_, ec.message());
      return;
    }
    if (keep_alive) return ReadHeader();
    // An error or 503 answer: the rest of the request may still be on its way.
    if (!parser_ || !parser_->is_done()) return Linger();
    Shutdown();
  }

  void Linger() {
    if constexpr (!kTls) {
      error_code ignored;
      Lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
    Lowest().expires_after(kLingerTime);
    DrainSome();
  }

  void DrainSome() {
    discard_.resize(64 * 1024);
    stream_.async_read_some(asio::buffer(discard_),
                            [self = this->shared_from_this()](error_code ec, size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > kLingerBytes) return self->Shutdown();
                              self->DrainSome();
                            });
  }

  void Shutdown() {
    if constexpr (kTls) {
      Lowest().expires_after(shared_->options.write_timeout);
      stream_.async_shutdown([self = this->shared_from_this()](error_code) {
        error_code ignored;
        self->Lowest().socket().close(ignored);
      });
    } else {
      error_code ignored;
      Lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
      Lowest().socket().close(ignored);
    }
  }

  std::shared_ptr<Shared> shared_;
  Stream stream_;
  std::string remote_;
  const bool reject_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::empty_body>> continue_;
  http::response<http::string_body> response_;  // alive until its async_write completes
  std::vector<char> discard_;
  size_t drained_ = 0;
  std::string method_, path_;  // for the log line; the raw path, so escapes stay escaped
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

cep::Result<tcp::endpoint> ResolveListenAddress(asio::io_context& ioc, std::string_view address) {
  ASSIGN_OR_RETURN(internal::HostPort host_port,
                   internal::ParseHostPort(address, /*allow_port_zero=*/true));
  error_code ec;
  const asio::ip::address ip = asio::ip::make_address(host_port.host, ec);
  if (!ec) return tcp::endpoint(ip, host_port.port);
  tcp::resolver resolver(ioc);
  auto results = resolver.resolve(host_port.host, std::to_string(host_port.port),
                                  tcp::resolver::passive, ec);
  if (ec || results.empty()) {
    return cep::InvalidArgument("REST address '" + std::string(address) +
                                "': cannot resolve the host: " + ec.message());
  }
  return results.begin()->endpoint();
}

cep::Status CheckOptions(const HttpServerOptions& options) {
  if (options.threads < 1) return cep::InvalidArgument("REST server needs threads >= 1");
  if (options.max_connections < 1) {
    return cep::InvalidArgument("REST server needs max_connections >= 1");
  }
  if (options.max_header_bytes < 64 ||
      options.max_header_bytes > std::numeric_limits<uint32_t>::max()) {
    return cep::InvalidArgument("REST server max_header_bytes out of range");
  }
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return cep::InvalidArgument("TLS needs both a certificate file and a key file");
  }
  return cep::Status::Ok();
}

cep::Result<std::unique_ptr<ssl::context>> MakeTlsContext(const HttpServerOptions& options) {
  auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                       ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  error_code ec;
  context->use_certificate_chain_file(options.tls_cert_file, ec);
  if (ec) {
    return cep::InvalidArgument("TLS certificate file '" + options.tls_cert_file +
                                "': " + ec.message());
  }
  context->use_private_key_file(options.tls_key_file, ssl::context::pem, ec);
  if (ec) {
    return cep::InvalidArgument("TLS key file '" + options.tls_key_file + "': " + ec.message());
  }
  if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
    return cep::InvalidArgument("TLS key file '" + options.tls_key_file +
                                "' does not match the certificate '" + options.tls_cert_file + "'");
  }
  return context;
}

}  // namespace

struct HttpServer::Impl {
  std::shared_ptr<Shared> shared = std::make_shared<Shared>();
  std::unique_ptr<ssl::context> tls;  // null for plain HTTP
  std::unique_ptr<asio::io_context> ioc;
  std::optional<tcp::acceptor> acceptor;
  std::optional<asio::steady_timer> retry_timer;  // after an accept error (e.g. EMFILE)
  tcp::endpoint local;
  std::vector<std::thread> threads;
  bool stopped = false;

  void Accept() {
    acceptor->async_accept(asio::make_strand(*ioc), [this](error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (ec) {
        spdlog::warn("REST accept failed: {}", ec.message());
        retry_timer->expires_after(std::chrono::milliseconds(100));
        retry_timer->async_wait([this](error_code timer_ec) {
          if (!timer_ec) Accept();
        });
        return;
      }
      OnAccept(std::move(socket));
      Accept();
    });
  }

  void OnAccept(tcp::socket socket) {
    shared->accepted.fetch_add(1);
    error_code ec;
    const tcp::endpoint peer = socket.remote_endpoint(ec);
    std::string remote = ec ? "?" : EndpointText(peer);
    // Only this acceptor (one chain of handlers) increments `open`, so check-then-add holds.
    const bool reject = shared->open.load() >= shared->options.max_connections;
    if (reject) {
      shared->rejected.fetch_add(1);
      spdlog::warn("REST connection from {} rejected: {} connections open", remote,
                   shared->open.load());
    } else {
      shared->open.fetch_add(1);
    }
    if (tls) {
      using TlsStream = beast::ssl_stream<beast::tcp_stream>;
      std::make_shared<Session<TlsStream>>(shared, TlsStream(std::move(socket), *tls),
                                           std::move(remote), reject)
          ->Run();
    } else {
      std::make_shared<Session<beast::tcp_stream>>(shared, beast::tcp_stream(std::move(socket)),
                                                   std::move(remote), reject)
          ->Run();
    }
  }

  void RunThread() {
    for (;;) {
      try {
        ioc->run();
        return;
      } catch (const std::exception& e) {
        spdlog::error("REST io thread: unexpected exception: {}", e.what());
      }
    }
  }
};

cep::Result<std::unique_ptr<HttpServer>> HttpServer::Start(HttpServerOptions options,
                                                          std::shared_ptr<const Router> router) {
  CHECK(router != nullptr, "HttpServer needs a Router");
  RETURN_IF_ERROR(CheckOptions(options));
  auto impl = std::make_unique<Impl>();
  if (!options.tls_cert_file.empty()) {
    ASSIGN_OR_RETURN(impl->tls, MakeTlsContext(options));
  }
  impl->ioc = std::make_unique<asio::io_context>(options.threads);
  ASSIGN_OR_RETURN(const tcp::endpoint endpoint, ResolveListenAddress(*impl->ioc, options.address));

  impl->acceptor.emplace(asio::make_strand(*impl->ioc));
  impl->retry_timer.emplace(impl->acceptor->get_executor());
  error_code ec;
  const auto fail = [&](std::string_view what) {
    return cep::Unavailable("REST server: " + std::string(what) + " " + options.address + ": " +
                            ec.message());
  };
  impl->acceptor->open(endpoint.protocol(), ec);
  if (ec) return fail("opening a socket for");
  impl->acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return fail("setting SO_REUSEADDR on");
  impl->acceptor->bind(endpoint, ec);
  if (ec) return fail("binding");
  impl->acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listening on");
  impl->local = impl->acceptor->local_endpoint(ec);
  if (ec) return fail("reading the bound port of");

  impl->shared->options = std::move(options);
  impl->shared->router = std::move(router);
  impl->Accept();
  const int thread_count = impl->shared->options.threads;
  for (int i = 0; i < thread_count; ++i) {
    impl->threads.emplace_back([raw = impl.get()] { raw->RunThread(); });
  }
  spdlog::info("REST API listening on {}", EndpointText(impl->local));
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  // Handlers running now finish; the rest never run. Destroying the io_context then
  // destroys every pending operation, which releases the sessions and closes sockets.
  impl_->ioc->stop();
  for (std::thread& thread : impl_->threads) thread.join();
  impl_->threads.clear();
  impl_->retry_timer.reset();
  impl_->acceptor.reset();
  impl_->ioc.reset();
}

uint16_t HttpServer::port() const { return impl_->local.port(); }

std::string HttpServer::url() const {
  asio::ip::address address = impl_->local.address();
  if (address.is_unspecified()) {
    address = address.is_v6() ? asio::ip::address(asio::ip::address_v6::loopback())
                              : asio::ip::address(asio::ip::address_v4::loopback());
  }
  return std::string(impl_->tls ? "https://" : "http://") +
         internal::FormatHostPort(address.to_string(), impl_->local.port());
}

HttpServerStats HttpServer::stats() const {
  const Shared& shared = *impl_->shared;
  return {shared.accepted.load(), shared.rejected.load(), shared.requests.load(),
          shared.open.load()};
}

}  // namespace api::rest
