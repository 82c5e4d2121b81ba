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
      bool seconds = cfg.format == plan::TimeFormat::kEpochSeconds && t.id != TypeId::kTimestamp;
      if (seconds && __builtin_mul_overflow(v, int64_t{1000}, ts)) {
        *problem = "the event time " + std::to_string(v) + " s is out of range (ms beyond BIGINT)";
        return false;
      }
      if (!seconds) *ts = v;
      return true;
    }
    case PhysicalType::kDouble: {
      double v = col.doubles()[row];
      if (cfg.format == plan::TimeFormat::kEpochSeconds) v *= 1000;
      if (!(std::fabs(v) < 9.2e18)) {
        *problem = "the event time " + std::to_string(col.doubles()[row]) + " is out of range";
        return false;
      }
      *ts = std::llround(v);
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
          ok = ParseInt64(s, ts) && !__builtin_mul_overflow(*ts, int64_t{1000}, ts);
          break;
      }
      if (!ok) *problem = "cannot read the event time from '" + std::string(s) + "'";
      return ok;
    }
  }
  return false;
}

bool AcceptSourceRow(const plan::StreamDef& def, Batch* batch, size_t row, std::string* problem) {
  if (def.is_table && batch->kind(row) != ChangeKind::kDelete) {
    for (int c : def.primary_key) {
      if (!batch->column(static_cast<size_t>(c)).IsNull(row)) continue;
      *problem = "its key '" + def.schema.field(static_cast<size_t>(c)).name +
                 "' is NULL: the table has no place for it";
      return false;
    }
  }
  return StampEventTime(def.event_time, batch, row, problem);
}

bool StampEventTime(const plan::EventTimeConfig& cfg, Batch* batch, size_t row,
                    std::string* problem) {
  if (cfg.field < 0) return true;
  return EventTimeOf(cfg, batch->column(static_cast<size_t>(cfg.field)), row,
                     &batch->timestamps()[row], problem);
}

}  // namespace sluice::exec
