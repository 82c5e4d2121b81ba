#include "exec/event_time.h"

#include <cmath>

#include "common/format.h"

namespace sluice::exec {

bool EventTimeOf(const plan::EventTimeConfig& cfg, const Column& col, size_t row, int64_t* ts,
                 std::string* problem) {
  if (col.IsNull(row)) {
    *problem = "the event-time attribute is NULL";
    return false;
  }
  DataType t = col.type();
  switch (t.physical()) {
    case PhysicalType::kInt64: {
      int64_t v = col.ints()[row];
      if (t.id == TypeId::kDecimal) v /= Pow10(t.scale);
      *ts = (cfg.format == plan::TimeFormat::kEpochSeconds && t.id != TypeId::kTimestamp) ? v * 1000
                                                                                          : v;
      return true;
    }
    case PhysicalType::kDouble: {
      double v = col.doubles()[row];
      *ts =
          cfg.format == plan::TimeFormat::kEpochSeconds ? std::llround(v * 1000) : std::llround(v);
      return true;
    }
    case PhysicalType::kString: {
      std::string_view s = col.strings()[row].view();
      bool ok = false;
      switch (cfg.format) {
        case plan::TimeFormat::kIso8601:
          ok = ParseIso8601(s, ts);
          break;
        case plan::TimeFormat::kPattern:
          ok = ParseTimePattern(s, cfg.pattern, ts);
          break;
        case plan::TimeFormat::kEpochMillis:
          ok = ParseInt64(s, ts);
          break;
        case plan::TimeFormat::kEpochSeconds:
          ok = ParseInt64(s, ts);
          *ts *= 1000;
          break;
      }
      if (!ok) *problem = "cannot read the event time from '" + std::string(s) + "'";
      return ok;
    }
  }
  return false;
}

}  // namespace sluice::exec
