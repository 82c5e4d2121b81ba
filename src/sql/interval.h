// Time amounts as SQL writes them: the units of "5 SECONDS" and of the standard's (and Flink
// SQL's) interval literals, INTERVAL '10' MINUTE, INTERVAL '1:30' MINUTE TO SECOND,
// INTERVAL '2 03:04:05.5' DAY TO SECOND. Durations are milliseconds.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::sql {

// The milliseconds of one `word` ("SECOND", "seconds", "ms", "min", "HOUR", "day"...); 0 when it
// is no unit.
int64_t DurationUnitMillis(std::string_view word);

// The milliseconds of an interval literal's text `amount` in units `from` (to `to`, the last
// field, when the literal has several: "1:30" MINUTE TO SECOND); false with the problem, for a
// message, when the text does not fit the units or the result does not fit in BIGINT.
bool IntervalMillis(std::string_view amount, int64_t from, int64_t to, int64_t* ms,
                    std::string* problem);

}  // namespace sluice::sql
