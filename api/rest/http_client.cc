#include "api/rest/http_client.h"

#include <algorithm>
#include <charconv>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "api/rest/internal/host_port.h"

namespace api::rest {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using beast::error_code;

constexpr uint64_t kMaxResponseBody = 256ull << 20;

struct BaseUrl {
  bool tls = false;
  std::string host;
  uint16_t port = 0;
  std::string prefix;  // path prefix without a trailing '/'
};

cep::Result<BaseUrl> ParseBaseUrl(std::string_view url) {
  BaseUrl out;
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    out.tls = true;
    rest = url.substr(8);
  } else {
    return cep::InvalidArgument("base URL '" + std::string(url) +
                                "' must start with http:// or https://");
  }
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) out.prefix = std::string(rest.substr(slash));
  while (!out.prefix.empty() && out.prefix.back() == '/') out.prefix.pop_back();
  const bool bracketed = authority.starts_with('[');
  const size_t host_end = bracketed ? authority.find(']') : authority.rfind(':');
  if (bracketed && host_end == std::string_view::npos) {
    return cep::InvalidArgument("base URL '" + std::string(url) + "': missing ']'");
  }
  std::string_view port_text;
  if (bracketed) {
    out.host = std::string(authority.substr(1, host_end - 1));
    std::string_view after = authority.substr(host_end + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return cep::InvalidArgument("base URL '" + std::string(url) + "': bad port");
      }
      port_text = after.substr(1);
    }
  } else {
    out.host = std::string(authority.substr(0, host_end));
    if (host_end != std::string_view::npos) port_text = authority.substr(host_end + 1);
  }
  if (out.host.empty()) {
    return cep::InvalidArgument("base URL '" + std::string(url) + "' has no host");
  }
  unsigned port = out.tls ? 443 : 80;
  if (!port_text.empty()) {
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return cep::InvalidArgument("base URL '" + std::string(url) + "': bad port");
    }
  }
  out.port = static_cast<uint16_t>(port);
  return out;
}

// Starts one asynchronous operation and runs the io_context until it completes. The
// stream's deadline (expires_at) bounds it: on expiry Beast closes the socket and the
// operation ends with beast::error::timeout.
template <class Initiate>
error_code RunOp(asio::io_context& ioc, Initiate&& initiate) {
  error_code result = asio::error::operation_aborted;
  initiate([&result](error_code ec, auto&&...) { result = ec; });
  ioc.restart();
  ioc.run();
  return result;
}

std::string Describe(std::string_view what, const error_code& ec) {
  if (ec == beast::error::timeout) return std::string(what) + ": timed out";
  return std::string(what) + ": " + ec.message();
}

HttpResponse ToResponse(http::response<http::string_body>& message) {
  HttpResponse response;
  response.status = static_cast<int>(message.result_int());
  response.content_type = std::string(message[http::field::content_type]);
  for (const auto& field : message) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; });
    response.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  response.body = std::move(message.body());
  return response;
}

// Writes the request and reads the response. A failed write may still be followed by a
// response: a server that refuses a body (413) answers and closes while we still send.
template <class Stream>
cep::Result<HttpResponse> Exchange(asio::io_context& ioc, Stream& stream,
                                   http::request<http::string_body>& request) {
  const error_code write_ec = RunOp(ioc, [&](auto handler) {
    http::async_write(stream, request, std::move(handler));
  });
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.header_limit(64 * 1024);
  parser.body_limit(kMaxResponseBody);
  const error_code read_ec = RunOp(ioc, [&](auto handler) {
    http::async_read(stream, buffer, parser, std::move(handler));
  });
  if (read_ec) {
    if (write_ec) return cep::Unavailable(Describe("sending the request", write_ec));
    return cep::Unavailable(Describe("reading the response", read_ec));
  }
  return ToResponse(parser.get());
}

}  // namespace

HttpClient::HttpClient(HttpClientOptions options) : options_(std::move(options)) {}

cep::Result<HttpResponse> HttpClient::Call(
    std::string_view method, std::string_view target, std::string body,
    std::string_view content_type,
    std::vector<std::pair<std::string, std::string>> extra_headers) const {
  auto parsed = ParseBaseUrl(options_.base_url);
  if (!parsed.has_value()) return cep::Unavailable(parsed.error().message());
  const BaseUrl& url = *parsed;
  const std::string where = std::string(method) + " " + options_.base_url + std::string(target);
  const auto fail = [&](const std::string& what) { return cep::Unavailable(where + ": " + what); };

  http::request<http::string_body> request;
  request.method_string(beast::string_view(method.data(), method.size()));
  std::string full_target = url.prefix;
  if (!target.starts_with('/')) full_target += '/';
  full_target += target;
  request.target(full_target);
  request.version(11);
  request.set(http::field::host, internal::FormatHostPort(url.host, url.port));
  request.set(http::field::user_agent, "cep");
  if (!options_.token.empty()) request.set(http::field::authorization, "Bearer " + options_.token);
  if (!body.empty()) request.set(http::field::content_type, beast::string_view(content_type.data(), content_type.size()));
  for (auto& [name, value] : extra_headers) request.insert(name, value);
  request.body() = std::move(body);
  request.keep_alive(false);
  request.prepare_payload();

  asio::io_context ioc;
  const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
  error_code ec;
  tcp::resolver resolver(ioc);
  const auto endpoints = resolver.resolve(url.host, std::to_string(url.port), ec);
  if (ec) return fail(Describe("resolving " + url.host, ec));

  if (!url.tls) {
    beast::tcp_stream stream(ioc);
    stream.expires_at(deadline);
    ec = RunOp(ioc, [&](auto handler) { stream.async_connect(endpoints, std::move(handler)); });
    if (ec) return fail(Describe("connecting", ec));
    auto response = Exchange(ioc, stream, request);
    if (!response.has_value()) return fail(response.error().message());
    error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    return response;
  }

  ssl::context context(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION);
  if (options_.insecure) {
    context.set_verify_mode(ssl::verify_none);
  } else {
    context.set_verify_mode(ssl::verify_peer);
    if (!options_.ca_file.empty()) {
      context.load_verify_file(options_.ca_file, ec);
      if (ec) return fail(Describe("loading CA file '" + options_.ca_file + "'", ec));
    } else {
      context.set_default_verify_paths(ec);
      if (ec) return fail(Describe("loading the system CA certificates", ec));
    }
  }
  beast::ssl_stream<beast::tcp_stream> stream(ioc, context);
  SSL* ssl_handle = stream.native_handle();
  error_code address_ec;
  asio::ip::make_address(url.host, address_ec);
  const bool host_is_ip = !address_ec;
  if (!host_is_ip) SSL_set_tlsext_host_name(ssl_handle, url.host.c_str());
  if (!options_.insecure) {
    // Check the name in the certificate: an IP address against its IP SANs.
    const int ok = host_is_ip
                       ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_handle), url.host.c_str())
                       : SSL_set1_host(ssl_handle, url.host.c_str());
    if (ok != 1) return fail("cannot set the TLS host name to verify");
  }
  beast::get_lowest_layer(stream).expires_at(deadline);
  ec = RunOp(ioc, [&](auto handler) {
    beast::get_lowest_layer(stream).async_connect(endpoints, std::move(handler));
  });
  if (ec) return fail(Describe("connecting", ec));
  ec = RunOp(ioc, [&](auto handler) {
    stream.async_handshake(ssl::stream_base::client, std::move(handler));
  });
  if (ec) {
    const long verify = SSL_get_verify_result(ssl_handle);
    std::string what = Describe("TLS handshake", ec);
    if (verify != X509_V_OK) what += std::string(" (") + X509_verify_cert_error_string(verify) + ")";
    return fail(what);
  }
  auto response = Exchange(ioc, stream, request);
  if (!response.has_value()) return fail(response.error().message());
  // No TLS close_notify exchange: the response is complete and the server closes too.
  error_code ignored;
  beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
  return response;
}

}  // namespace api::rest
