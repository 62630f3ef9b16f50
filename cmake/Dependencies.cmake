# Every third-party dependency comes from a Debian 12 package installed by
# scripts/install-deps.sh. Minimum versions are the ones Debian 12 ships; they are
# what CI and the container image build against.
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)

find_package(Boost 1.74 REQUIRED)                 # Beast + Asio, header-only
find_package(OpenSSL 3.0 REQUIRED)
find_package(ZLIB 1.2.13 REQUIRED)
find_package(Protobuf 3.21 REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)
find_package(CLI11 2.1 REQUIRED)
find_package(yaml-cpp 0.7 REQUIRED)              # service config; imported target yaml-cpp
find_package(fmt 9.1 REQUIRED)
find_package(spdlog 1.10 REQUIRED)
find_package(RocksDB 7.8 CONFIG REQUIRED)         # use RocksDB::rocksdb-shared
pkg_check_modules(HYPERSCAN REQUIRED IMPORTED_TARGET libhs>=5.4)
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka>=2.0.2)
pkg_check_modules(RDKAFKAXX REQUIRED IMPORTED_TARGET rdkafka++>=2.0.2)

find_path(RDKAFKA_MOCK_INCLUDE_DIR librdkafka/rdkafka_mock.h REQUIRED)

if(CEP_BUILD_TESTS)
  find_package(GTest 1.12 REQUIRED)
endif()
if(CEP_BUILD_BENCHMARKS)
  find_package(benchmark 1.7 REQUIRED)
endif()
