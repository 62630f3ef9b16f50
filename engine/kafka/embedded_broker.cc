#include "engine/kafka/embedded_broker.h"

// rdkafka_util.h brings rdkafka.h, which rdkafka_mock.h needs first.
#include "engine/kafka/rdkafka_util.h"

#include <librdkafka/rdkafka_mock.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <memory>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

namespace engine::kafka {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// librdkafka 2.0.2's mock cluster creates auto-created topics with this many
// partitions (mcluster->defaults.partition_cnt); no API changes it.
constexpr int kMockAutoCreatePartitions = 4;

// One client connection through the forwarding port: bytes both ways between
// the client and the first mock broker until either side closes.
class ForwardedConnection : public std::enable_shared_from_this<ForwardedConnection> {
 public:
  ForwardedConnection(tcp::socket client, asio::io_context& io)
      : client_(std::move(client)), upstream_(io) {}

  void Start(const tcp::endpoint& upstream) {
    upstream_.async_connect(upstream, [self = shared_from_this()](boost::system::error_code ec) {
      if (ec) {
        spdlog::warn("embedded broker: forwarding port cannot reach the mock broker: {}",
                     ec.message());
        self->Close();
        return;
      }
      self->Pump(self->client_, self->upstream_, self->to_upstream_);
      self->Pump(self->upstream_, self->client_, self->to_client_);
    });
  }

 private:
  using Buffer = std::array<char, 64 * 1024>;

  void Pump(tcp::socket& from, tcp::socket& to, Buffer& buffer) {
    from.async_read_some(
        asio::buffer(buffer),
        [self = shared_from_this(), &from, &to, &buffer](boost::system::error_code ec, size_t n) {
          if (ec) {
            self->Close();
            return;
          }
          asio::async_write(to, asio::buffer(buffer.data(), n),
                            [self, &from, &to, &buffer](boost::system::error_code write_ec, size_t) {
                              if (write_ec) {
                                self->Close();
                                return;
                              }
                              self->Pump(from, to, buffer);
                            });
        });
  }

  void Close() {
    boost::system::error_code ignored;
    client_.close(ignored);
    upstream_.close(ignored);
  }

  tcp::socket client_;
  tcp::socket upstream_;
  Buffer to_upstream_{};
  Buffer to_client_{};
};

// Listens on 127.0.0.1:port and forwards every connection to `upstream`, on one
// thread of its own. The mock cluster cannot listen on a chosen port.
class Forwarder {
 public:
  static cep::Result<std::unique_ptr<Forwarder>> Start(uint16_t port, const tcp::endpoint& upstream) {
    auto forwarder = std::unique_ptr<Forwarder>(new Forwarder(upstream));
    const tcp::endpoint local(asio::ip::address_v4::loopback(), port);
    boost::system::error_code ec;
    tcp::acceptor& acceptor = forwarder->acceptor_;
    acceptor.open(local.protocol(), ec);
    if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor.bind(local, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return cep::Unavailable("cannot listen on 127.0.0.1:" + std::to_string(port) + ": " +
                              ec.message());
    }
    forwarder->Accept();
    forwarder->thread_ = std::thread([f = forwarder.get()] { f->io_.run(); });
    return forwarder;
  }

  ~Forwarder() {
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

 private:
  explicit Forwarder(tcp::endpoint upstream) : acceptor_(io_), upstream_(std::move(upstream)) {}

  void Accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket client) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) std::make_shared<ForwardedConnection>(std::move(client), io_)->Start(upstream_);
      Accept();
    });
  }

  asio::io_context io_;  // first: destroyed last, after the sockets that use it
  tcp::acceptor acceptor_;
  tcp::endpoint upstream_;
  std::thread thread_;
};

// "127.0.0.1:PORT" of the first entry of a comma-separated broker list.
cep::Result<tcp::endpoint> FirstEndpoint(const std::string& brokers) {
  const std::string first = brokers.substr(0, brokers.find(','));
  const size_t colon = first.rfind(':');
  uint16_t port = 0;
  if (colon == std::string::npos ||
      std::from_chars(first.data() + colon + 1, first.data() + first.size(), port).ec !=
          std::errc()) {
    return cep::Internal("unexpected mock broker address '" + first + "'");
  }
  boost::system::error_code ec;
  const asio::ip::address address = asio::ip::make_address(first.substr(0, colon), ec);
  if (ec) return cep::Internal("unexpected mock broker address '" + first + "'");
  return tcp::endpoint(address, port);
}

}  // namespace

struct EmbeddedBroker::Impl {
  ~Impl() {
    forwarder.reset();  // no new connections into a cluster going away
    if (cluster != nullptr) rd_kafka_mock_cluster_destroy(cluster);
    if (host != nullptr) rd_kafka_destroy(host);
  }

  rd_kafka_t* host = nullptr;  // the handle the cluster lives in; never connects
  rd_kafka_mock_cluster_t* cluster = nullptr;
  int brokers = 1;
  std::string broker_list;
  std::string bootstrap;
  std::unique_ptr<Forwarder> forwarder;
};

EmbeddedBroker::EmbeddedBroker(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EmbeddedBroker::~EmbeddedBroker() = default;

cep::Result<std::unique_ptr<EmbeddedBroker>> EmbeddedBroker::Start(const Options& options) {
  if (options.brokers < 1) {
    return cep::InvalidArgument("embedded broker: brokers must be at least 1, not " +
                                std::to_string(options.brokers));
  }
  if (options.default_partitions != kMockAutoCreatePartitions) {
    return cep::InvalidArgument(
        "embedded broker: auto-created topics always get 4 partitions with librdkafka " +
        std::string(rd_kafka_version_str()) +
        "'s mock cluster; create topics with other partition counts explicitly");
  }
  auto impl = std::make_unique<Impl>();
  impl->brokers = options.brokers;
  internal::ConfPtr conf = internal::NewConf();
  // The host handle has no bootstrap.servers on purpose: hide its notice saying so.
  RETURN_IF_ERROR(internal::Set(conf.get(), "log_level", "4"));
  RETURN_IF_ERROR(internal::Set(conf.get(), "client.id", "cep-embedded-broker"));
  char error[512] = {};
  impl->host = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), error, sizeof error);
  if (impl->host == nullptr) {
    return cep::Unavailable(std::string("embedded broker: cannot create its host handle: ") +
                            error);
  }
  conf.release();  // rd_kafka_new took it
  impl->cluster = rd_kafka_mock_cluster_new(impl->host, options.brokers);
  if (impl->cluster == nullptr) {
    return cep::Unavailable("embedded broker: librdkafka's mock cluster did not start");
  }
  impl->broker_list = rd_kafka_mock_cluster_bootstraps(impl->cluster);
  ASSIGN_OR_RETURN(const tcp::endpoint first, FirstEndpoint(impl->broker_list));
  impl->bootstrap = impl->broker_list.substr(0, impl->broker_list.find(','));
  if (options.port != 0) {
    ASSIGN_OR_RETURN(impl->forwarder, Forwarder::Start(options.port, first));
    impl->bootstrap = "127.0.0.1:" + std::to_string(options.port);
  }
  spdlog::debug("embedded broker: {} mock broker(s) at {}, bootstrap {}", options.brokers,
                impl->broker_list, impl->bootstrap);
  return std::unique_ptr<EmbeddedBroker>(new EmbeddedBroker(std::move(impl)));
}

const std::string& EmbeddedBroker::bootstrap() const { return impl_->bootstrap; }
const std::string& EmbeddedBroker::brokers() const { return impl_->broker_list; }

cep::Status EmbeddedBroker::CreateTopic(const std::string& name, int partitions) {
  if (name.empty()) return cep::InvalidArgument("embedded broker: empty topic name");
  if (partitions < 1) {
    return cep::InvalidArgument("embedded broker: topic '" + name +
                                "' needs at least 1 partition, not " + std::to_string(partitions));
  }
  const rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(
      impl_->cluster, name.c_str(), partitions, std::min(impl_->brokers, 3));
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
    return cep::Status::Ok();
  }
  return internal::ErrorStatus(err, "embedded broker: creating topic '" + name + "'");
}

}  // namespace engine::kafka
