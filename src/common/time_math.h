// Arithmetic on times and durations (milliseconds) that saturates at the limits of BIGINT instead
// of overflowing: a deadline past the largest time is the largest time, never a time in the past,
// so that events near the limits neither wrap around nor keep the engine busy forever.
#pragma once

#include <cstdint>
#include <limits>

namespace sluice {

inline constexpr int64_t kMaxTime = std::numeric_limits<int64_t>::max();
inline constexpr int64_t kMinTime = std::numeric_limits<int64_t>::min();

inline int64_t TimeAdd(int64_t t, int64_t d) {
  int64_t r;
  if (__builtin_add_overflow(t, d, &r)) return d > 0 ? kMaxTime : kMinTime;
  return r;
}

inline int64_t TimeSub(int64_t t, int64_t d) {
  int64_t r;
  if (__builtin_sub_overflow(t, d, &r)) return d > 0 ? kMinTime : kMaxTime;
  return r;
}

// floor(a / b) for b > 0, also for negative a.
inline int64_t FloorDiv(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

// A wide value as a time: the largest or smallest time when it is beyond BIGINT.
inline int64_t ClampTime(__int128 v) {
  return v > kMaxTime ? kMaxTime : v < kMinTime ? kMinTime : static_cast<int64_t>(v);
}

// Windows of `size` aligned to `origin`, [origin + k*size, origin + (k+1)*size): the start of the
// one that holds `t`, and its index k. Exact for any two times (in 128 bits); a start below the
// smallest time is the smallest time.
inline __int128 WindowIndexOf(int64_t t, int64_t origin, int64_t size) {
  __int128 d = static_cast<__int128>(t) - origin;
  __int128 k = d / size;
  if (d % size < 0) --k;
  return k;
}
inline int64_t WindowStartOf(int64_t t, int64_t origin, int64_t size) {
  return ClampTime(static_cast<__int128>(origin) + WindowIndexOf(t, origin, size) * size);
}

}  // namespace sluice
