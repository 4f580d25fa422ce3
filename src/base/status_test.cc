#include "base/status.h"

#include <gtest/gtest.h>

namespace perfledger::base {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return InvalidInput("odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int h, Half(x));
  ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Status CheckEven(int x) {
  RETURN_IF_ERROR(Half(x).status());
  return Status::Ok();
}

TEST(StatusTest, OkIsDefaultAndCarriesNoMessage) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.message(), "");
  EXPECT_EQ(ExitCode(s), 0);
}

TEST(StatusTest, ErrorsMapToExitCodes) {
  EXPECT_EQ(ExitCode(InvalidInput("x")), 2);
  EXPECT_EQ(ExitCode(NotFound("x")), 2);
  EXPECT_EQ(ExitCode(Conflict("x")), 2);
  EXPECT_EQ(ExitCode(IoError("x")), 1);
  EXPECT_EQ(ExitCode(Busy("x")), 1);
  EXPECT_EQ(ExitCode(Internal("x")), 1);
}

TEST(StatusTest, CopyKeepsCodeAndMessage) {
  Status a = Conflict("run 1 differs");
  Status b = a;
  EXPECT_EQ(b.code(), StatusCode::kConflict);
  EXPECT_EQ(b.message(), "run 1 differs");
  EXPECT_EQ(a.WithPrefix("f.json").message(), "f.json: run 1 differs");
  EXPECT_TRUE(Status().WithPrefix("f.json").ok());
}

TEST(ResultTest, MacrosPropagateTheFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  auto r = Quarter(6);  // 6/2 = 3 is odd
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "odd");
  EXPECT_TRUE(CheckEven(4).ok());
  EXPECT_EQ(CheckEven(3).code(), StatusCode::kInvalidInput);
}

}  // namespace
}  // namespace perfledger::base
