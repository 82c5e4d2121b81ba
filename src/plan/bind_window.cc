// Windows: WINDOW(...) and the SQL forms (TUMBLING, SLIDING, SESSION) checked and planned, and
// window_start / window_end.
#include "plan/binder_internal.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <set>

#include "common/format.h"
#include "common/row_key.h"
#include "plan/plan.h"
#include "plan/stream_graph.h"
#include "plan/type_rules.h"
#include "sql/parser.h"

namespace sluice::plan::binding {

extern const std::vector<std::string> kWindowKinds;
const std::vector<std::string> kWindowKinds = {
    "length",       "lengthBatch",       "time",     "timeBatch",     "timeLength",
    "externalTime", "externalTimeBatch", "sort",     "session",       "delay",
    "unique",       "firstUnique",       "frequent", "lossyFrequent", "expression",
    "tumbling",     "sliding",           "cron"};

std::optional<WindowPlan> Binder::BuildWindow(const sql::WindowSpec& w, const StreamDef* def) {
  if (!CheckWindow(w, def)) return std::nullopt;
  using K = WindowPlan::Kind;
  static const std::map<std::string, K> kKinds = {{"length", K::kLength},
                                                  {"lengthBatch", K::kLengthBatch},
                                                  {"time", K::kTime},
                                                  {"timeBatch", K::kTimeBatch},
                                                  {"tumbling", K::kTimeBatch},
                                                  {"timeLength", K::kTimeLength},
                                                  {"externalTime", K::kExternalTime},
                                                  {"externalTimeBatch", K::kExternalTimeBatch},
                                                  {"sliding", K::kSliding},
                                                  {"session", K::kSession},
                                                  {"sort", K::kSort},
                                                  {"unique", K::kUnique},
                                                  {"firstUnique", K::kFirstUnique},
                                                  {"delay", K::kDelay},
                                                  {"frequent", K::kFrequent},
                                                  {"lossyFrequent", K::kLossyFrequent},
                                                  {"expression", K::kExpression}};
  auto it = kKinds.find(w.kind);
  if (it == kKinds.end()) {
    NotSupported(w.loc, w.ToSql(), 6);
    return std::nullopt;
  }
  WindowPlan p;
  p.kind = it->second;
  p.sql = w.ToSql();
  Scope scope;
  scope.inputs.push_back({def->name, "", &def->schema, 0});
  auto column = [&](const Expr& e, const char* what) {
    BoundExprPtr b = BindExpr(e, scope);
    if (!b) return -1;
    if (b->kind != BoundExpr::Kind::kColumn) {
      diags_->Error(e.loc, w.ToSql() + " needs an attribute as its " + what + ", got " + e.ToSql());
      return -1;
    }
    return b->column;
  };
  auto num = [](const Expr& e) { return e.literal.int_value(); };
  const auto& a = w.args;
  switch (p.kind) {
    case K::kLength:
    case K::kLengthBatch:
      p.length = num(*a[0]);
      break;
    case K::kTime:
    case K::kDelay:
      p.time_ms = num(*a[0]);
      break;
    case K::kTimeBatch:
      p.time_ms = num(*a[0]);
      if (a.size() > 1) {
        p.has_start = true;
        p.start_ms = num(*a[1]);
      }
      // TUMBLING(size[, offset]) is aligned to the epoch (plus the offset), as in Flink SQL and
      // ksqlDB; WINDOW('timeBatch', t) starts at its first event, as in Siddhi.
      if (w.kind == "tumbling") p.has_start = true;
      break;
    case K::kTimeLength:
      p.time_ms = num(*a[0]);
      p.length = num(*a[1]);
      break;
    case K::kExternalTime:
    case K::kExternalTimeBatch:
      p.time_column = column(*a[0], "time attribute");
      p.time_ms = num(*a[1]);
      if (a.size() > 2) {
        if (a[2]->kind != Expr::Kind::kLiteral || a[2]->literal.type() == TypeId::kString) {
          diags_->Error(a[2]->loc, w.ToSql() + " takes a start time in ms as its third argument");
        } else {
          p.has_start = true;
          p.start_ms = num(*a[2]);
        }
      }
      break;
    case K::kSliding:
      p.time_ms = num(*a[0]);
      p.slide_ms = num(*a[1]);
      break;
    case K::kSession:
      p.time_ms = num(*a[0]);
      if (a.size() > 1) p.key_column = column(*a[1], "session key");
      break;
    case K::kSort: {
      p.length = num(*a[0]);
      p.key_column = column(*a[1], "sort attribute");
      if (a.size() > 2) {
        std::string order =
            a[2]->kind == Expr::Kind::kLiteral && a[2]->literal.type() == TypeId::kString
                ? a[2]->literal.string_value()
                : "";
        for (char& c : order) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (order != "asc" && order != "desc")
          diags_->Error(a[2]->loc, w.ToSql() + ": the order is 'asc' or 'desc'");
        p.descending = order == "desc";
      }
      break;
    }
    case K::kUnique:
    case K::kFirstUnique:
      p.key_column = column(*a[0], "key");
      break;
    case K::kFrequent:
      p.length = num(*a[0]);
      for (size_t i = 1; i < a.size(); ++i) p.key_columns.push_back(column(*a[i], "key"));
      break;
    case K::kLossyFrequent: {
      auto real = [&](const Expr& e, double* out) {
        if (e.kind != Expr::Kind::kLiteral || e.is_duration ||
            e.literal.type() == TypeId::kString || e.literal.is_null() ||
            e.literal.AsDouble() <= 0 || e.literal.AsDouble() >= 1) {
          diags_->Error(e.loc,
                        w.ToSql() + " needs support and error between 0 and 1, got " + e.ToSql());
          return false;
        }
        *out = e.literal.AsDouble();
        return true;
      };
      if (!real(*a[0], &p.support)) return std::nullopt;
      p.error = p.support / 10;
      size_t first_key = 1;
      if (a.size() > 1 && a[1]->kind == Expr::Kind::kLiteral) {
        if (!real(*a[1], &p.error)) return std::nullopt;
        first_key = 2;
      }
      if (p.error >= p.support) {
        diags_->Error(w.loc, w.ToSql() + ": the error must be smaller than the support", "", 6);
        return std::nullopt;
      }
      for (size_t i = first_key; i < a.size(); ++i) p.key_columns.push_back(column(*a[i], "key"));
      break;
    }
    case K::kExpression: {
      // The condition is SQL in a string: parsed and bound here, errors reported at the string.
      const Expr& text = *a[0];
      sql::Diagnostics inner;
      sql::ExprPtr cond = sql::ParseExpression(text.literal.string_value(), &inner);
      for (const sql::Diagnostic& d : inner.all())
        diags_->Error(text.loc, w.ToSql() + ": " + d.message + " (at column " +
                                    std::to_string(d.loc.col) + " of the condition)");
      if (!cond) return std::nullopt;
      Scope cs = scope;
      cs.allow_aggregates = true;
      cs.clause = "a window condition";
      BoundExprPtr b = BindCondition(*cond, cs, "WINDOW('expression')");
      if (!b) return std::nullopt;
      ExtractAggregates(b, static_cast<int>(def->schema.size()), &p.condition_aggregates);
      p.condition = std::move(b);
      break;
    }
  }
  for (int c : p.key_columns)
    if (c < 0) return std::nullopt;
  if ((p.kind == K::kExternalTime || p.kind == K::kExternalTimeBatch) && p.time_column < 0)
    return std::nullopt;
  return p;
}

bool Binder::CheckWindow(const sql::WindowSpec& w, const StreamDef* def) {
  int before = diags_->error_count();
  bool known = false;
  for (const auto& k : kWindowKinds) known |= k == w.kind;
  if (!known) {
    diags_->Error(w.loc, "unknown window '" + w.kind + "'", sql::DidYouMean(w.kind, kWindowKinds),
                  6);
    return false;
  }
  Scope scope;
  if (def) scope.inputs.push_back({def->name, "", &def->schema, 0});
  auto need = [&](size_t min, size_t max) {
    if (w.args.size() < min || w.args.size() > max) {
      std::string range =
          min == max ? std::to_string(min) : std::to_string(min) + " to " + std::to_string(max);
      diags_->Error(w.loc, w.ToSql() + " takes " + range + " argument(s) after the kind", "", 6);
      return false;
    }
    return true;
  };
  const std::string& k = w.kind;
  if (k == "length" || k == "lengthBatch") {
    if (need(1, 2)) CheckCount(*w.args[0], "WINDOW('" + k + "', n)");
  } else if (k == "time" || k == "timeBatch" || k == "tumbling" || k == "delay") {
    if (need(1, k == "timeBatch" || k == "tumbling" ? 2 : 1)) {
      CheckDuration(*w.args[0], w.ToSql());
      if (w.args.size() == 2) {
        const Expr& start = *w.args[1];
        if (start.kind != Expr::Kind::kLiteral ||
            !(start.is_duration || start.literal.type() == TypeId::kInt ||
              start.literal.type() == TypeId::kBigint))
          diags_->Error(start.loc,
                        w.ToSql() +
                            (k == "tumbling" ? " takes an offset such as 2 HOURS"
                                             : " takes a start time in ms") +
                            " as its second argument, got " + start.ToSql(),
                        "", start.length);
      }
    }
  } else if (k == "sliding") {
    if (need(2, 2)) {
      CheckDuration(*w.args[0], w.ToSql());
      CheckDuration(*w.args[1], w.ToSql());
    }
  } else if (k == "timeLength") {
    if (need(2, 2)) {
      CheckDuration(*w.args[0], w.ToSql());
      CheckCount(*w.args[1], w.ToSql());
    }
  } else if (k == "externalTime" || k == "externalTimeBatch") {
    if (need(2, 3)) {
      BoundExprPtr ts = BindExpr(*w.args[0], scope);
      if (ts && !ts->type.is_integer() && ts->type.id != TypeId::kTimestamp)
        diags_->Error(w.args[0]->loc, w.ToSql() +
                                          " needs a BIGINT or TIMESTAMP time attribute, "
                                          "got " +
                                          ts->type.ToString());
      CheckDuration(*w.args[1], w.ToSql());
    }
  } else if (k == "session") {
    if (need(1, 2)) {
      CheckDuration(*w.args[0], w.ToSql());
      if (w.args.size() == 2) BindExpr(*w.args[1], scope);
    }
  } else if (k == "sort") {
    if (need(2, 3)) {
      CheckCount(*w.args[0], w.ToSql());
      BindExpr(*w.args[1], scope);
    }
  } else if (k == "unique" || k == "firstUnique") {
    if (need(1, 1)) BindExpr(*w.args[0], scope);
  } else if (k == "frequent") {
    if (need(1, 64)) CheckCount(*w.args[0], w.ToSql());
  } else if (k == "lossyFrequent") {
    need(1, 64);
  } else if (k == "expression") {
    if (need(1, 1) &&
        (w.args[0]->kind != Expr::Kind::kLiteral || w.args[0]->literal.type() != TypeId::kString))
      diags_->Error(w.args[0]->loc, w.ToSql() +
                                        " takes its condition as a string, e.g. "
                                        "WINDOW('expression', 'count() <= 20')");
  }
  return diags_->error_count() == before;
}

void Binder::CheckDuration(const Expr& e, const std::string& where) {
  if (e.kind == Expr::Kind::kLiteral &&
      (e.is_duration || e.literal.type() == TypeId::kInt || e.literal.type() == TypeId::kBigint)) {
    if (e.literal.int_value() <= 0)
      diags_->Error(e.loc, where + " needs a positive duration, got " + e.ToSql(), "", e.length);
    return;
  }
  diags_->Error(e.loc, where + " needs a duration such as 5 SECONDS, got " + e.ToSql(), "",
                e.length);
}

void Binder::CheckCount(const Expr& e, const std::string& where) {
  if (e.kind == Expr::Kind::kLiteral && !e.is_duration &&
      (e.literal.type() == TypeId::kInt || e.literal.type() == TypeId::kBigint)) {
    if (e.literal.int_value() <= 0)
      diags_->Error(e.loc, where + " needs a positive integer, got " + e.ToSql(), "", e.length);
    return;
  }
  diags_->Error(e.loc, where + " needs a positive integer, got " + e.ToSql(), "", e.length);
}

BoundExprPtr Binder::WindowBound(const Expr& e, Scope& scope) {
  const QueryPlan* q = scope.query;
  bool end = e.name == "window_end";
  if (!q || !q->window) {
    diags_->Error(e.loc,
                  e.name +
                      " is the bound of a window: it needs a windowed aggregate and is "
                      "known in SELECT, HAVING and ORDER BY",
                  "", e.length);
    return nullptr;
  }
  const WindowPlan& w = *q->window;
  // Without aggregates a closing window emits its events with their own times: the row says
  // nothing of the window's bounds.
  if (!scope.query_aggregates) {
    diags_->Error(e.loc,
                  e.name +
                      " is the bound of the window that produced an aggregate row; this "
                      "query does not aggregate",
                  "add GROUP BY or an aggregate such as count()", e.length);
    return nullptr;
  }
  using K = WindowPlan::Kind;
  std::string size = std::to_string(w.time_ms);
  std::string text;
  bool on_close = q->EmitsOnClose();
  if (w.kind == K::kSession) {
    text = end ? (on_close ? "eventTimestamp()" : "max(eventTimestamp()) + " + size)
               : "min(eventTimestamp())";
  } else if ((w.kind == K::kTimeBatch || w.kind == K::kSliding ||
              w.kind == K::kExternalTimeBatch) &&
             on_close) {
    text = end ? "eventTimestamp()" : "eventTimestamp() - " + size;
  } else if (w.kind == K::kTimeBatch && w.has_start) {
    // Per event: the aligned window that holds the event's time (a floor modulo).
    std::string start = "eventTimestamp() - mod(mod(eventTimestamp() - " +
                        std::to_string(w.start_ms) + ", " + size + ") + " + size + ", " + size +
                        ")";
    text = end ? start + " + " + size : start;
  } else {
    diags_->Error(e.loc,
                  e.name +
                      " is defined for the windows that close: TUMBLING, SLIDING, SESSION, "
                      "timeBatch and externalTimeBatch (per event only for TUMBLING and "
                      "SESSION); this query has " +
                      w.sql,
                  "", e.length);
    return nullptr;
  }
  sql::Diagnostics inner;
  sql::ExprPtr expr = sql::ParseExpression("CAST(" + text + " AS TIMESTAMP)", &inner);
  BoundExprPtr b = expr ? BindExpr(*expr, scope) : nullptr;
  if (!b) {
    diags_->Error(e.loc, "internal: cannot compute " + e.name + " for " + w.sql);
    return nullptr;
  }
  b->text = e.name;
  b->loc = e.loc;
  return b;
}

}  // namespace sluice::plan::binding
