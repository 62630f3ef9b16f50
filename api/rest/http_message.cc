#include "api/rest/http_message.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace api::rest {
namespace {

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return Lower(x) == Lower(y); });
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes `in` into `out`; '+' becomes a space when `plus_is_space` (query).
bool Decode(std::string_view in, bool plus_is_space, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;  // needs two hex digits
      const int hi = HexValue(in[i + 1]);
      const int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string_view ScopeName(Scope scope) {
  switch (scope) {
    case Scope::kNone: return "none";
    case Scope::kRead: return "read";
    case Scope::kAdmin: return "admin";
  }
  return "?";
}

std::string_view HttpRequest::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return {};
}

std::string_view HttpRequest::content_type() const {
  std::string_view value = header("content-type");
  value = Trim(value.substr(0, value.find(';')));
  if (std::none_of(value.begin(), value.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
    return value;
  }
  content_type_lower_.assign(value);
  std::transform(content_type_lower_.begin(), content_type_lower_.end(),
                 content_type_lower_.begin(), Lower);
  return content_type_lower_;
}

cep::Status SetTarget(HttpRequest& request, std::string_view target) {
  if (target.empty() || target.front() != '/') {
    return cep::InvalidArgument("request target must start with '/'");
  }
  const size_t question = target.find('?');
  std::string path;
  if (!Decode(target.substr(0, question), /*plus_is_space=*/false, path)) {
    return cep::InvalidArgument("bad percent escape in the request path");
  }
  std::map<std::string, std::string> query;
  if (question != std::string_view::npos) {
    std::string_view rest = target.substr(question + 1);
    rest = rest.substr(0, rest.find('#'));
    while (!rest.empty()) {
      const size_t amp = rest.find('&');
      const std::string_view pair = rest.substr(0, amp);
      rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
      if (pair.empty()) continue;
      const size_t eq = pair.find('=');
      std::string key, value;
      if (!Decode(pair.substr(0, eq), true, key) ||
          (eq != std::string_view::npos && !Decode(pair.substr(eq + 1), true, value))) {
        return cep::InvalidArgument("bad percent escape in the query string");
      }
      query[std::move(key)] = std::move(value);
    }
  }
  request.target.assign(target);
  request.path = std::move(path);
  request.query = std::move(query);
  return cep::Status::Ok();
}

bool SplitPath(std::string_view raw_path, std::vector<std::string>& segments) {
  segments.clear();
  while (!raw_path.empty()) {
    const size_t slash = raw_path.find('/');
    const std::string_view raw = raw_path.substr(0, slash);
    raw_path = slash == std::string_view::npos ? std::string_view() : raw_path.substr(slash + 1);
    if (raw.empty()) continue;
    std::string decoded;
    if (!Decode(raw, /*plus_is_space=*/false, decoded)) return false;
    segments.push_back(std::move(decoded));
  }
  return true;
}

std::string_view HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return value;
  }
  return {};
}

HttpResponse ErrorResponse(int status, std::string_view code, std::string_view message) {
  return ErrorResponse(status, code, message, nlohmann::json::array());
}

HttpResponse ErrorResponse(int status, std::string_view code, std::string_view message,
                           const nlohmann::json& details) {
  nlohmann::json body = {{"error", {{"code", code}, {"message", message}, {"details", details}}}};
  return JsonResponse(status, body);
}

HttpResponse JsonResponse(int status, const nlohmann::json& body) {
  HttpResponse response;
  response.status = status;
  // Replace invalid UTF-8 (e.g. echoed rule text) rather than throwing.
  response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

HttpResponse TextResponse(int status, std::string body, std::string content_type) {
  HttpResponse response;
  response.status = status;
  response.content_type = std::move(content_type);
  response.body = std::move(body);
  return response;
}

}  // namespace api::rest
