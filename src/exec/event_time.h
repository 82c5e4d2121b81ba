// Reading an event's time from its event-time attribute
// (WITH ('event.time.field'=..., 'event.time.format'=...)).
#pragma once

#include <string>

#include "plan/catalog.h"
#include "sluice/batch.h"

namespace sluice::exec {

// The event time, in ms, of row `row` of `col` under `cfg`; false with a reason when it has none.
bool EventTimeOf(const plan::EventTimeConfig& cfg, const Column& col, size_t row, int64_t* ts,
                 std::string* problem);

// Sets the time of row `row` of `batch` from its event-time attribute, when the stream has one
// (cfg.field >= 0); otherwise leaves it (the arrival time). False, with the problem, when the
// attribute gives no time: the event is malformed.
bool StampEventTime(const plan::EventTimeConfig& cfg, Batch* batch, size_t row,
                    std::string* problem);

// What a source checks of each row it reads into stream or table `def`: a table's row has its
// key (a row whose key is NULL cannot be loaded), and the row gets its event time
// (StampEventTime). False, with the problem: the row is malformed, for the source to report with
// where it read it.
bool AcceptSourceRow(const plan::StreamDef& def, Batch* batch, size_t row, std::string* problem);

}  // namespace sluice::exec
