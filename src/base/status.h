// Status and Result<T>: how every layer reports failure without exceptions.
//
// A Status is either OK (cheap: a null pointer) or carries a code and a message written for a
// user. Result<T> holds a T or a non-OK Status. Codes map to exit codes (see ExitCode) and,
// later, to HTTP statuses. Thread-compatible value types.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace perfledger::base {

enum class StatusCode {
  kOk = 0,
  kInvalidInput,  // bad usage or bad input: the user can fix it (exit 2)
  kNotFound,      // a named thing does not exist (exit 2)
  kConflict,      // the input contradicts what is stored (exit 2)
  kIoError,       // the OS refused a file or process operation (exit 1)
  kBusy,          // a resource stayed locked longer than the bounded wait (exit 1)
  kInternal,      // a bug or an unexpected library failure (exit 1)
};

std::string_view StatusCodeName(StatusCode code);

// Where in the input a failure is, when it is somewhere: what callers need without reading it
// out of the message (the API's "pointer" field, an editor's line:column).
struct Location {
  std::string source;   // the file, "stdin", "request body"
  std::string pointer;  // a JSON pointer ("" for the root, or none known)
  int line = 0;         // 1-based; 0 when unknown
  int column = 0;       // 1-based; 0 when unknown
  bool has_pointer = false;
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message);
  Status(const Status& other);
  Status& operator=(const Status& other);
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;

  static Status Ok() { return Status(); }

  bool ok() const { return rep_ == nullptr; }
  StatusCode code() const { return rep_ ? rep_->code : StatusCode::kOk; }
  const std::string& message() const;
  // "code: message", for logs and test failures.
  std::string ToString() const;

  // Returns a copy whose message is "prefix: message"; OK stays OK.
  Status WithPrefix(std::string_view prefix) const;

  // The structured location, when the failure has one (null when OK or unknown).
  const Location* location() const { return rep_ && rep_->location ? &*rep_->location : nullptr; }
  // A copy carrying `location`; the message is unchanged. OK stays OK.
  Status WithLocation(Location location) const;

 private:
  struct Rep {
    StatusCode code;
    std::string message;
    std::optional<Location> location;
  };
  std::unique_ptr<Rep> rep_;
};

Status InvalidInput(std::string message);
Status NotFound(std::string message);
Status Conflict(std::string message);
Status IoError(std::string message);
Status Busy(std::string message);
Status Internal(std::string message);

// The process exit code for a status: 0 ok, 1 error, 2 bad usage or bad input.
int ExitCode(const Status& status);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT: must not be OK

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace perfledger::base

#define PL_CONCAT_INNER_(a, b) a##b
#define PL_CONCAT_(a, b) PL_CONCAT_INNER_(a, b)

// Returns the status from the enclosing function when `expr` is not OK.
#define RETURN_IF_ERROR(expr)                       \
  do {                                              \
    ::perfledger::base::Status pl_status_ = (expr); \
    if (!pl_status_.ok()) return pl_status_;        \
  } while (false)

// `ASSIGN_OR_RETURN(auto x, MakeX());` declares x from a Result or returns its status.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(PL_CONCAT_(pl_result_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                           \
  if (!tmp.ok()) return tmp.status();          \
  lhs = std::move(tmp).value()
