// HTTPS: the server with a certificate made at test time (OpenSSL APIs, a temp dir), and
// the client with and without verification.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/rest/http_client.h"
#include "api/rest/http_server.h"
#include "tests/api/rest/raw_connection.h"
#include "tests/api/rest/test_routes.h"

namespace api::rest {
namespace {

namespace fs = std::filesystem;

struct PemFiles {
  fs::path cert;
  fs::path key;
};

bool AddExtension(X509* cert, int nid, const char* value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
  if (extension == nullptr) return false;
  const bool ok = X509_add_ext(cert, extension, -1) == 1;
  X509_EXTENSION_free(extension);
  return ok;
}

// A self-signed P-256 certificate for `san` (by default 127.0.0.1 and localhost), valid
// for a day, written as PEM to `dir`/`name`.crt and `dir`/`name`.key.
PemFiles MakeSelfSigned(const fs::path& dir, const std::string& name,
                        const char* san = "IP:127.0.0.1,DNS:localhost") {
  PemFiles files{dir / (name + ".crt"), dir / (name + ".key")};
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  if (!key || !cert) return {};
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* subject = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), subject);
  if (!AddExtension(cert.get(), NID_basic_constraints, "critical,CA:TRUE") ||
      !AddExtension(cert.get(), NID_subject_key_identifier, "hash") ||
      !AddExtension(cert.get(), NID_subject_alt_name, san) ||
      X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    return {};
  }
  FILE* cert_file = std::fopen(files.cert.c_str(), "w");
  FILE* key_file = std::fopen(files.key.c_str(), "w");
  const bool written = cert_file != nullptr && key_file != nullptr &&
                       PEM_write_X509(cert_file, cert.get()) == 1 &&
                       PEM_write_PrivateKey(key_file, key.get(), nullptr, nullptr, 0, nullptr,
                                            nullptr) == 1;
  if (cert_file != nullptr) std::fclose(cert_file);
  if (key_file != nullptr) std::fclose(key_file);
  return written ? files : PemFiles{};
}

class HttpTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cep_rest_tls_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    server_pem_ = MakeSelfSigned(dir_, "server");
    other_pem_ = MakeSelfSigned(dir_, "other");
    ASSERT_FALSE(server_pem_.cert.empty());
    ASSERT_FALSE(other_pem_.cert.empty());
    HttpServerOptions options;
    options.address = "127.0.0.1:0";
    options.tls_cert_file = server_pem_.cert;
    options.tls_key_file = server_pem_.key;
    auto server = HttpServer::Start(options, testing::MakeTestRouter());
    ASSERT_TRUE(server.has_value()) << server.error().ToString();
    server_ = std::move(server).value();
  }
  void TearDown() override {
    server_.reset();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  HttpClientOptions ClientOptions() const {
    HttpClientOptions options;
    options.base_url = server_->url();
    options.token = testing::kReadToken;
    options.timeout = std::chrono::seconds(20);
    return options;
  }

  fs::path dir_;
  PemFiles server_pem_, other_pem_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpTlsTest, InsecureClientRoundTrip) {
  EXPECT_EQ(server_->url().substr(0, 8), "https://");
  HttpClientOptions options = ClientOptions();
  options.insecure = true;
  auto response = HttpClient(options).Call("POST", "/v1/echo", std::string(100 * 1024, 'z'));
  ASSERT_TRUE(response.has_value()) << response.error().ToString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(nlohmann::json::parse(response->body)["size"], 100 * 1024);
}

TEST_F(HttpTlsTest, VerifiedClientRoundTripWithCaFile) {
  HttpClientOptions options = ClientOptions();
  options.ca_file = server_pem_.cert;
  auto response = HttpClient(options).Call("GET", "/v1/echo/secure");
  ASSERT_TRUE(response.has_value()) << response.error().ToString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(nlohmann::json::parse(response->body)["name"], "secure");
  // Errors come back over TLS too.
  auto unauthorized = HttpClient(options).Call("POST", "/v1/admin", "{}");
  ASSERT_TRUE(unauthorized.has_value());
  EXPECT_EQ(unauthorized->status, 403);
}

TEST_F(HttpTlsTest, UntrustedCertificateFailsVerification) {
  HttpClientOptions options = ClientOptions();
  options.ca_file = other_pem_.cert;
  auto response = HttpClient(options).Call("GET", "/healthz");
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code(), cep::StatusCode::kUnavailable);
  EXPECT_NE(response.error().message().find("TLS handshake"), std::string::npos)
      << response.error().message();
}

TEST_F(HttpTlsTest, CertificateForAnotherNameFailsVerification) {
  const PemFiles elsewhere = MakeSelfSigned(dir_, "elsewhere", "DNS:example.invalid");
  HttpServerOptions options;
  options.address = "127.0.0.1:0";
  options.tls_cert_file = elsewhere.cert;
  options.tls_key_file = elsewhere.key;
  auto server = HttpServer::Start(options, testing::MakeTestRouter());
  ASSERT_TRUE(server.has_value()) << server.error().ToString();
  HttpClientOptions client_options = ClientOptions();
  client_options.base_url = (*server)->url();
  client_options.ca_file = elsewhere.cert;  // trusted, but not for 127.0.0.1
  auto response = HttpClient(client_options).Call("GET", "/healthz");
  ASSERT_FALSE(response.has_value());
  EXPECT_NE(response.error().message().find("TLS handshake"), std::string::npos)
      << response.error().message();
  client_options.insecure = true;
  auto insecure = HttpClient(client_options).Call("GET", "/healthz");
  ASSERT_TRUE(insecure.has_value()) << insecure.error().ToString();
  EXPECT_EQ(insecure->status, 200);
}

TEST_F(HttpTlsTest, PlainHttpToTheTlsPortGetsNoResponse) {
  testing::RawConnection connection(server_->port());
  ASSERT_TRUE(connection.Send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"));
  EXPECT_FALSE(connection.ReadResponse().has_value());
}

TEST(HttpTlsStartTest, MissingCertificateIsAClearError) {
  HttpServerOptions options;
  options.address = "127.0.0.1:0";
  options.tls_cert_file = "/nonexistent/cert.pem";
  options.tls_key_file = "/nonexistent/key.pem";
  auto server = HttpServer::Start(options, testing::MakeTestRouter());
  ASSERT_FALSE(server.has_value());
  EXPECT_EQ(server.error().code(), cep::StatusCode::kInvalidArgument);
  EXPECT_NE(server.error().message().find("/nonexistent/cert.pem"), std::string::npos);

  options.tls_key_file.clear();
  auto half = HttpServer::Start(options, testing::MakeTestRouter());
  ASSERT_FALSE(half.has_value());
  EXPECT_NE(half.error().message().find("both"), std::string::npos);
}

TEST(HttpTlsStartTest, MismatchedKeyIsAClearError) {
  const fs::path dir = fs::temp_directory_path() / ("cep_rest_tls_mm_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const PemFiles a = MakeSelfSigned(dir, "a");
  const PemFiles b = MakeSelfSigned(dir, "b");
  HttpServerOptions options;
  options.address = "127.0.0.1:0";
  options.tls_cert_file = a.cert;
  options.tls_key_file = b.key;
  auto server = HttpServer::Start(options, testing::MakeTestRouter());
  ASSERT_FALSE(server.has_value());
  EXPECT_EQ(server.error().code(), cep::StatusCode::kInvalidArgument);
  std::error_code ignored;
  fs::remove_all(dir, ignored);
}

}  // namespace
}  // namespace api::rest
