#include "api/server/api_server.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "api/rest/auth.h"
#include "api/server/routes.h"

namespace api::server {

std::shared_ptr<rest::Router> MakeRouter(ApiContext& context,
                                         const std::map<std::string, rest::Scope>& tokens) {
  auto router = std::make_shared<rest::Router>(rest::TokenAuth(tokens));
  AddRulesetRoutes(*router, context);
  AddRuntimeRoutes(*router, context);
  AddReplayRoutes(*router, context);
  return router;
}

cep::Result<std::unique_ptr<ApiServer>> ApiServer::Start(
    const engine::ServiceConfig& config, std::unique_ptr<ApiContext> context,
    const std::map<std::string, rest::Scope>& tokens) {
  std::unique_ptr<ApiServer> server(new ApiServer());
  server->context_ = std::move(context);
  rest::HttpServerOptions options;
  options.address = config.rest_address;
  options.threads = config.rest_threads;
  options.max_body_bytes = config.rest_max_body_bytes;
  options.max_connections = config.rest_max_connections;
  options.read_timeout = std::chrono::milliseconds(config.rest_timeout.millis());
  options.write_timeout = options.read_timeout;
  options.tls_cert_file = config.rest_tls_cert;
  options.tls_key_file = config.rest_tls_key;
  ASSIGN_OR_RETURN(server->server_,
                   rest::HttpServer::Start(options, MakeRouter(*server->context_, tokens)));
  rest::HttpServer* http = server->server_.get();
  server->context_->http_stats = [http] { return http->stats(); };
  return server;
}

ApiServer::~ApiServer() { Stop(); }

void ApiServer::Stop() {
  if (server_ != nullptr) server_->Stop();
}

cep::Result<std::map<std::string, rest::Scope>> ApiTokens(const engine::ServiceConfig& config,
                                                          bool& generated) {
  std::map<std::string, rest::Scope> tokens;
  generated = false;
  for (const auto& [token, scope] : config.rest_tokens) {
    tokens[token] = scope == "admin" ? rest::Scope::kAdmin : rest::Scope::kRead;
  }
  if (!tokens.empty()) return tokens;
  const std::filesystem::path dir = config.data_dir;
  std::error_code failed;
  std::filesystem::create_directories(dir, failed);
  if (failed) {
    return cep::Unexpected(cep::Unavailable("cannot create data_dir '" + dir.string() + "': " + failed.message()));
  }
  const std::filesystem::path file = dir / "api-token";
  const std::string token = rest::TokenAuth::GenerateToken();
  {
    std::ofstream out(file, std::ios::trunc);
    out << token << "\n";
    if (!out) return cep::Unexpected(cep::Unavailable("cannot write " + file.string()));
  }
  ::chmod(file.c_str(), 0600);
  tokens[token] = rest::Scope::kAdmin;
  generated = true;
  return tokens;
}

rest::HttpResponse StatusResponse(const cep::Status& status) {
  int http = 500;
  std::string code = "internal";
  switch (status.code()) {
    case cep::StatusCode::kInvalidArgument: http = 400; code = "invalid_argument"; break;
    case cep::StatusCode::kNotFound: http = 404; code = "not_found"; break;
    case cep::StatusCode::kFailedPrecondition: http = 409; code = "failed_precondition"; break;
    case cep::StatusCode::kAlreadyExists: http = 409; code = "already_exists"; break;
    case cep::StatusCode::kResourceExhausted: http = 429; code = "too_many_requests"; break;
    case cep::StatusCode::kDeadlineExceeded: http = 504; code = "timeout"; break;
    case cep::StatusCode::kUnavailable: http = 503; code = "unavailable"; break;
    default: break;
  }
  return rest::ErrorResponse(http, code, status.message());
}

JsonBody ParseJsonBody(const rest::HttpRequest& request) {
  JsonBody body;
  const std::string_view type = request.content_type();
  if (type != "application/json" && !(type.empty() && !request.body.empty())) {
    body.error = rest::ErrorResponse(415, "unsupported_media_type",
                                     "send Content-Type: application/json");
    return body;
  }
  // Deep nesting is refused before it reaches the parser's recursion.
  size_t depth = 0;
  size_t deepest = 0;
  for (char c : request.body) {
    if (c == '{' || c == '[') deepest = std::max(deepest, ++depth);
    if ((c == '}' || c == ']') && depth > 0) --depth;
  }
  if (deepest > 64) {
    body.error = rest::ErrorResponse(400, "bad_json", "JSON nested deeper than 64 levels");
    return body;
  }
  try {
    body.value = nlohmann::json::parse(request.body);
  } catch (const nlohmann::json::exception& e) {
    body.error = rest::ErrorResponse(400, "bad_json", std::string("the body is not JSON: ") + e.what());
  }
  return body;
}

bool IsUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t extra = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;  // cut short
    for (size_t k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (next & 0x3F);
    }
    // Overlong forms, surrogates and code points past U+10FFFF.
    if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

}  // namespace api::server
