#include "tests/engine/kafka/kafka_test_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace engine::kafka::testing {

using Clock = std::chrono::steady_clock;

std::vector<OwnedRecord> ConsumeAtLeast(Consumer& consumer, size_t want, bool until_end,
                                        std::chrono::milliseconds limit) {
  std::vector<OwnedRecord> out;
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (out.size() >= want && (!until_end || consumer.AtEndOfAllAssigned())) break;
    auto batch = consumer.Poll(64, std::chrono::milliseconds(100));
    if (!batch) {
      ADD_FAILURE() << batch.error().ToString();
      break;
    }
    for (const Record& r : *batch) {
      OwnedRecord& owned = out.emplace_back();
      owned.topic = r.topic;
      owned.partition = r.partition;
      owned.offset = r.offset;
      owned.key = r.key;
      owned.value = r.value;
      owned.timestamp_ms = r.timestamp_ms;
      for (const Header& h : r.headers) owned.headers.emplace_back(h.name, h.value);
    }
  }
  return out;
}

bool WaitForAssignment(Consumer& consumer, size_t partitions, std::chrono::milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (consumer.assignment().size() == partitions) return true;
    auto batch = consumer.Poll(16, std::chrono::milliseconds(100));
    if (!batch) {
      ADD_FAILURE() << batch.error().ToString();
      return false;
    }
  }
  return consumer.assignment().size() == partitions;
}

uint16_t FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  close(fd);
  return ntohs(address.sin_port);
}

}  // namespace engine::kafka::testing
