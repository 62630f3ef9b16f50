#include "cep/base/status.h"

#include <gtest/gtest.h>

namespace cep {
namespace {

Status FailIf(bool fail) { return fail ? InvalidArgument("bad amount") : Status::Ok(); }

Status Chain(bool fail) {
  RETURN_IF_ERROR(FailIf(fail));
  return NotFound("reached the end");
}

TEST(StatusTest, DefaultIsOk) {
  Status status;
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(status.ToString(), "OK");
}

TEST(StatusTest, CarriesCodeAndMessage) {
  Status status = InvalidArgument("amount is negative");
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.ToString(), "INVALID_ARGUMENT: amount is negative");
}

TEST(StatusTest, OnlyBrokerAndDeadlineFailuresAreRetryable) {
  EXPECT_TRUE(Unavailable("broker down").IsRetryable());
  EXPECT_TRUE(Status(StatusCode::kDeadlineExceeded, "slow").IsRetryable());
  EXPECT_FALSE(InvalidArgument("typo").IsRetryable());
  EXPECT_FALSE(DataLoss("corrupt").IsRetryable());
}

TEST(StatusTest, WithContextPrefixesFailuresOnly) {
  EXPECT_EQ(InvalidArgument("bad").WithContext("line 3").message(), "line 3: bad");
  EXPECT_TRUE(Status::Ok().WithContext("line 3").ok());
}

TEST(StatusTest, ReturnIfErrorStopsAtTheFirstFailure) {
  EXPECT_EQ(Chain(true).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Chain(false).code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace cep
