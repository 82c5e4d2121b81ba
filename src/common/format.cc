#include "common/format.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

namespace sluice {

void AppendDouble(std::string* out, double v, bool as_float) {
  if (!std::isfinite(v)) {
    out->append("null");
    return;
  }
  char buf[64];
  std::to_chars_result r = as_float ? std::to_chars(buf, buf + sizeof buf, static_cast<float>(v))
                                    : std::to_chars(buf, buf + sizeof buf, v);
  std::string_view text(buf, r.ptr - buf);
  out->append(text);
  if (text.find_first_of(".eE") == std::string_view::npos) out->append(".0");
}

void AppendInt(std::string* out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr - buf);
}

int64_t Pow10(int n) {
  static const int64_t kPow[19] = {1LL,
                                   10LL,
                                   100LL,
                                   1000LL,
                                   10000LL,
                                   100000LL,
                                   1000000LL,
                                   10000000LL,
                                   100000000LL,
                                   1000000000LL,
                                   10000000000LL,
                                   100000000000LL,
                                   1000000000000LL,
                                   10000000000000LL,
                                   100000000000000LL,
                                   1000000000000000LL,
                                   10000000000000000LL,
                                   100000000000000000LL,
                                   1000000000000000000LL};
  return (n >= 0 && n <= 18) ? kPow[n] : 0;
}

void AppendDecimal(std::string* out, int64_t unscaled, int scale) {
  if (scale == 0) {
    AppendInt(out, unscaled);
    return;
  }
  bool negative = unscaled < 0;
  uint64_t mag = negative ? 0 - static_cast<uint64_t>(unscaled) : static_cast<uint64_t>(unscaled);
  uint64_t p = static_cast<uint64_t>(Pow10(scale));
  uint64_t whole = mag / p, frac = mag % p;
  if (negative) out->push_back('-');
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, whole);
  out->append(buf, r.ptr - buf);
  out->push_back('.');
  char fbuf[24];
  for (int i = scale - 1; i >= 0; --i) {
    fbuf[i] = static_cast<char>('0' + frac % 10);
    frac /= 10;
  }
  out->append(fbuf, scale);
}

void AppendJsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20) {
          static const char* kHex = "0123456789abcdef";
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 15]);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

static std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

NumberParse ParseInt64Checked(std::string_view s, int64_t* out) {
  s = Trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return NumberParse::kSyntax;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  if (r.ptr != s.data() + s.size()) return NumberParse::kSyntax;
  if (r.ec == std::errc::result_out_of_range) return NumberParse::kOutOfRange;
  return r.ec == std::errc() ? NumberParse::kOk : NumberParse::kSyntax;
}

bool ParseInt64(std::string_view s, int64_t* out) {
  return ParseInt64Checked(s, out) == NumberParse::kOk;
}

NumberParse ParseDoubleChecked(std::string_view s, double* out) {
  s = Trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return NumberParse::kSyntax;
  // from_chars also reads "inf" and "nan": numbers are digits here.
  char first = s.front() == '-' && s.size() > 1 ? s[1] : s.front();
  if (!(first >= '0' && first <= '9') && first != '.') return NumberParse::kSyntax;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  if (r.ptr != s.data() + s.size()) return NumberParse::kSyntax;
  if (r.ec == std::errc::result_out_of_range) {
    // Too large in magnitude is out of range; too small underflows to zero.
    size_t e = s.find_first_of("eE");
    bool tiny = e != std::string_view::npos && e + 1 < s.size() && s[e + 1] == '-';
    if (!tiny) return NumberParse::kOutOfRange;
    *out = s.front() == '-' ? -0.0 : 0.0;
    return NumberParse::kOk;
  }
  if (r.ec != std::errc()) return NumberParse::kSyntax;
  return std::isfinite(*out) ? NumberParse::kOk : NumberParse::kOutOfRange;
}

bool ParseDouble(std::string_view s, double* out) {
  return ParseDoubleChecked(s, out) == NumberParse::kOk;
}

bool ParseBool(std::string_view s, bool* out) {
  s = Trim(s);
  auto eq = [&](const char* w) {
    size_t n = std::strlen(w);
    if (s.size() != n) return false;
    for (size_t i = 0; i < n; ++i)
      if ((s[i] | 0x20) != w[i]) return false;
    return true;
  };
  if (eq("true")) return *out = true, true;
  if (eq("false")) return *out = false, true;
  return false;
}

bool ParseDecimal(std::string_view s, int scale, int64_t* out) {
  s = Trim(s);
  bool negative = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return false;
  // Exponent form goes through double: exact enough for what JSON writers produce.
  if (s.find_first_of("eE") != std::string_view::npos) {
    double d;
    if (!ParseDouble(s, &d)) return false;
    double scaled = std::round(d * static_cast<double>(Pow10(scale)));
    if (std::fabs(scaled) >= 9.2e18) return false;
    *out = static_cast<int64_t>(negative ? -scaled : scaled);
    return true;
  }
  __int128 acc = 0;
  int frac_digits = 0;
  bool seen_dot = false, any_digit = false;
  int round_digit = -1;
  for (char c : s) {
    if (c == '.') {
      if (seen_dot) return false;
      seen_dot = true;
      continue;
    }
    if (c < '0' || c > '9') return false;
    any_digit = true;
    if (seen_dot && frac_digits >= scale) {
      if (round_digit < 0) round_digit = c - '0';
      continue;
    }
    acc = acc * 10 + (c - '0');
    if (seen_dot) ++frac_digits;
    if (acc > static_cast<__int128>(999999999999999999LL)) return false;
  }
  if (!any_digit) return false;
  for (; frac_digits < scale; ++frac_digits) acc *= 10;
  if (round_digit >= 5) acc += 1;
  if (acc > static_cast<__int128>(999999999999999999LL)) return false;
  *out = static_cast<int64_t>(negative ? -acc : acc);
  return true;
}

bool RescaleDecimal(int64_t v, int from_scale, int to_scale, int64_t* out) {
  if (from_scale == to_scale) return *out = v, true;
  if (to_scale > from_scale) {
    __int128 r = static_cast<__int128>(v) * Pow10(to_scale - from_scale);
    if (r > std::numeric_limits<int64_t>::max() || r < std::numeric_limits<int64_t>::min())
      return false;
    *out = static_cast<int64_t>(r);
    return true;
  }
  int64_t p = Pow10(from_scale - to_scale);
  int64_t q = v / p, rem = v % p;
  if (rem * 2 >= p) ++q;
  if (rem * 2 <= -p) --q;
  *out = q;
  return true;
}

// Howard Hinnant's days_from_civil.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

static void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

namespace {
struct Cursor {
  std::string_view s;
  size_t i = 0;
  bool Digits(int n, int* out) {
    int v = 0;
    for (int k = 0; k < n; ++k) {
      if (i >= s.size() || s[i] < '0' || s[i] > '9') return false;
      v = v * 10 + (s[i++] - '0');
    }
    *out = v;
    return true;
  }
  bool Eat(char c) {
    if (i < s.size() && s[i] == c) return ++i, true;
    return false;
  }
  bool AtEnd() const { return i == s.size(); }
  // Fraction digits after a '.', as milliseconds.
  int Millis() {
    int ms = 0, n = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (n < 3) ms = ms * 10 + (s[i] - '0');
      ++n, ++i;
    }
    for (; n < 3; ++n) ms *= 10;
    return ms;
  }
  // Z, +hh:mm, +hhmm, -hh; seconds east of UTC in *offset.
  bool Zone(int* offset) {
    *offset = 0;
    if (Eat('Z') || Eat('z')) return true;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
      int sign = s[i++] == '-' ? -1 : 1, hh = 0, mm = 0;
      if (!Digits(2, &hh)) return false;
      Eat(':');
      if (i < s.size()) Digits(2, &mm);
      *offset = sign * (hh * 3600 + mm * 60);
    }
    return true;
  }
};
}  // namespace

static bool ValidDate(int y, int mo, int d, int h, int mi, int sec) {
  (void)y;
  return mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h >= 0 && h <= 23 && mi >= 0 && mi <= 59 &&
         sec >= 0 && sec <= 60;
}

bool ParseIso8601(std::string_view s, int64_t* ms) {
  s = Trim(s);
  Cursor c{s};
  int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0, offset = 0;
  if (!c.Digits(4, &y) || !c.Eat('-') || !c.Digits(2, &mo) || !c.Eat('-') || !c.Digits(2, &d))
    return false;
  if (!c.AtEnd()) {
    if (!c.Eat('T') && !c.Eat(' ') && !c.Eat('t')) return false;
    if (!c.Digits(2, &h) || !c.Eat(':') || !c.Digits(2, &mi)) return false;
    if (c.Eat(':')) {
      if (!c.Digits(2, &sec)) return false;
      if (c.Eat('.') || c.Eat(',')) frac = c.Millis();
    }
    if (!c.Zone(&offset) || !c.AtEnd()) return false;
  }
  if (!ValidDate(y, mo, d, h, mi, sec)) return false;
  int64_t days = DaysFromCivil(y, mo, d);
  *ms = ((days * 86400 + h * 3600 + mi * 60 + sec) - offset) * 1000 + frac;
  return true;
}

bool ParseTimePattern(std::string_view s, std::string_view pattern, int64_t* ms) {
  Cursor c{Trim(s)};
  int y = 1970, mo = 1, d = 1, h = 0, mi = 0, sec = 0, frac = 0, offset = 0;
  for (size_t p = 0; p < pattern.size(); ++p) {
    if (pattern[p] != '%') {
      if (!c.Eat(pattern[p])) return false;
      continue;
    }
    if (++p >= pattern.size()) return false;
    bool ok = true;
    switch (pattern[p]) {
      case 'Y':
        ok = c.Digits(4, &y);
        break;
      case 'm':
        ok = c.Digits(2, &mo);
        break;
      case 'd':
        ok = c.Digits(2, &d);
        break;
      case 'H':
        ok = c.Digits(2, &h);
        break;
      case 'M':
        ok = c.Digits(2, &mi);
        break;
      case 'S':
        ok = c.Digits(2, &sec);
        break;
      case 'f':
        frac = c.Millis();
        break;
      case 'z':
        ok = c.Zone(&offset);
        break;
      case '%':
        ok = c.Eat('%');
        break;
      default:
        return false;
    }
    if (!ok) return false;
  }
  if (!c.AtEnd() || !ValidDate(y, mo, d, h, mi, sec)) return false;
  *ms = ((DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) - offset) * 1000 + frac;
  return true;
}

void AppendIso8601(std::string* out, int64_t ms) {
  int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
  int millis = static_cast<int>(ms - secs * 1000);
  int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  int rem = static_cast<int>(secs - days * 86400);
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  char buf[40];
  int n = snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ",
                   static_cast<long long>(y), m, d, rem / 3600, rem / 60 % 60, rem % 60, millis);
  out->append(buf, n);
}

}  // namespace sluice
