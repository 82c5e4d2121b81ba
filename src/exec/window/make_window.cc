// MakeWindow: the window kind of a plan, each made in its own file of exec/window/.
#include "exec/window/window_kinds.h"

namespace sluice::exec {

std::unique_ptr<Window> MakeWindow(const plan::WindowPlan& p, const Schema& s,
                                   bool emit_on_arrival) {
  using K = plan::WindowPlan::Kind;
  switch (p.kind) {
    case K::kLength:
      return MakeLengthWindow(p, s);
    case K::kLengthBatch:
      return MakeLengthBatchWindow(p, s, emit_on_arrival);
    case K::kTime:
    case K::kTimeLength:
    case K::kDelay:
      return MakeTimeWindow(p, s);
    case K::kTimeBatch:
    case K::kExternalTimeBatch:
      return MakeTimeBatchWindow(p, s, emit_on_arrival);
    case K::kExternalTime:
      return MakeExternalTimeWindow(p, s);
    case K::kSliding:
      return MakeSlidingWindow(p, s);
    case K::kSession:
      return MakeSessionWindow(p, s, emit_on_arrival);
    case K::kSort:
      return MakeSortWindow(p, s);
    case K::kUnique:
    case K::kFirstUnique:
      return MakeUniqueWindow(p, s);
    case K::kFrequent:
      return MakeFrequentWindow(p, s);
    case K::kLossyFrequent:
      return MakeLossyFrequentWindow(p, s);
    case K::kExpression:
      return MakeExpressionWindow(p, s);
  }
  return nullptr;
}

}  // namespace sluice::exec
