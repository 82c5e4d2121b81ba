// Every connector the engine runs, by name, with what makes its source and its sink: the one
// place that knows them all. The runtime makes sources and sinks through it (MakeSource,
// MakeSink) and includes no connector; `check` and Load ask it which connectors run.
#pragma once

#include <memory>
#include <span>
#include <string_view>

#include "connectors/connector.h"
#include "exec/table_cache.h"

namespace sluice::connectors {

struct ConnectorFactory {
  std::string_view name;
  Result<std::unique_ptr<Source>> (*source)(const plan::StreamDef& def);  // null: not a source
  // Null: not a sink.
  Result<std::unique_ptr<Sink>> (*sink)(const plan::StreamDef& def, const SinkOpen& open);
  // Lookups in the store of a table that lives there (exec/table_cache.h); null: none.
  Result<std::unique_ptr<exec::TableStore>> (*table_store)(const plan::StreamDef& def) = nullptr;
};

std::span<const ConnectorFactory> Connectors();
// A stream's source or sink, by its connector; NotSupported when this version does not run it.
Result<std::unique_ptr<Source>> MakeSource(const plan::StreamDef& def);
Result<std::unique_ptr<Sink>> MakeSink(const plan::StreamDef& def, const SinkOpen& open = {});
// The store of a table that lives in one (plan::ConnectorConfig::backs_table), connected once,
// and how its cache keeps rows and retries lookups ('cache.*', and the sink runtime's 'retry.*').
Result<std::unique_ptr<exec::TableStore>> MakeTableStore(const plan::StreamDef& def);
Result<exec::TableCacheOptions> TableCacheOptionsOf(const plan::StreamDef& def);
// The connector called `name`, or null when this version does not run it.
const ConnectorFactory* FindConnector(std::string_view name);

// Each connector's factories, defined in its own file.
Result<std::unique_ptr<Source>> MakeFileSource(const plan::StreamDef& def);
Result<std::unique_ptr<Source>> MakeStdinSource(const plan::StreamDef& def);
Result<std::unique_ptr<Sink>> MakeFileSink(const plan::StreamDef& def, const SinkOpen& open);
Result<std::unique_ptr<Sink>> MakeStdoutSink(const plan::StreamDef& def, const SinkOpen& open);
Result<std::unique_ptr<Source>> MakeGeneratorSource(const plan::StreamDef& def);
Result<std::unique_ptr<Source>> MakeKafkaSource(const plan::StreamDef& def);
Result<std::unique_ptr<Sink>> MakeKafkaSink(const plan::StreamDef& def, const SinkOpen& open);
Result<std::unique_ptr<Sink>> MakeRedisSink(const plan::StreamDef& def, const SinkOpen& open);
Result<std::unique_ptr<Source>> MakeHttpSource(const plan::StreamDef& def);
Result<std::unique_ptr<Sink>> MakeHttpSink(const plan::StreamDef& def, const SinkOpen& open);
Result<std::unique_ptr<Sink>> MakePostgresSink(const plan::StreamDef& def, const SinkOpen& open);
Result<std::unique_ptr<Source>> MakePostgresSource(const plan::StreamDef& def);
Result<std::unique_ptr<exec::TableStore>> MakeRedisTableStore(const plan::StreamDef& def);
Result<std::unique_ptr<exec::TableStore>> MakePostgresTableStore(const plan::StreamDef& def);

}  // namespace sluice::connectors
