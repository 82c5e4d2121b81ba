#include "sluice/status.h"

namespace sluice {

Status::Status(StatusCode code, std::string message) {
  if (code != StatusCode::kOk) state_ = std::make_unique<State>(State{code, std::move(message)});
}

Status::Status(const Status& other)
    : state_(other.state_ ? std::make_unique<State>(*other.state_) : nullptr) {}

Status& Status::operator=(const Status& other) {
  if (this != &other) state_ = other.state_ ? std::make_unique<State>(*other.state_) : nullptr;
  return *this;
}

const std::string& Status::message() const {
  static const std::string kEmpty;
  return state_ ? state_->message : kEmpty;
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  const char* name = "error";
  switch (state_->code) {
    case StatusCode::kInvalidArgument:
      name = "invalid";
      break;
    case StatusCode::kNotSupported:
      name = "not supported";
      break;
    case StatusCode::kNotFound:
      name = "not found";
      break;
    case StatusCode::kIoError:
      name = "I/O error";
      break;
    case StatusCode::kRuntimeError:
      name = "runtime error";
      break;
    case StatusCode::kCancelled:
      name = "cancelled";
      break;
    case StatusCode::kInternal:
      name = "internal error";
      break;
    case StatusCode::kOk:
      break;
  }
  return std::string(name) + ": " + state_->message;
}

}  // namespace sluice
