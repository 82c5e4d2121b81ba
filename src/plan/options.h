// Validation of annotations (@app, @Async, @config, @onError, @name, @info) and WITH properties.
// Every option is checked by name and value; an unknown one is an error that names it and, where a
// known option is close, suggests it.
#pragma once

#include <string>
#include <vector>

#include "plan/catalog.h"
#include "sluice/status.h"
#include "sql/ast.h"
#include "sql/diagnostics.h"

namespace sluice::plan {

// How much keyed state a query may keep (Flink's table.exec.state.ttl, plus a key limit): keys
// idle for ttl_ms are evicted, and a new key past max_keys is refused (a counted fault). 0: none.
struct StateLimits {
  int64_t ttl_ms = 0;
  int64_t max_keys = 0;
  bool bounded() const { return ttl_ms > 0 || max_keys > 0; }
};

// SET 'checkpoint.interval' / 'checkpoint.retain'; 0 where the app does not set them (the
// runtime's options, then its defaults, decide).
struct CheckpointSettings {
  int64_t interval_ms = 0;
  int64_t retain = 0;
};

struct AppSettings {
  std::string name = "SluiceApp";
  bool async = false;
  StateLimits state;  // SET 'state.ttl' / 'state.max.keys': every query's default
  CheckpointSettings checkpoint;
};

// A time amount as options write it: "5000" (ms), "5s", "100ms", "5 min", "1 hour".
bool ParseDurationText(const std::string& text, int64_t* ms);
// An amount of bytes as options write it: "1048576", "512KB", "64 MB", "1GB" (powers of 1024).
bool ParseByteSize(const std::string& text, int64_t* bytes);

AppSettings ApplyAppAnnotations(const std::vector<sql::Annotation>& annotations,
                                sql::Diagnostics* diags);

// Applies the app's SET statements ('state.*', 'checkpoint.*') to `settings`.
void ApplySettings(const std::vector<sql::Property>& statements, AppSettings* settings,
                   sql::Diagnostics* diags);

// Applies @Async, @config and @onError to `def`; `app` gives the app-wide async default.
void ApplyStreamAnnotations(const std::vector<sql::Annotation>& annotations, const AppSettings& app,
                            StreamDef* def, sql::Diagnostics* diags);

// Applies WITH properties (connector, format, event time, ...) to `def`, whose schema is final.
void ApplyWithProperties(const std::vector<sql::Property>& properties, StreamDef* def,
                         sql::Diagnostics* diags);

// Whether annotation `a` is @<name>, in any case.
bool IsAnnotation(const sql::Annotation& a, const std::string& name);

struct MissingRowPlan;
// @join(missing='skip' | 'nulls' | 'defaults' | 'retry' | 'fail', default_<attribute>='value',
// retries='3', delay='100 ms') on a query joining `table` (the seed's names SkipRecord,
// EmitWithNulls, UseDefaults, WaitAndRetry and FailFast too).
void ApplyJoinAnnotation(const sql::Annotation& a, const StreamDef& table, sql::Diagnostics* diags,
                         MissingRowPlan* out);

// The query's name from @name('q') or @info(name='q'); `fallback` when there is none. A query's
// @onError(action=...) (its own error strategy: fail fast, dead-letter to the fault stream, or
// skip) goes to *on_error.
// @state(ttl='1 hour', max_keys='1000') sets the query's own *state limits (which start as the
// app's).
std::string ApplyQueryAnnotations(const std::vector<sql::Annotation>& annotations,
                                  const std::string& fallback, sql::Diagnostics* diags,
                                  ErrorAction* on_error, StateLimits* state);

// A key template as sinks take it ('key'='user:{id}'): literal text with {attribute} parts. A
// value without braces names one attribute, or, when `literal_ok` and it names none, is literal
// text (a Redis stream or channel name). The error names the unknown attribute.
struct KeyTemplatePart {
  std::string text;  // literal text, when column < 0
  int column = -1;
};
Result<std::vector<KeyTemplatePart>> ParseKeyTemplate(const std::string& text, const Schema& schema,
                                                      bool literal_ok);

// Connectors the dialect knows (whether this version runs them: connectors/registry.h).
bool IsKnownConnector(const std::string& name);

}  // namespace sluice::plan
