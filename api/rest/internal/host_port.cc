#include "api/rest/internal/host_port.h"

#include <charconv>

namespace api::rest::internal {

cep::Result<HostPort> ParseHostPort(std::string_view text, bool allow_port_zero) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return cep::InvalidArgument("expected host:port, got '" + std::string(text) + "'");
  }
  std::string_view host = text.substr(0, colon);
  const std::string_view port = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return cep::InvalidArgument("expected host:port (IPv6 hosts in brackets: [::1]:8080), got '" +
                                std::string(text) + "'");
  }
  if (host.empty()) {
    return cep::InvalidArgument("expected host:port, the host is missing in '" +
                                std::string(text) + "'");
  }
  unsigned value = 0;
  auto [rest, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || rest != port.data() + port.size() || value > 65535 ||
      (value == 0 && !allow_port_zero)) {
    return cep::InvalidArgument(std::string("expected a port ") + (allow_port_zero ? "0" : "1") +
                                "..65535 after the colon, got '" + std::string(text) + "'");
  }
  return HostPort{std::string(host), static_cast<uint16_t>(value)};
}

std::string FormatHostPort(std::string_view host, uint16_t port) {
  std::string out;
  if (host.find(':') != std::string_view::npos) {
    out.append("[").append(host).append("]");
  } else {
    out.append(host);
  }
  return out + ":" + std::to_string(port);
}

}  // namespace api::rest::internal
