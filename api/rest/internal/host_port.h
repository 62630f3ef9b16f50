#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cep/base/result.h"

namespace api::rest::internal {

// "host:port" or "[v6]:port", split like the service config checks it
// (api/config/config_loader.cc). The host keeps no brackets.
struct HostPort {
  std::string host;
  uint16_t port = 0;
};
cep::Result<HostPort> ParseHostPort(std::string_view text, bool allow_port_zero);

// "host:port", bracketing an IPv6 host: "[::1]:8080".
std::string FormatHostPort(std::string_view host, uint16_t port);

}  // namespace api::rest::internal
