#include "base/status.h"

#include <fmt/format.h>

namespace perfledger::base {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "ok";
    case StatusCode::kInvalidInput:
      return "invalid input";
    case StatusCode::kNotFound:
      return "not found";
    case StatusCode::kConflict:
      return "conflict";
    case StatusCode::kIoError:
      return "i/o error";
    case StatusCode::kBusy:
      return "busy";
    case StatusCode::kInternal:
      return "internal error";
  }
  return "unknown";
}

Status::Status(StatusCode code, std::string message) {
  if (code != StatusCode::kOk) {
    rep_ = std::make_unique<Rep>(Rep{code, std::move(message), std::nullopt});
  }
}

Status::Status(const Status& other)
    : rep_(other.rep_ ? std::make_unique<Rep>(*other.rep_) : nullptr) {}

Status& Status::operator=(const Status& other) {
  if (this != &other) rep_ = other.rep_ ? std::make_unique<Rep>(*other.rep_) : nullptr;
  return *this;
}

const std::string& Status::message() const {
  static const std::string kEmpty;
  return rep_ ? rep_->message : kEmpty;
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  return fmt::format("{}: {}", StatusCodeName(rep_->code), rep_->message);
}

Status Status::WithPrefix(std::string_view prefix) const {
  if (ok()) return Status();
  return Status(rep_->code, fmt::format("{}: {}", prefix, rep_->message));
}

Status Status::WithLocation(Location location) const {
  if (ok()) return Status();
  Status out(*this);
  out.rep_->location = std::move(location);
  return out;
}

Status InvalidInput(std::string message) {
  return Status(StatusCode::kInvalidInput, std::move(message));
}
Status NotFound(std::string message) { return Status(StatusCode::kNotFound, std::move(message)); }
Status Conflict(std::string message) { return Status(StatusCode::kConflict, std::move(message)); }
Status IoError(std::string message) { return Status(StatusCode::kIoError, std::move(message)); }
Status Busy(std::string message) { return Status(StatusCode::kBusy, std::move(message)); }
Status Internal(std::string message) { return Status(StatusCode::kInternal, std::move(message)); }

int ExitCode(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return 0;
    case StatusCode::kInvalidInput:
    case StatusCode::kNotFound:
    case StatusCode::kConflict:
      return 2;
    case StatusCode::kIoError:
    case StatusCode::kBusy:
    case StatusCode::kInternal:
      return 1;
  }
  return 1;
}

}  // namespace perfledger::base
