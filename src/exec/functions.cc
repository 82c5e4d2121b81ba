#include "exec/functions.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <iterator>
#include <optional>
#include <random>
#include <regex>

#include <openssl/evp.h>

#include "common/format.h"

namespace sluice::exec {

using plan::Fn;

namespace {

class FunctionExpr final : public VecExpr {
 public:
  FunctionExpr(Fn fn, DataType type, std::vector<std::unique_ptr<VecExpr>> args)
      : VecExpr(type), fn_(fn), args_(std::move(args)), cols_(args_.size()) {
    // Constant extra arguments (round digits, time pattern) are read once.
    if (fn_ == Fn::kRound && args_.size() == 2) digits_ = ConstantInt(1, 0);
    if (fn_ == Fn::kRegexpExtract || fn_ == Fn::kRegexpReplace) {
      // The binder checked that the pattern is a literal that compiles.
      regex_.emplace(ConstantString(1), std::regex::ECMAScript);
      group_ = regex_->mark_count() > 0 ? 1 : 0;  // Hive's and Flink's default: the first group
      if (fn_ == Fn::kRegexpExtract && args_.size() == 3) group_ = ConstantInt(2, -1);
    }
    if (fn_ == Fn::kUuid) rng_.seed(std::random_device{}());
    if (fn_ == Fn::kParseTimestamp && args_.size() == 2) pattern_ = ConstantString(1);
  }

  const Column& Eval(EvalContext& ctx, const Batch& in, Selection sel) override {
    size_t n = sel.size;
    for (size_t i = 0; i < args_.size(); ++i) cols_[i] = &args_[i]->Eval(ctx, in, sel);
    Column& out = Output(n);
    arena_.Reset();
    switch (fn_) {
      case Fn::kUpper:
      case Fn::kLower:
        MapString(n, out, [&](std::string_view s, std::string& r) {
          r.assign(s);
          for (char& c : r)
            c = static_cast<char>(fn_ == Fn::kUpper ? std::toupper(static_cast<unsigned char>(c))
                                                    : std::tolower(static_cast<unsigned char>(c)));
        });
        break;
      case Fn::kTrim:
      case Fn::kLtrim:
      case Fn::kRtrim:
        for (size_t k = 0; k < n; ++k) {
          if (Null1(k, out)) continue;
          std::string_view s = cols_[0]->strings()[k].view();
          size_t b = 0, e = s.size();
          if (fn_ != Fn::kRtrim)
            while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
          if (fn_ != Fn::kLtrim)
            while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
          // A substring of the input: no copy.
          out.SetString(k, StringRef{s.data() + b, static_cast<uint32_t>(e - b)});
        }
        break;
      case Fn::kReverse:
        MapString(n, out, [](std::string_view s, std::string& r) {
          // By code point, so that multi-byte UTF-8 characters stay whole.
          r.clear();
          size_t end = s.size();
          while (end > 0) {
            size_t start = end - 1;
            while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
            r.append(s.substr(start, end - start));
            end = start;
          }
        });
        break;
      case Fn::kLength:
        for (size_t k = 0; k < n; ++k) {
          if (Null1(k, out)) continue;
          out.SetInt(k, Utf8Length(cols_[0]->strings()[k].view()));
        }
        break;
      case Fn::kConcatStrict:
      case Fn::kConcat:
        for (size_t k = 0; k < n; ++k) {
          if (fn_ == Fn::kConcatStrict && AnyNull(k, out)) continue;
          size_t len = 0;
          for (const Column* c : cols_)
            if (!c->IsNull(k)) len += c->strings()[k].size;
          char* p = arena_.Allocate(len);
          size_t at = 0;
          for (const Column* c : cols_) {
            if (c->IsNull(k)) continue;  // NULL arguments are skipped, as in PostgreSQL
            std::memcpy(p + at, c->strings()[k].data, c->strings()[k].size);
            at += c->strings()[k].size;
          }
          out.SetString(k, StringRef{p, static_cast<uint32_t>(len)});
        }
        break;
      case Fn::kSubstr:
        for (size_t k = 0; k < n; ++k) {
          if (AnyNull(k, out)) continue;
          std::string_view s = cols_[0]->strings()[k].view();
          // 1-based start as in SQL; a start before 1 eats into the length.
          int64_t start = cols_[1]->ints()[k];
          int64_t len = cols_.size() > 2 ? cols_[2]->ints()[k] : INT64_MAX / 4;
          if (len < 0) {
            out.SetNull(k);
            ctx.AddError(sel[k], "substr() length must not be negative");
            continue;
          }
          int64_t from = start - 1, to = from + len;
          from = std::clamp<int64_t>(from, 0, static_cast<int64_t>(s.size()));
          to = std::clamp<int64_t>(to, from, static_cast<int64_t>(s.size()));
          out.SetString(k, StringRef{s.data() + from, static_cast<uint32_t>(to - from)});
        }
        break;
      case Fn::kReplace:
        for (size_t k = 0; k < n; ++k) {
          if (AnyNull(k, out)) continue;
          std::string_view s = cols_[0]->strings()[k].view();
          std::string_view a = cols_[1]->strings()[k].view();
          std::string_view b = cols_[2]->strings()[k].view();
          if (a.empty()) {
            out.SetString(k, cols_[0]->strings()[k]);
            continue;
          }
          scratch_.clear();
          size_t pos = 0;
          while (true) {
            size_t f = s.find(a, pos);
            if (f == std::string_view::npos) break;
            scratch_.append(s.substr(pos, f - pos));
            scratch_.append(b);
            pos = f + a.size();
          }
          scratch_.append(s.substr(pos));
          out.SetString(k, arena_.Add(scratch_));
        }
        break;
      case Fn::kContains:
      case Fn::kStartsWith:
      case Fn::kEndsWith:
        for (size_t k = 0; k < n; ++k) {
          if (AnyNull(k, out)) continue;
          std::string_view s = cols_[0]->strings()[k].view();
          std::string_view t = cols_[1]->strings()[k].view();
          bool r = fn_ == Fn::kContains ? s.find(t) != std::string_view::npos
                   : fn_ == Fn::kStartsWith
                       ? s.substr(0, t.size()) == t
                       : s.size() >= t.size() && s.substr(s.size() - t.size()) == t;
          out.SetInt(k, r);
        }
        break;
      case Fn::kAbs:
        for (size_t k = 0; k < n; ++k) {
          if (Null1(k, out)) continue;
          if (type_.physical() == PhysicalType::kDouble) {
            out.SetDouble(k, std::fabs(cols_[0]->doubles()[k]));
          } else if (cols_[0]->ints()[k] == INT64_MIN ||
                     (type_.id == TypeId::kInt && cols_[0]->ints()[k] == INT32_MIN)) {
            out.SetNull(k);
            ctx.AddError(sel[k], "integer overflow in abs()");
          } else {
            out.SetInt(k, std::llabs(cols_[0]->ints()[k]));
          }
        }
        break;
      case Fn::kSign:
        for (size_t k = 0; k < n; ++k) {
          if (Null1(k, out)) continue;
          double v = cols_[0]->type().physical() == PhysicalType::kDouble
                         ? cols_[0]->doubles()[k]
                         : static_cast<double>(cols_[0]->ints()[k]);
          out.SetInt(k, (v > 0) - (v < 0));
        }
        break;
      case Fn::kCeil:
      case Fn::kFloor:
      case Fn::kRound:
        RoundFamily(n, out);
        break;
      case Fn::kSqrt:
      case Fn::kExp:
      case Fn::kLn:
      case Fn::kLog10:
      case Fn::kPow:
        for (size_t k = 0; k < n; ++k) {
          if (AnyNull(k, out)) continue;
          double x = cols_[0]->doubles()[k];
          double r;
          switch (fn_) {
            case Fn::kSqrt:
              r = std::sqrt(x);
              break;
            case Fn::kExp:
              r = std::exp(x);
              break;
            case Fn::kLn:
              r = std::log(x);
              break;
            case Fn::kLog10:
              r = std::log10(x);
              break;
            default:
              r = std::pow(x, cols_[1]->doubles()[k]);
              break;
          }
          if (!std::isfinite(r)) {
            out.SetNull(k);
            ctx.AddError(sel[k], "math domain error in " + Name() + "()");
          } else {
            out.SetDouble(k, r);
          }
        }
        break;
      case Fn::kGreatest:
      case Fn::kLeast: {
        bool greatest = fn_ == Fn::kGreatest;
        for (size_t k = 0; k < n; ++k) {
          int best = -1;
          for (size_t i = 0; i < cols_.size(); ++i) {
            if (cols_[i]->IsNull(k)) continue;  // NULLs are ignored, as in PostgreSQL
            if (best < 0 || Less(*cols_[best], *cols_[i], k) == greatest)
              best = static_cast<int>(i);
          }
          if (best < 0) {
            out.SetNull(k);
          } else {
            Copy(*cols_[best], k, out);
          }
        }
        break;
      }
      case Fn::kCoalesce:
        for (size_t k = 0; k < n; ++k) {
          out.SetNull(k);
          for (const Column* c : cols_) {
            if (!c->IsNull(k)) {
              Copy(*c, k, out);
              break;
            }
          }
        }
        break;
      case Fn::kNullif:
        for (size_t k = 0; k < n; ++k) {
          if (cols_[0]->IsNull(k)) {
            out.SetNull(k);
            continue;
          }
          bool equal = !cols_[1]->IsNull(k) && !Less(*cols_[0], *cols_[1], k) &&
                       !Less(*cols_[1], *cols_[0], k);
          if (equal) {
            out.SetNull(k);
          } else {
            Copy(*cols_[0], k, out);
          }
        }
        break;
      case Fn::kCurrentTimeMillis:
      case Fn::kNow:
        for (size_t k = 0; k < n; ++k) out.SetInt(k, ctx.now_ms);
        break;
      case Fn::kUuid:
        for (size_t k = 0; k < n; ++k) {
          // Version 4 (random), in its text form.
          uint64_t hi = rng_(), lo = rng_();
          hi = (hi & ~0xF000ULL) | 0x4000ULL;
          lo = (lo & ~(0xC0ULL << 56)) | (0x80ULL << 56);
          char buf[37];
          std::snprintf(buf, sizeof buf, "%08llx-%04llx-%04llx-%04llx-%012llx",
                        static_cast<unsigned long long>(hi >> 32),
                        static_cast<unsigned long long>((hi >> 16) & 0xFFFF),
                        static_cast<unsigned long long>(hi & 0xFFFF),
                        static_cast<unsigned long long>(lo >> 48),
                        static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFULL));
          out.SetString(k, arena_.Add(std::string_view(buf, 36)));
        }
        break;
      case Fn::kMd5:
      case Fn::kSha256:
        MapString(n, out, [&](std::string_view s, std::string& r) {
          unsigned char md[EVP_MAX_MD_SIZE];
          unsigned int len = 0;
          EVP_Digest(s.data(), s.size(), md, &len, fn_ == Fn::kMd5 ? EVP_md5() : EVP_sha256(),
                     nullptr);
          static const char* kHex = "0123456789abcdef";
          r.clear();
          for (unsigned int i = 0; i < len; ++i) {
            r.push_back(kHex[md[i] >> 4]);
            r.push_back(kHex[md[i] & 15]);
          }
        });
        break;
      case Fn::kSplitIndex:
        for (size_t k = 0; k < n; ++k) {
          if (AnyNull(k, out)) continue;
          std::string_view s = cols_[0]->strings()[k].view();
          std::string_view sep = cols_[1]->strings()[k].view();
          int64_t index = cols_[2]->ints()[k];
          // Flink's SPLIT_INDEX: from 0; NULL past the last part, for a negative index and an
          // empty separator.
          if (sep.empty() || index < 0) {
            out.SetNull(k);
            continue;
          }
          size_t from = 0;
          for (int64_t i = 0; i < index && from != std::string_view::npos; ++i) {
            size_t at = s.find(sep, from);
            from = at == std::string_view::npos ? at : at + sep.size();
          }
          if (from == std::string_view::npos) {
            out.SetNull(k);
            continue;
          }
          size_t to = s.find(sep, from);
          if (to == std::string_view::npos) to = s.size();
          out.SetString(k, StringRef{s.data() + from, static_cast<uint32_t>(to - from)});
        }
        break;
      case Fn::kRegexpExtract:
        for (size_t k = 0; k < n; ++k) {
          if (Null1(k, out)) continue;
          std::string_view s = cols_[0]->strings()[k].view();
          std::cmatch m;
          if (group_ < 0 || !std::regex_search(s.data(), s.data() + s.size(), m, *regex_) ||
              static_cast<size_t>(group_) >= m.size() || !m[static_cast<size_t>(group_)].matched) {
            out.SetNull(k);  // no match, or no such group
            continue;
          }
          const auto& g = m[static_cast<size_t>(group_)];
          out.SetString(k, StringRef{g.first, static_cast<uint32_t>(g.second - g.first)});
        }
        break;
      case Fn::kRegexpReplace:
        for (size_t k = 0; k < n; ++k) {
          if (AnyNull(k, out)) continue;
          std::string_view s = cols_[0]->strings()[k].view();
          std::string_view with = cols_[2]->strings()[k].view();
          scratch_.clear();
          std::regex_replace(std::back_inserter(scratch_), s.begin(), s.end(), *regex_,
                             std::string(with));
          out.SetString(k, arena_.Add(scratch_));
        }
        break;
      case Fn::kEventTimestamp:
        for (size_t k = 0; k < n; ++k) out.SetInt(k, in.timestamp(sel[k]));
        break;
      case Fn::kFormatTimestamp:
        for (size_t k = 0; k < n; ++k) {
          if (Null1(k, out)) continue;
          scratch_.clear();
          AppendIso8601(&scratch_, cols_[0]->ints()[k]);
          out.SetString(k, arena_.Add(scratch_));
        }
        break;
      case Fn::kParseTimestamp:
        for (size_t k = 0; k < n; ++k) {
          if (Null1(k, out)) continue;
          std::string_view s = cols_[0]->strings()[k].view();
          int64_t ms;
          bool ok = pattern_.empty() ? ParseIso8601(s, &ms) : ParseTimePattern(s, pattern_, &ms);
          if (ok) {
            out.SetInt(k, ms);
          } else {
            out.SetNull(k);
            ctx.AddError(sel[k], "cannot parse '" + std::string(s) + "' as a timestamp");
          }
        }
        break;
      default:
        for (size_t k = 0; k < n; ++k) out.SetNull(k);
        break;
    }
    return out;
  }

 private:
  std::string Name() const {
    switch (fn_) {
      case Fn::kSqrt:
        return "sqrt";
      case Fn::kExp:
        return "exp";
      case Fn::kLn:
        return "ln";
      case Fn::kLog10:
        return "log10";
      case Fn::kPow:
        return "pow";
      default:
        return "function";
    }
  }

  bool Null1(size_t k, Column& out) {
    if (!cols_[0]->IsNull(k)) return false;
    out.SetNull(k);
    return true;
  }
  bool AnyNull(size_t k, Column& out) {
    for (const Column* c : cols_)
      if (c->IsNull(k)) {
        out.SetNull(k);
        return true;
      }
    return false;
  }

  template <typename F>
  void MapString(size_t n, Column& out, F f) {
    for (size_t k = 0; k < n; ++k) {
      if (Null1(k, out)) continue;
      f(cols_[0]->strings()[k].view(), scratch_);
      out.SetString(k, arena_.Add(scratch_));
    }
  }

  static int64_t Utf8Length(std::string_view s) {
    int64_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
  }

  static bool Less(const Column& a, const Column& b, size_t k) {
    switch (a.type().physical()) {
      case PhysicalType::kInt64:
        return a.ints()[k] < b.ints()[k];
      case PhysicalType::kDouble:
        return a.doubles()[k] < b.doubles()[k];
      default:
        return a.strings()[k].view() < b.strings()[k].view();
    }
  }

  static void Copy(const Column& src, size_t k, Column& out) {
    switch (out.type().physical()) {
      case PhysicalType::kInt64:
        out.SetInt(k, src.ints()[k]);
        break;
      case PhysicalType::kDouble:
        out.SetDouble(k, src.doubles()[k]);
        break;
      case PhysicalType::kString:
        out.SetString(k, src.strings()[k]);
        break;
    }
  }

  void RoundFamily(size_t n, Column& out) {
    const Column& x = *cols_[0];
    DataType in = x.type();
    for (size_t k = 0; k < n; ++k) {
      if (Null1(k, out)) continue;
      if (in.physical() == PhysicalType::kDouble) {
        double v = x.doubles()[k], r;
        if (fn_ == Fn::kCeil) {
          r = std::ceil(v);
        } else if (fn_ == Fn::kFloor) {
          r = std::floor(v);
        } else {
          double p = std::pow(10.0, digits_);
          r = std::round(v * p) / p;  // half away from zero
        }
        if (type_.physical() == PhysicalType::kDouble) {
          out.SetDouble(k, type_.id == TypeId::kFloat ? static_cast<float>(r) : r);
        } else {
          out.SetInt(k, static_cast<int64_t>(r));
        }
      } else if (in.id == TypeId::kDecimal) {
        int64_t v = x.ints()[k];
        int target = fn_ == Fn::kRound ? std::clamp(digits_, 0, static_cast<int>(in.scale)) : 0;
        int64_t p = Pow10(in.scale - target);
        int64_t q = v / p, rem = v % p;
        if (fn_ == Fn::kRound) {
          if (rem * 2 >= p) ++q;
          if (rem * 2 <= -p) --q;
        } else if (fn_ == Fn::kCeil && rem > 0) {
          ++q;
        } else if (fn_ == Fn::kFloor && rem < 0) {
          --q;
        }
        out.SetInt(k, q);  // at the result's scale: `target`
      } else {
        int64_t v = x.ints()[k];
        if (fn_ == Fn::kRound && digits_ < 0) {
          int64_t p = Pow10(std::min(18, -digits_));
          int64_t q = v / p, rem = v % p;
          if (rem * 2 >= p) ++q;
          if (rem * 2 <= -p) --q;
          v = q * p;
        }
        if (type_.physical() == PhysicalType::kDouble) {
          out.SetDouble(k, static_cast<double>(v));
        } else {
          out.SetInt(k, v);
        }
      }
    }
  }

  Fn fn_;
  std::vector<std::unique_ptr<VecExpr>> args_;
  std::vector<const Column*> cols_;
  // The value of constant argument `i`, read once ("" or `if_null` when it is NULL).
  std::string ConstantString(size_t i) {
    Batch one;
    const Column& c = EvalConstant(i, &one);
    return c.IsNull(0) ? std::string() : std::string(c.strings()[0].view());
  }
  int ConstantInt(size_t i, int if_null) {
    Batch one;
    const Column& c = EvalConstant(i, &one);
    return c.IsNull(0) ? if_null : static_cast<int>(c.ints()[0]);
  }
  const Column& EvalConstant(size_t i, Batch* one) {
    one->Resize(1);
    EvalContext ctx;
    ctx.Reset(1);
    return args_[i]->Eval(ctx, *one, Selection::All(1));
  }

  std::string scratch_;
  int digits_ = 0;
  std::string pattern_;
  std::optional<std::regex> regex_;
  int group_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace

std::unique_ptr<VecExpr> MakeFunctionExpr(Fn fn, DataType type,
                                          std::vector<std::unique_ptr<VecExpr>> args) {
  return std::make_unique<FunctionExpr>(fn, type, std::move(args));
}

}  // namespace sluice::exec
