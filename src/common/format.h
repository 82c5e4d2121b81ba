// Text conversions shared by the evaluator, the codecs and the public Value: numbers, decimals,
// timestamps and JSON strings. Every function is exact and allocation-free apart from the output
// string it appends to.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice {

// Shortest text that reads back to the same value; a whole number keeps ".0" ("100.0").
// Non-finite values append "null" (JSON has no NaN), which callers treat as NULL.
void AppendDouble(std::string* out, double v, bool as_float);
void AppendInt(std::string* out, int64_t v);
// 1250 with scale 2 appends "12.50".
void AppendDecimal(std::string* out, int64_t unscaled, int scale);
// Appends `s` as a quoted JSON string with escapes.
void AppendJsonString(std::string* out, std::string_view s);

// Whole-string parses; leading/trailing spaces are allowed, nothing else.
bool ParseInt64(std::string_view s, int64_t* out);
bool ParseDouble(std::string_view s, double* out);
// The same, saying why a parse failed: the text is not a number, or its value does not fit (for
// doubles: beyond the largest finite value; a value too small to represent reads as 0).
enum class NumberParse { kOk, kSyntax, kOutOfRange };
NumberParse ParseInt64Checked(std::string_view s, int64_t* out);
NumberParse ParseDoubleChecked(std::string_view s, double* out);
bool ParseBool(std::string_view s, bool* out);
// Parses "12.5" into the unscaled value at `scale` (12.5 at scale 2 is 1250), rounding half away
// from zero; false on bad text or overflow of 18 digits.
bool ParseDecimal(std::string_view s, int scale, int64_t* out);
// Rescales an unscaled decimal; false on overflow. Rounds half away from zero when narrowing.
bool RescaleDecimal(int64_t v, int from_scale, int to_scale, int64_t* out);
int64_t Pow10(int n);

// ISO-8601 date-time ("2023-10-08T00:00:00Z", "2023-10-08T01:02:03.5+02:00", "2023-10-08")
// to milliseconds since the epoch (UTC when no offset is given).
bool ParseIso8601(std::string_view s, int64_t* ms);
// A strftime-style pattern (%Y %m %d %H %M %S %f(ms) %z %%) to milliseconds since the epoch.
bool ParseTimePattern(std::string_view s, std::string_view pattern, int64_t* ms);
// Milliseconds to "2023-10-08T00:00:00.000Z".
void AppendIso8601(std::string* out, int64_t ms);

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);

}  // namespace sluice
