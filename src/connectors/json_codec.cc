#include "connectors/json_codec.h"

#include <simdjson.h>
#include <algorithm>
#include <cmath>

#include "common/convert.h"

#include "common/format.h"
#include "connectors/csv_codec.h"

namespace sluice::connectors {

namespace od = simdjson::ondemand;

struct JsonRowDecoder::Impl {
  Schema schema;
  od::parser parser;
  std::string buffer;                // padded copy of the input
  std::vector<uint8_t> seen;         // per attribute: its key was read (duplicates are errors)
  std::vector<std::string> unknown;  // keys that name no attribute
};

JsonRowDecoder::JsonRowDecoder(const Schema& schema) : impl_(std::make_unique<Impl>()) {
  impl_->schema = schema;
}

JsonRowDecoder::~JsonRowDecoder() = default;

namespace {

std::string TypeName(od::json_type t) {
  switch (t) {
    case od::json_type::array:
      return "an array";
    case od::json_type::object:
      return "an object";
    case od::json_type::number:
      return "a number";
    case od::json_type::string:
      return "a string";
    case od::json_type::boolean:
      return "a boolean";
    case od::json_type::null:
      return "null";
  }
  return "a value";
}

// Checks that a value we do not store (an unknown key's) is valid JSON: on-demand parsing only
// reads what it is asked for, so NaN or 01 there would otherwise pass unnoticed.
bool IsValidJson(od::value v, int depth = 0) {
  od::json_type jt;
  if (depth > 64 || v.type().get(jt)) return false;
  switch (jt) {
    case od::json_type::object: {
      od::object o;
      if (v.get_object().get(o)) return false;
      for (auto field : o) {
        od::value inner;
        if (field.value().get(inner) || !IsValidJson(inner, depth + 1)) return false;
      }
      return true;
    }
    case od::json_type::array: {
      od::array a;
      if (v.get_array().get(a)) return false;
      for (auto element : a) {
        od::value inner;
        if (element.get(inner) || !IsValidJson(inner, depth + 1)) return false;
      }
      return true;
    }
    case od::json_type::number: {
      od::number n;
      return !v.get_number().get(n);
    }
    case od::json_type::string: {
      std::string_view s;
      return !v.get_string().get(s);
    }
    case od::json_type::boolean: {
      bool b;
      return !v.get_bool().get(b);
    }
    case od::json_type::null: {
      bool null = false;
      return !v.is_null().get(null) && null;
    }
  }
  return false;
}

std::string_view TrimRight(std::string_view raw) {
  while (!raw.empty() &&
         (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' || raw.back() == '\t'))
    raw.remove_suffix(1);
  return raw;
}

// Stores one JSON value into `col` of `row`, converting as SQL assignment does. Anything JSON
// does not allow (NaN, Infinity, 01, 'x', nul) is an error, as is a value that does not fit.
Status DecodeValue(od::value v, const Field& field, Batch* batch, size_t col, size_t row) {
  od::json_type jt;
  if (v.type().get(jt)) return Status::InvalidArgument("'" + field.name + "': not a JSON value");
  Column& c = batch->column(col);
  auto bad = [&](std::string_view got) {
    return Status::InvalidArgument("'" + field.name + "' is " + field.type.ToString() + ", got " +
                                   std::string(got));
  };
  auto bad_number = [&](std::string_view raw, const std::string& why) {
    return bad(std::string(raw) + " (" + why + ")");
  };
  std::string_view raw =
      jt == od::json_type::string ? std::string_view() : TrimRight(v.raw_json_token());
  if (jt == od::json_type::null) {
    bool null = false;
    if (v.is_null().get(null) || !null) return bad("'" + std::string(raw) + "' (not JSON)");
    c.SetNull(row);
    return Status::OK();
  }
  if (jt == od::json_type::number) {
    // Validated as JSON first: simdjson reads "01" or "-" only when asked for a number.
    od::number n;
    if (v.get_number().get(n)) {
      double d;
      if (ParseDoubleChecked(raw, &d) == NumberParse::kOutOfRange)
        return bad_number(raw, "out of range for " +
                                   (field.type.is_numeric() ? field.type.ToString() : "DOUBLE"));
      return bad(std::string(raw) + " (not a JSON number)");
    }
  }
  if (jt == od::json_type::boolean) {
    bool b;
    if (v.get_bool().get(b)) return bad(std::string(raw) + " (not JSON)");
    if (field.type.id == TypeId::kBool) return c.SetInt(row, b), Status::OK();
    if (field.type.id == TypeId::kString)
      return batch->SetString(row, col, b ? "true" : "false"), Status::OK();
    return bad(TypeName(jt));
  }
  TypeId t = field.type.id;
  if (jt == od::json_type::string) {
    std::string_view s;
    if (v.get_string().get(s)) return bad("a malformed string");
    if (t == TypeId::kString) {
      batch->SetString(row, col, s);
      return Status::OK();
    }
    // Numbers, booleans and times may arrive quoted; they are parsed as CAST would.
    Value text{s};
    if (!batch->SetValue(row, col, text))
      return bad("\"" + std::string(s) + "\" (" + ConversionProblem(text, field.type) + ")");
    return Status::OK();
  }
  if (jt == od::json_type::object || jt == od::json_type::array) return bad(TypeName(jt));
  // A number.
  if (t == TypeId::kString) {
    batch->SetString(row, col, raw);
    return Status::OK();
  }
  switch (t) {
    case TypeId::kInt:
    case TypeId::kBigint:
    case TypeId::kTimestamp: {
      int64_t i;
      double d;
      if (!v.get_int64().get(i)) {
        if (t == TypeId::kInt && (i < INT32_MIN || i > INT32_MAX))
          return bad_number(raw, "out of range for INT");
        c.SetInt(row, i);
        return Status::OK();
      }
      if (ParseInt64Checked(raw, &i) == NumberParse::kOutOfRange)
        return bad_number(raw, "out of range for " + field.type.ToString());
      // 1e3 or 2.0: whole numbers written as decimals are taken; 1.5 is not.
      if (!v.get_double().get(d) && d == std::floor(d) && std::fabs(d) < 9.2e18) {
        if (t == TypeId::kInt && (d < INT32_MIN || d > INT32_MAX))
          return bad_number(raw, "out of range for INT");
        c.SetInt(row, static_cast<int64_t>(d));
        return Status::OK();
      }
      if (!v.get_double().get(d) && std::fabs(d) >= 9.2e18)
        return bad_number(raw, "out of range for " + field.type.ToString());
      return bad_number(raw, "not an integer");
    }
    case TypeId::kFloat:
    case TypeId::kDouble: {
      double d;
      if (v.get_double().get(d))
        return bad_number(raw, "out of range for " + field.type.ToString());
      if (t == TypeId::kFloat && std::fabs(d) > 3.4028234663852886e38)
        return bad_number(raw, "out of range for FLOAT");
      c.SetDouble(row, t == TypeId::kFloat ? static_cast<float>(d) : d);
      return Status::OK();
    }
    case TypeId::kDecimal: {
      Value text{raw};
      if (!batch->SetValue(row, col, text))
        return bad_number(raw, ConversionProblem(text, field.type));
      return Status::OK();
    }
    case TypeId::kBool:
      return bad(TypeName(jt));
    default:
      return bad(TypeName(jt));
  }
}

// Nothing may follow the document's value: {"a":1}{"a":2} is two values, not one event.
Status CheckNothingFollows(od::document& doc, od::json_type jt, std::string_view json) {
  std::string_view whole;
  bool bad;
  if (jt == od::json_type::object) {
    od::object o;
    bad = doc.get_object().get(o) || o.raw_json().get(whole);
  } else {
    od::array a;
    bad = doc.get_array().get(a) || a.raw_json().get(whole);
  }
  if (bad) return Status::InvalidArgument("not valid JSON");
  std::string_view trimmed = TrimRight(json);
  size_t lead = trimmed.find_first_not_of(" \t");
  if (lead == std::string_view::npos || whole.size() != trimmed.size() - lead) {
    // The on-demand parser skips an object by its brackets: a value that does not end with its
    // closing bracket was cut short by a syntax error inside it, such as a single quote.
    char close = jt == od::json_type::object ? '}' : ']';
    std::string_view value = TrimRight(whole);
    if (value.empty() || value.back() != close) return Status::InvalidArgument("not valid JSON");
    return Status::InvalidArgument("unexpected text after the JSON value");
  }
  doc.rewind();
  return Status::OK();
}

}  // namespace

Status JsonRowDecoder::Decode(std::string_view json, Batch* batch, size_t row) {
  Impl& m = *impl_;
  m.buffer.assign(json);
  m.buffer.resize(json.size() + simdjson::SIMDJSON_PADDING);
  od::document doc;
  if (m.parser.iterate(m.buffer.data(), json.size(), m.buffer.size()).get(doc))
    return Status::InvalidArgument("not valid JSON");
  od::json_type jt;
  if (doc.type().get(jt)) return Status::InvalidArgument("not valid JSON");
  const Schema& schema = m.schema;
  if (jt != od::json_type::object && jt != od::json_type::array)
    return Status::InvalidArgument("expected a JSON object or array, got " + TypeName(jt));
  RETURN_IF_ERROR(CheckNothingFollows(doc, jt, json));
  if (jt == od::json_type::object) {
    od::object obj;
    if (doc.get_object().get(obj)) return Status::InvalidArgument("not valid JSON");
    m.seen.assign(schema.size(), 0);
    m.unknown.clear();
    size_t known = 0;
    for (auto field : obj) {
      std::string_view key;
      if (field.unescaped_key().get(key)) return Status::InvalidArgument("malformed JSON key");
      od::value v;
      if (field.value().get(v)) return Status::InvalidArgument("malformed JSON value");
      int idx = schema.IndexOf(key);
      if (idx < 0) {
        if (std::find(m.unknown.begin(), m.unknown.end(), key) != m.unknown.end())
          return Status::InvalidArgument("key \"" + std::string(key) + "\" appears twice");
        m.unknown.emplace_back(key);
        if (!IsValidJson(v))
          return Status::InvalidArgument("\"" + std::string(key) + "\": not a valid JSON value");
        continue;
      }
      if (m.seen[static_cast<size_t>(idx)]++)
        return Status::InvalidArgument("key \"" + std::string(key) + "\" appears twice");
      ++known;
      RETURN_IF_ERROR(DecodeValue(v, schema.field(idx), batch, idx, row));
    }
    if (known == 0 && !m.unknown.empty()) {
      auto has = [&](const char* k) {
        return std::find(m.unknown.begin(), m.unknown.end(), k) != m.unknown.end();
      };
      if (has("stream") && (has("values") || has("data")))
        return Status::InvalidArgument(
            "this is a replay line ({\"stream\": ..., \"values\": ...}); a source reads one "
            "event per line, as {\"attribute\": value, ...} or [value, ...] (use `sluice replay` "
            "for replay files)");
      std::string keys;
      for (size_t i = 0; i < m.unknown.size() && i < 5; ++i) keys += (i ? ", " : "") + m.unknown[i];
      return Status::InvalidArgument("none of its keys (" + keys + ") is an attribute of " +
                                     schema.ToString());
    }
    return Status::OK();
  }
  od::array arr;
  if (doc.get_array().get(arr)) return Status::InvalidArgument("not valid JSON");
  size_t i = 0;
  for (auto element : arr) {
    od::value v;
    if (element.get(v)) return Status::InvalidArgument("malformed JSON array");
    if (i >= schema.size()) {
      ++i;
      continue;
    }
    RETURN_IF_ERROR(DecodeValue(v, schema.field(i), batch, i, row));
    ++i;
  }
  if (i != schema.size())
    return Status::InvalidArgument("expected " + std::to_string(schema.size()) + " values " +
                                   schema.ToString() + ", got " + std::to_string(i));
  return Status::OK();
}

Status SplitJsonArray(std::string_view json, std::vector<std::string_view>* elements) {
  elements->clear();
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  size_t i = 0;
  while (i < json.size() && space(json[i])) ++i;
  if (i == json.size() || json[i] != '[') return Status::InvalidArgument("not a JSON array");
  ++i;
  // Only where each element ends is found here (brackets and braces outside strings); the
  // elements' own validity is for their decoder.
  int depth = 0;
  bool in_string = false;
  size_t begin = std::string_view::npos;
  for (; i < json.size(); ++i) {
    char c = json[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (space(c)) continue;
    if (begin == std::string_view::npos && c != ']') begin = i;
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    } else if (depth == 0 && (c == ',' || c == ']')) {
      if (begin == std::string_view::npos || begin == i) {
        if (c == ']' && elements->empty()) break;  // []
        return Status::InvalidArgument("an empty element at byte " + std::to_string(i + 1));
      }
      size_t end = i;
      while (end > begin && space(json[end - 1])) --end;
      elements->push_back(json.substr(begin, end - begin));
      begin = std::string_view::npos;
      if (c == ']') break;
    }
  }
  if (i >= json.size()) return Status::InvalidArgument("the array is not closed");
  for (++i; i < json.size(); ++i)
    if (!space(json[i])) return Status::InvalidArgument("text after the array");
  return Status::OK();
}

void AppendJsonObject(std::string* out, const Schema& schema, const Batch& batch, size_t row) {
  out->push_back('{');
  for (size_t c = 0; c < schema.size(); ++c) {
    if (c) out->push_back(',');
    AppendJsonString(out, schema.field(c).name);
    out->push_back(':');
    const Column& col = batch.column(c);
    if (col.IsNull(row)) {
      out->append("null");
      continue;
    }
    if (col.type().id == TypeId::kString) {
      AppendJsonString(out, col.strings()[row].view());
    } else if (col.type().id == TypeId::kNull) {
      out->append("null");
    } else {
      AppendFieldText(out, col, row);  // numbers and booleans read the same in JSON and CSV
    }
  }
  out->push_back('}');
}

Status ParseReplayLine(std::string_view line, ReplayLine* out) {
  static thread_local od::parser parser;
  static thread_local std::string buffer;
  buffer.assign(line);
  buffer.resize(line.size() + simdjson::SIMDJSON_PADDING);
  od::document doc;
  if (parser.iterate(buffer.data(), line.size(), buffer.size()).get(doc))
    return Status::InvalidArgument("not valid JSON");
  od::object obj;
  if (doc.get_object().get(obj))
    return Status::InvalidArgument(
        "not a JSON object; expected {\"stream\": ..., \"ts\": ..., \"values\": [...]}");
  *out = ReplayLine();
  bool has_payload = false, has_stream = false;
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return Status::InvalidArgument("malformed JSON key");
    od::value v;
    if (field.value().get(v)) return Status::InvalidArgument("malformed JSON value");
    if (key == "stream") {
      std::string_view s;
      if (v.get_string().get(s)) return Status::InvalidArgument("\"stream\" must be a string");
      out->stream = std::string(s);
      has_stream = true;
    } else if (key == "ts") {
      int64_t ts;
      if (v.get_int64().get(ts))
        return Status::InvalidArgument("\"ts\" must be an integer (milliseconds)");
      out->ts = ts;
      out->has_ts = true;
    } else if (key == "op") {
      std::string_view op;
      if (v.get_string().get(op) || (op != "+I" && op != "-U" && op != "+U" && op != "-D"))
        return Status::InvalidArgument("\"op\" must be \"+I\", \"-U\", \"+U\" or \"-D\"");
      out->op = std::string(op);
    } else if (key == "advance_to") {
      int64_t ts;
      if (v.get_int64().get(ts))
        return Status::InvalidArgument("\"advance_to\" must be an integer (milliseconds)");
      out->is_advance = true;
      out->advance_to = ts;
    } else if (key == "values" || key == "data") {
      std::string_view raw;
      od::json_type jt;
      if (v.type().get(jt))
        return Status::InvalidArgument("malformed \"" + std::string(key) + "\"");
      bool bad = true;
      if (jt == od::json_type::array && key == "values") {
        od::array a;
        bad = v.get_array().get(a) || a.raw_json().get(raw);
      } else if (jt == od::json_type::object && key == "data") {
        od::object o;
        bad = v.get_object().get(o) || o.raw_json().get(raw);
      }
      if (bad)
        return Status::InvalidArgument("\"" + std::string(key) + "\" must be " +
                                       (key == "values" ? "an array" : "an object"));
      out->payload = std::string(raw);
      has_payload = true;
    } else {
      return Status::InvalidArgument("unknown key \"" + std::string(key) +
                                     "\" (expected stream, ts, op, values or data, or advance_to)");
    }
  }
  if (out->is_advance) {
    if (has_stream || has_payload)
      return Status::InvalidArgument("an advance_to line has no stream or values");
    return Status::OK();
  }
  if (!has_stream) return Status::InvalidArgument("missing \"stream\"");
  if (!has_payload) return Status::InvalidArgument("missing \"values\" or \"data\"");
  return Status::OK();
}

}  // namespace sluice::connectors
