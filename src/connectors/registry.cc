#include "connectors/registry.h"

namespace sluice::connectors {

namespace {

const ConnectorFactory kConnectors[] = {
    {"file", MakeFileSource, MakeFileSink},
    {"stdin", MakeStdinSource, nullptr},
    {"stdout", nullptr, MakeStdoutSink},
    {"generator", MakeGeneratorSource, nullptr},
    {"kafka", MakeKafkaSource, MakeKafkaSink},
    {"redis", nullptr, MakeRedisSink, MakeRedisTableStore},
    {"http", MakeHttpSource, MakeHttpSink},
    {"postgres", MakePostgresSource, MakePostgresSink, MakePostgresTableStore},
};

}  // namespace

std::span<const ConnectorFactory> Connectors() { return kConnectors; }

const ConnectorFactory* FindConnector(std::string_view name) {
  for (const ConnectorFactory& c : kConnectors)
    if (c.name == name) return &c;
  return nullptr;
}

Result<std::unique_ptr<Source>> MakeSource(const plan::StreamDef& def) {
  const std::string& name = def.connector->connector;
  const ConnectorFactory* c = FindConnector(name);
  if (!c || !c->source)
    return Status::NotSupported("not supported yet: source connector '" + name + "'");
  return c->source(def);
}

Result<std::unique_ptr<Sink>> MakeSink(const plan::StreamDef& def, const SinkOpen& open) {
  const std::string& name = def.connector->connector;
  const ConnectorFactory* c = FindConnector(name);
  if (!c || !c->sink)
    return Status::NotSupported("not supported yet: sink connector '" + name + "'");
  return c->sink(def, open);
}

Result<std::unique_ptr<exec::TableStore>> MakeTableStore(const plan::StreamDef& def) {
  const std::string& name = def.connector->connector;
  const ConnectorFactory* c = FindConnector(name);
  if (!c || !c->table_store)
    return Status::NotSupported("not supported yet: a table that lives in '" + name + "'");
  return c->table_store(def);
}

}  // namespace sluice::connectors
