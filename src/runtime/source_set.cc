#include "runtime/source_set.h"

#include "common/log.h"
#include "exec/staged_work.h"

namespace sluice::runtime {

size_t SourceSet::Add(std::unique_ptr<connectors::Source> src, const plan::StreamDef* def,
                      StreamJunction* junction, StreamInput* input, exec::Table* table,
                      exec::BatchConsumer* changelog, const std::string* resume) {
  auto e = std::make_unique<Entry>();
  e->def = def;
  e->junction = junction;
  e->input = input;
  if (hooks_.gate) e->door = hooks_.gate->NewDoor();
  if (resume) e->position = *resume;
  if (table) e->loader = std::make_unique<TableLoader>(*def, table, changelog, src.get());
  e->source = std::move(src);
  e->where = e->source->where();
  entries_.push_back(std::move(e));
  return entries_.size() - 1;
}

Status SourceSet::Emit(Entry& e, const Batch& batch, std::string_view position) {
  EntryGate::Pass pass(hooks_.gate, e.door);
  LogBatch logged(e.def->name, e.where, position);
  uint64_t seq = e.acks->Begin();
  Status st;
  {
    exec::ScopedAckTicket ticket({e.acks.get(), seq});
    if (!e.loader) {
      st = e.input->SendStamped(batch);
    } else if (hooks_.stopping() && !hooks_.status().ok()) {
      st = hooks_.status();
    } else {
      if (uint64_t rejected = e.loader->Apply(batch)) e.junction->CountMalformed(rejected);
      exec::RunStagedWork();  // what the changelog staged, now that no lock is held
    }
  }
  e.acks->Release(seq);
  if (st.ok() && hooks_.gate) e.position.assign(position);
  return st;
}

void SourceSet::Launch(size_t i) {
  Entry* e = entries_[i].get();
  threads_.emplace_back([this, e] {
    connectors::SourceContext ctx;
    ctx.clock = hooks_.clock;
    ctx.checkpoints = hooks_.gate != nullptr;
    ctx.emit = [this, e](const Batch& b, std::string_view position) {
      return Emit(*e, b, position);
    };
    exec::AckTracker* acks = e->acks.get();
    ctx.processed_through = [acks] { return acks->DoneThrough(); };
    ctx.stopping = hooks_.stopping;
    ctx.malformed = [e](const std::string& where, const std::string& problem) {
      e->junction->CountMalformed();
      if (e->loader) e->loader->CountRejected();
      Log(LogLevel::kWarn,
          std::string(e->def->is_table ? "table " : "stream ") + e->def->name + ": " + where +
              ": " + problem,
          {{e->def->is_table ? "table" : "stream", e->def->name},
           {"where", where},
           {"problem", problem}});
    };
    Status st = e->source->Run(ctx);
    // The app's status first: Start() reports it, whichever of the two it sees first.
    if (!st.ok() && !hooks_.shutting_down()) hooks_.fail(st);
    if (e->loader && !hooks_.shutting_down()) e->loader->SourceEnded(st);
  });
}

void SourceSet::Join() {
  std::lock_guard<std::mutex> lock(join_mu_);
  for (std::thread& t : threads_)
    if (t.joinable()) t.join();
}

std::vector<TableLoader*> SourceSet::loaders() const {
  std::vector<TableLoader*> out;
  for (const auto& e : entries_)
    if (e->loader) out.push_back(e->loader.get());
  return out;
}

void SourceSet::AppendPositions(std::vector<std::pair<std::string, std::string>>* out) const {
  for (const auto& e : entries_)
    if (!e->position.empty()) out->emplace_back("source:" + e->def->name, e->position);
}

void SourceSet::Committed(const std::vector<std::pair<std::string, std::string>>& positions) {
  for (const auto& e : entries_)
    for (const auto& [name, position] : positions)
      if (name == "source:" + e->def->name) e->source->Committed(position);
}

void SourceSet::AppendStats(AppStats* s) const {
  for (const auto& e : entries_)
    if (e->loader) s->tables.push_back(e->loader->Stats());
  for (const auto& e : entries_) {
    const connectors::SourceProgress& p = e->source->progress();
    SourceStats src;
    src.stream = e->def->name;
    src.connector = e->def->connector->connector;
    src.where = e->source->where();
    src.records = p.records.load(std::memory_order_relaxed);
    src.bytes = p.bytes.load(std::memory_order_relaxed);
    src.total_bytes = p.total_bytes.load(std::memory_order_relaxed);
    src.total_records = p.total_records.load(std::memory_order_relaxed);
    src.finished = p.finished.load(std::memory_order_relaxed);
    s->sources.push_back(src);
  }
}

}  // namespace sluice::runtime
