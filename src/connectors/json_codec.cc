#include "connectors/json_codec.h"

#include <simdjson.h>
#include <cmath>

#include "common/format.h"

namespace sluice::connectors {

namespace od = simdjson::ondemand;

struct JsonRowDecoder::Impl {
  Schema schema;
  od::parser parser;
  std::string buffer;  // padded copy of the input
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

// Stores one JSON value into `col` of `row`, converting as SQL assignment does.
Status DecodeValue(od::value v, const Field& field, Batch* batch, size_t col, size_t row) {
  od::json_type jt;
  if (v.type().get(jt)) return Status::InvalidArgument("malformed JSON at '" + field.name + "'");
  Column& c = batch->column(col);
  if (jt == od::json_type::null) {
    c.SetNull(row);
    return Status::OK();
  }
  auto bad = [&](std::string_view got) {
    return Status::InvalidArgument("'" + field.name + "' is " + field.type.ToString() + ", got " +
                                   std::string(got));
  };
  TypeId t = field.type.id;
  if (t == TypeId::kString) {
    if (jt == od::json_type::string) {
      std::string_view s;
      if (v.get_string().get(s)) return bad("a malformed string");
      batch->SetString(row, col, s);
      return Status::OK();
    }
    if (jt == od::json_type::object || jt == od::json_type::array) return bad(TypeName(jt));
    std::string_view raw = v.raw_json_token();
    while (!raw.empty() &&
           (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' || raw.back() == '\t'))
      raw.remove_suffix(1);
    batch->SetString(row, col, raw);
    return Status::OK();
  }
  if (jt == od::json_type::string) {
    // Numbers, booleans and times may arrive quoted; they are parsed as CAST would.
    std::string_view s;
    if (v.get_string().get(s)) return bad("a malformed string");
    Value text{s};
    if (!batch->SetValue(row, col, text)) return bad("\"" + std::string(s) + "\"");
    return Status::OK();
  }
  switch (t) {
    case TypeId::kBool: {
      bool b;
      if (jt != od::json_type::boolean || v.get_bool().get(b)) return bad(TypeName(jt));
      c.SetInt(row, b);
      return Status::OK();
    }
    case TypeId::kInt:
    case TypeId::kBigint:
    case TypeId::kTimestamp: {
      if (jt != od::json_type::number) return bad(TypeName(jt));
      int64_t i;
      if (!v.get_int64().get(i)) {
        if (t == TypeId::kInt && (i < INT32_MIN || i > INT32_MAX))
          return bad(std::to_string(i) + " (out of INT range)");
        c.SetInt(row, i);
        return Status::OK();
      }
      double d;
      if (!v.get_double().get(d) && d == std::floor(d) && std::fabs(d) < 9e18) {
        c.SetInt(row, static_cast<int64_t>(d));
        return Status::OK();
      }
      return bad(std::string(v.raw_json_token()) + " (not an integer)");
    }
    case TypeId::kFloat:
    case TypeId::kDouble: {
      double d;
      if (jt != od::json_type::number || v.get_double().get(d)) return bad(TypeName(jt));
      c.SetDouble(row, t == TypeId::kFloat ? static_cast<float>(d) : d);
      return Status::OK();
    }
    case TypeId::kDecimal: {
      if (jt != od::json_type::number) return bad(TypeName(jt));
      std::string_view raw = v.raw_json_token();
      while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r'))
        raw.remove_suffix(1);
      int64_t x;
      if (!ParseDecimal(raw, field.type.scale, &x)) return bad(std::string(raw));
      c.SetInt(row, x);
      return Status::OK();
    }
    default:
      return bad(TypeName(jt));
  }
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
  if (jt == od::json_type::object) {
    od::object obj;
    if (doc.get_object().get(obj)) return Status::InvalidArgument("not valid JSON");
    for (auto field : obj) {
      std::string_view key;
      if (field.unescaped_key().get(key)) return Status::InvalidArgument("malformed JSON key");
      int idx = schema.IndexOf(key);
      if (idx < 0) continue;
      od::value v;
      if (field.value().get(v)) return Status::InvalidArgument("malformed JSON value");
      RETURN_IF_ERROR(DecodeValue(v, schema.field(idx), batch, idx, row));
    }
    return Status::OK();
  }
  if (jt == od::json_type::array) {
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
  return Status::InvalidArgument("expected a JSON object or array, got " + TypeName(jt));
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
    DataType t = col.type();
    switch (t.id) {
      case TypeId::kBool:
        out->append(col.ints()[row] ? "true" : "false");
        break;
      case TypeId::kInt:
      case TypeId::kBigint:
      case TypeId::kTimestamp:
        AppendInt(out, col.ints()[row]);
        break;
      case TypeId::kDecimal:
        AppendDecimal(out, col.ints()[row], t.scale);
        break;
      case TypeId::kFloat:
      case TypeId::kDouble:
        AppendDouble(out, col.doubles()[row], t.id == TypeId::kFloat);
        break;
      case TypeId::kString:
        AppendJsonString(out, col.strings()[row].view());
        break;
      case TypeId::kNull:
        out->append("null");
        break;
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
                                     "\" (expected stream, ts, values or data, or advance_to)");
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
