// The runtime of a loaded app: junctions per stream, an operator per query, inputs, connectors.
// Synchronous by default: a batch sent into a stream is processed, through every query chained
// after it, on the sender's thread; each operator locks itself once per batch, and no lock is
// shared by all streams. Playback is the exception: one event-time timeline for the whole app,
// so its sends are serialised (process_mu_), which is what makes replays identical.
// With a state dir, every entry point passes a gate (runtime/entry_gate.h) that a checkpoint
// closes for its consistent cut (TakeCut); the newest checkpoint is restored at Start().
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "common/convert.h"
#include "common/format.h"
#include "common/log.h"
#include "common/time_math.h"
#include "connectors/registry.h"
#include "exec/ack.h"
#include "exec/event_time.h"
#include "exec/metric_op.h"
#include "exec/pipeline.h"
#include "exec/staged_work.h"
#include "exec/state/state_io.h"
#include "exec/table.h"
#include "plan/plan.h"
#include "plan/stream_graph.h"
#include "runtime/app_info.h"
#include "runtime/app_stats.h"
#include "runtime/async_stream.h"
#include "runtime/checkpointer.h"
#include "runtime/entry_gate.h"
#include "runtime/junction.h"
#include "runtime/source_set.h"
#include "runtime/statements.h"
#include "runtime/stream_input.h"
#include "runtime/table_loader.h"
#include "sluice/engine.h"
#include "sql/parser.h"

namespace sluice {

namespace {

class AppRuntimeImpl;

// Playback: the entry of an async stream on a loop. Defers what is inserted, so that a loop does
// not recurse into the queries that are feeding it.
class DeferredEntry final : public exec::BatchConsumer {
 public:
  DeferredEntry(AppRuntimeImpl* app, std::string stream) : app_(app), stream_(std::move(stream)) {}
  void Push(const Batch& batch) override;

 private:
  AppRuntimeImpl* app_;
  std::string stream_;
};

// A tap on a stream's junction, removed when destroyed.
class JunctionTap final : public StreamTap {
 public:
  JunctionTap(runtime::StreamJunction* junction, OutputCallback callback)
      : junction_(junction), id_(junction->AddTap(std::move(callback))) {}
  ~JunctionTap() override { junction_->RemoveTap(id_); }

 private:
  runtime::StreamJunction* junction_;
  uint64_t id_;
};

class AppRuntimeImpl final : public AppRuntime, public runtime::StreamInput::Publisher {
 public:
  AppRuntimeImpl(AppOptions options, std::unique_ptr<plan::AppPlan> plan, std::string warnings)
      : options_(std::move(options)), plan_(std::move(plan)), warnings_(std::move(warnings)) {
    clock_ = options_.playback ? static_cast<const Clock*>(&playback_clock_)
             : options_.clock  ? options_.clock
                               : &system_clock_;
  }

  ~AppRuntimeImpl() override { Shutdown(); }

  Status Build() {
    for (const auto& def : plan_->catalog.all())
      junctions_[def->name] = std::make_unique<runtime::StreamJunction>(def.get());
    // Async streams. Live, with queues and workers. In playback everything runs on the replaying
    // thread, so that results are identical on every run: an async stream is synchronous there,
    // except on a loop, where what is fed back waits in a FIFO until the batch that produced it
    // is done (see Defer).
    plan::StreamGraph graph(*plan_);
    for (const std::vector<const plan::StreamDef*>& component : graph.Components()) {
      bool loop = graph.IsLoop(component);
      if (loop && !options_.playback) loops_.push_back(std::make_unique<runtime::FeedbackLoop>());
      for (const plan::StreamDef* def : component) {
        if (!def->async.enabled || def->is_table || def->is_fault_stream) continue;
        if (options_.playback) {
          if (loop) deferred_entries_[def->name] = std::make_unique<DeferredEntry>(this, def->name);
          continue;
        }
        async_[def->name] = std::make_unique<runtime::AsyncStream>(
            *def, junctions_.at(def->name).get(), PartitionColumn(*def),
            loop ? loops_.back().get() : nullptr);
      }
      drain_order_.push_back({loop && !options_.playback ? loops_.back().get() : nullptr, {}});
      for (const plan::StreamDef* def : component)
        if (async_.count(def->name)) drain_order_.back().streams.push_back(def->name);
    }
    for (const auto& def : plan_->catalog.all())
      if (def->is_table) tables_[def->name] = std::make_unique<exec::Table>(*def);
    exec::PipelineContext ctx;
    ctx.clock = clock_;
    ctx.entry = [this](const std::string& stream) { return Entry(stream); };
    ctx.table = [this](const std::string& table) { return tables_.at(table).get(); };
    ctx.fail = [this](const Status& s) { Fail(s); };
    ctx.playback = options_.playback;
    for (const plan::QueryPlan& q : plan_->queries) {
      // A query that can be partitioned over its async input's workers runs as one instance per
      // worker, each fed only by its worker (the key groups it owns): no lock shared between them.
      int instances = Instances(q);
      for (int k = 0; k < instances; ++k) {
        ctx.instance = k;
        ASSIGN_OR_RETURN(std::unique_ptr<exec::Pipeline> p, exec::BuildPipeline(q, ctx));
        for (const auto& [stream, port] : p->inputs()) {
          runtime::StreamJunction* j = junctions_.at(stream->name).get();
          if (instances > 1) {
            j->SubscribeLane(static_cast<size_t>(k), port);
          } else {
            j->Subscribe(port);
          }
        }
        if (p->timed()) timed_.push_back(p->timed());
        pipelines_.push_back(std::move(p));
      }
      if (!q.table_write) inserted_.push_back(q.target->name);
    }
    for (const auto& def : plan_->catalog.all()) {
      if (def->is_fault_stream) inserted_.push_back(def->name);
      if (!def->is_fault_stream && !def->is_table)
        inputs_[def->name] = std::make_unique<runtime::StreamInput>(
            this, junctions_.at(def->name).get(), Entry(def->name));
    }
    if (!options_.state_dir.empty()) RETURN_IF_ERROR(SetUpCheckpoints());
    runtime::SourceSet::Hooks hooks;
    hooks.clock = clock_;
    hooks.gate = gate_.get();
    hooks.stopping = [this] { return stopping_.load() || failed_.load(); };
    hooks.shutting_down = [this] { return stopping_.load(); };
    hooks.status = [this] { return status(); };
    hooks.fail = [this](const Status& st) { Fail(st); };
    sources_ = std::make_unique<runtime::SourceSet>(std::move(hooks));
    return Status::OK();
  }

  // With a state dir: a door on every entry point, and the checkpointer.
  Status SetUpCheckpoints() {
    if (options_.playback)
      return Status::InvalidArgument(
          "a state dir is for live apps; replay is deterministic and restores with "
          "SnapshotState/RestoreState");
    gate_ = std::make_unique<runtime::EntryGate>();
    for (auto& [name, input] : inputs_) input->set_door(gate_.get(), gate_->NewDoor());
    timer_door_ = gate_->NewDoor();
    api_door_ = gate_->NewDoor();
    const plan::CheckpointSettings& set = plan_->settings.checkpoint;
    int64_t interval = options_.checkpoint_interval_ms != 0 ? options_.checkpoint_interval_ms
                       : set.interval_ms > 0                ? set.interval_ms
                                                            : 10'000;
    int retain = options_.checkpoint_retain > 0 ? options_.checkpoint_retain
                 : set.retain > 0               ? static_cast<int>(set.retain)
                                                : 3;
    checkpointer_ = std::make_unique<runtime::Checkpointer>(
        options_.state_dir, options_.env ? options_.env : Env::Default(), retain, interval,
        [this] { return TakeCut(); },
        [this](const state::CheckpointInfo& info) { CheckpointCompleted(info); });
    return Status::OK();
  }

  // How many instances of `q` run: one per worker of its async input when it is partitionable
  // there (live only: playback runs everything on one thread).
  int Instances(const plan::QueryPlan& q) const {
    std::vector<const plan::StreamDef*> sources = q.Sources();
    if (sources.size() != 1 || !async_.count(sources[0]->name)) return 1;
    const plan::StreamDef& def = *sources[0];
    if (def.async.workers <= 1 || !exec::Partitionable(q, PartitionColumn(def))) return 1;
    return def.async.workers;
  }

  // Where events for `stream` go in: its async queues, or its junction.
  exec::BatchConsumer* Entry(const std::string& stream) {
    auto it = async_.find(stream);
    if (it != async_.end()) return it->second.get();
    auto d = deferred_entries_.find(stream);
    if (d != deferred_entries_.end()) return d->second.get();
    return junctions_.at(stream).get();
  }

  // Playback: queues a copy of what a loop feeds back into `stream`. Requires process_mu_.
  void Defer(const std::string& stream, const Batch& batch) {
    if (batch.num_rows() == 0) return;
    Batch copy(junctions_.at(stream)->def().schema);
    copy.AppendRows(batch, 0, batch.num_rows());
    deferred_.push_back({junctions_.at(stream).get(), std::move(copy)});
  }

  // Playback: delivers what loops fed back, oldest first, until the loops come to rest.
  // Requires process_mu_.
  void RunDeferred() {
    while (!deferred_.empty() && !failed_.load(std::memory_order_relaxed)) {
      Deferred d = std::move(deferred_.front());
      deferred_.pop_front();
      d.junction->Push(d.batch);
    }
  }

  // The key that spreads an async stream's events over its workers: 'partition.key', else the first
  // GROUP BY attribute of a query that reads the stream, else its first join key (an attribute
  // compared for equality with the other side's in ON); -1 when there is none (round-robin).
  int PartitionColumn(const plan::StreamDef& def) const {
    if (def.partition_key >= 0) return def.partition_key;
    for (const plan::QueryPlan& q : plan_->queries)
      if (q.input == &def && !q.group_by.empty() &&
          q.group_by[0]->kind == plan::BoundExpr::Kind::kColumn)
        return q.group_by[0]->column;
    for (const plan::QueryPlan& q : plan_->queries) {
      if (!q.join || !q.join->on) continue;
      int first = q.join->left.stream == &def ? 0
                  : q.join->right.stream == &def
                      ? static_cast<int>(q.join->left.stream->schema.size())
                      : -1;
      if (first < 0) continue;
      int width = static_cast<int>(def.schema.size());
      std::vector<const plan::BoundExpr*> conjuncts = {q.join->on.get()};
      while (!conjuncts.empty()) {
        const plan::BoundExpr* e = conjuncts.back();
        conjuncts.pop_back();
        if (e->kind == plan::BoundExpr::Kind::kAnd) {
          for (const auto& a : e->args) conjuncts.push_back(a.get());
          continue;
        }
        if (e->kind != plan::BoundExpr::Kind::kCompare || e->op != sql::BinaryOp::kEq) continue;
        for (const auto& a : e->args)
          if (a->kind == plan::BoundExpr::Kind::kColumn && a->column >= first &&
              a->column < first + width)
            return a->column - first;
      }
    }
    return -1;
  }

  InputHandler* GetInputHandler(std::string_view stream) override {
    auto it = inputs_.find(std::string(stream));
    return it == inputs_.end() ? nullptr : it->second.get();
  }

  Status AddCallback(std::string_view stream, OutputCallback callback) override {
    std::lock_guard<std::mutex> lock(lifecycle_mu_);
    if (started_)
      return Status::InvalidArgument("AddCallback after Start(): add callbacks before starting");
    auto it = junctions_.find(std::string(stream));
    if (it == junctions_.end()) return Status::NotFound("no stream '" + std::string(stream) + "'");
    it->second->AddObserver(std::move(callback));
    return Status::OK();
  }

  Status AddOutputCallback(OutputCallback callback) override {
    std::lock_guard<std::mutex> lock(lifecycle_mu_);
    if (started_)
      return Status::InvalidArgument(
          "AddOutputCallback after Start(): add callbacks before starting");
    std::map<std::string, bool> done;
    for (const std::string& name : inserted_) {
      if (done[name]) continue;
      done[name] = true;
      junctions_.at(name)->AddObserver(callback);
    }
    return Status::OK();
  }

  Result<std::unique_ptr<StreamTap>> Tap(std::string_view stream,
                                         OutputCallback callback) override {
    auto it = junctions_.find(stream);
    if (it == junctions_.end()) return Status::NotFound("no stream '" + std::string(stream) + "'");
    return std::unique_ptr<StreamTap>(
        std::make_unique<JunctionTap>(it->second.get(), std::move(callback)));
  }

  Status Start() override {
    std::unique_lock<std::mutex> lock(lifecycle_mu_);
    if (started_) {
      // Another Start() (from another thread): it returns once the first has, with its outcome
      // (the first may be waiting for the tables to load, with the lock let go).
      start_cv_.wait(lock, [this] { return start_done_; });
      return start_status_;
    }
    Status st = StartLocked(lock);
    start_done_ = true;
    start_status_ = st;
    start_cv_.notify_all();
    return st;
  }

  // Start(), the first time. May let go of `lock` while tables load.
  Status StartLocked(std::unique_lock<std::mutex>& lock) {
    if (shut_down_)
      return Status(StatusCode::kCancelled, "the app was shut down before it started");
    started_ = true;
    if (checkpointer_) RETURN_IF_ERROR(checkpointer_->Lock());
    if (checkpointer_ && !options_.fresh) RETURN_IF_ERROR(RestoreNewestCheckpoint());
    for (auto& [name, a] : async_) a->Start(gate_.get());
    if (!options_.playback && !timed_.empty()) timer_ = std::thread([this] { TimerLoop(); });
    if (!options_.start_connectors) return StartCheckpoints();
    for (const auto& def : plan_->catalog.all()) {
      if (!def->connector || def->connector->is_source) continue;
      connectors::SinkOpen open;
      open.changelog = options_.changelog;
      auto resume = resume_positions_.find("sink:" + def->name);
      if (resume != resume_positions_.end()) open.resume = &resume->second;
      ASSIGN_OR_RETURN(std::unique_ptr<connectors::Sink> sink, connectors::MakeSink(*def, open));
      sink->SetFailureHandler([this](const Status& st) { Fail(st); });
      junctions_.at(def->name)->Subscribe(sink.get());
      sinks_.push_back(std::move(sink));
      sink_defs_.push_back(def.get());
      if (def->connector->backs_table) {
        // A table in a store: its changelog's sink writes the store; lookups go through a cache.
        ASSIGN_OR_RETURN(std::unique_ptr<exec::TableStore> store, connectors::MakeTableStore(*def));
        ASSIGN_OR_RETURN(exec::TableCacheOptions cache, connectors::TableCacheOptionsOf(*def));
        connectors::Sink* writer = sinks_.back().get();
        cache.sink_drained = [writer] { return writer->Drained(); };
        cache.stopping = [this] { return stopping_.load() || failed_.load(); };
        exec::Table* table = tables_.at(def->name).get();
        caches_.push_back(std::make_unique<exec::TableCache>(table, std::move(store), cache));
        table->SetCache(caches_.back().get());
      }
    }
    // Every source is made before any runs (a bad one fails the start with nothing running),
    // and entered in the lists Stats() reads, which do not change after that.
    std::vector<size_t> table_sources, stream_sources;
    for (int tables = 1; tables >= 0; --tables) {
      for (const auto& def : plan_->catalog.all()) {
        if (!def->connector || !def->connector->is_source || def->is_table != (tables == 1))
          continue;
        ASSIGN_OR_RETURN(std::unique_ptr<connectors::Source> src, connectors::MakeSource(*def));
        auto resume = resume_positions_.find("source:" + def->name);
        if (checkpointer_ && resume != resume_positions_.end())
          RETURN_IF_ERROR(src->Resume(resume->second));
        const std::string* resumed = resume != resume_positions_.end() ? &resume->second : nullptr;
        size_t i =
            def->is_table
                ? sources_->Add(std::move(src), def.get(), junctions_.at(def->name).get(), nullptr,
                                tables_.at(def->name).get(), Entry(def->name), resumed)
                : sources_->Add(std::move(src), def.get(), junctions_.at(def->name).get(),
                                inputs_.at(def->name).get(), nullptr, nullptr, resumed);
        (tables ? table_sources : stream_sources).push_back(i);
      }
    }
    sources_->MarkListed();
    // Tables loaded from sources first: the streams start once they are loaded (or waited for
    // as long as their 'table.load.timeout'), so that lookups find their rows. The wait lets
    // go of the lifecycle lock, so that a Shutdown() can stop it.
    for (size_t i : table_sources) sources_->Launch(i);
    if (!table_sources.empty()) {
      lock.unlock();
      Status waited = runtime::WaitForTables(sources_->loaders(),
                                             [this] { return stopping_.load() || failed_.load(); });
      lock.lock();
      if (!status().ok()) return status();
      RETURN_IF_ERROR(waited);
      if (shut_down_)
        return Status(StatusCode::kCancelled, "stopped while the tables were loading");
    }
    for (size_t i : stream_sources) sources_->Launch(i);
    return StartCheckpoints();
  }

  // The end of a Start() that got everything running.
  Status StartCheckpoints() {
    if (!checkpointer_) return Status::OK();
    started_whole_ = true;
    // --fresh: the fresh state is the newest at once, so that a crash before the first periodic
    // checkpoint does not go back to the stored ones (whose sink lengths no longer hold).
    if (options_.fresh) {
      Result<uint64_t> first = checkpointer_->CheckpointNow();
      if (!first.ok()) return first.status();
    }
    checkpointer_->StartPeriodic();
    return Status::OK();
  }

  Status AdvanceTime(int64_t ms) override {
    runtime::EntryGate::Pass pass(gate_.get(), api_door_);
    {
      std::lock_guard<std::mutex> lock(process_mu_);
      if (options_.playback) {
        TickThrough(ms);
      } else {
        Tick(clock_->NowMillis());
      }
      RunDeferred();
    }
    exec::RunStagedWork();
    return status();
  }

  // Playback: moves event time to `t`, stopping at every deadline on the way (a window that
  // closes, a NOT ... FOR that passes) so that what comes due runs at its own time, as it would
  // live. Requires process_mu_.
  void TickThrough(int64_t t) {
    int64_t last = std::numeric_limits<int64_t>::min();
    for (;;) {
      int64_t next = exec::TimedWork::kNever;
      for (exec::TimedWork* op : timed_) next = std::min(next, op->NextDeadline());
      next = std::max(next, playback_clock_.NowMillis());
      if (next >= t || next <= last) break;
      playback_clock_.AdvanceTo(next);
      Tick(next);
      RunDeferred();
      last = next;
    }
    playback_clock_.AdvanceTo(t);
    Tick(t);
  }

  // Time-driven work of every stateful query, in definition order. Requires process_mu_.
  void Tick(int64_t now) {
    for (exec::TimedWork* op : timed_) op->OnTime(now);
  }

  // Live mode: one thread wakes at the earliest deadline of any window or output rate (at most
  // 50 ms apart, so that new deadlines are seen) and runs the due work.
  void TimerLoop() {
    std::unique_lock<std::mutex> lock(timer_mu_);
    while (!stopping_.load()) {
      if (input_ended_.load()) {  // FinishInput moves time from now on
        timer_cv_.wait_for(lock, std::chrono::milliseconds(50));
        continue;
      }
      int64_t now = clock_->NowMillis();
      int64_t next = std::numeric_limits<int64_t>::max();
      for (exec::TimedWork* op : timed_) next = std::min(next, op->NextDeadline());
      if (next <= now) {
        // Operators lock themselves; the timer holds nothing else while they run.
        lock.unlock();
        {
          runtime::EntryGate::Pass pass(gate_.get(), timer_door_);
          Tick(now);
          exec::RunStagedWork();
        }
        lock.lock();
        continue;
      }
      int64_t wait = std::clamp<int64_t>(next - now, 1, 50);
      timer_cv_.wait_for(lock, std::chrono::milliseconds(wait));
    }
  }

  Status WaitForSources() override {
    if (sources_) sources_->Join();
    if (options_.final_flush && sources_ && sources_->launched_any() && !stopping_.load() &&
        !failed_.load())
      return FinishInput();
    return status();
  }

  Status FinishInput() override {
    runtime::EntryGate::Pass pass(gate_.get(), api_door_);
    std::lock_guard<std::mutex> finish(finish_mu_);
    if (input_ended_.load()) return status();
    input_ended_.store(true);
    bool done = true;
    if (options_.playback) {
      std::lock_guard<std::mutex> lock(process_mu_);
      for (exec::TimedWork* op : timed_) op->EndInput();
      TickThrough(kMaxTime);
      RunDeferred();
    } else {
      done = FinishInputLive();
    }
    exec::RunStagedWork();
    // A flush cut short by a stop is not finished: a checkpoint says the input has not ended,
    // so that a restart flushes again what is still open.
    flushed_.store(done && !failed_.load());
    return status();
  }

  // Live: the clock is the wall clock, so time is stepped by hand from deadline to deadline, each
  // time after the async streams have delivered what is in flight (what a window emits may open
  // windows downstream), until nothing is due; then to the end.
  bool FinishInputLive() {
    for (exec::TimedWork* op : timed_) op->EndInput();
    auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.shutdown_timeout_ms);
    auto wait_idle = [&] {
      for (auto& [name, a] : async_)
        if (!a->WaitIdle(deadline)) return false;
      return true;
    };
    int64_t last = kMinTime;
    while (!stopping_.load() && !failed_.load() && wait_idle()) {
      // The earliest deadline after the last one ticked. One that did not move (an operator
      // whose time is already beyond it) is stepped over, not walked past a millisecond at a time.
      int64_t next = exec::TimedWork::kNever;
      for (exec::TimedWork* op : timed_)
        if (int64_t d = op->NextDeadline(); last == kMinTime || d > last) next = std::min(next, d);
      if (next == exec::TimedWork::kNever) break;
      Tick(next);
      exec::RunStagedWork();
      last = next;
    }
    if (stopping_.load() || failed_.load()) return false;
    Tick(kMaxTime);
    exec::RunStagedWork();
    return wait_idle() && !stopping_.load();
  }

  Status Shutdown() override {
    std::lock_guard<std::mutex> lock(lifecycle_mu_);
    if (shut_down_) return status();
    shut_down_ = true;
    stopping_.store(true);
    auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.shutdown_timeout_ms);
    // A sink waiting for a broker or a store gives up at the deadline: nothing below waits
    // longer, not even a checkpoint under way that waits for a sink.
    for (auto& sink : sinks_) sink->GiveUpAt(deadline);
    if (checkpointer_) checkpointer_->StopPeriodic();
    if (sources_) sources_->Join();  // a source may hand on what it had taken until it returns
    sources_joined_.store(true);
    // Drain the async streams upstream first, so that what they pass on is drained too.
    // A loop is drained once it has come to rest: its workers pass events around until then.
    for (const DrainStep& step : drain_order_) {
      if (step.loop && !step.loop->WaitIdle(deadline))
        Log(LogLevel::kWarn, "a loop of async streams was still busy when shutdown timed out");
      for (const std::string& name : step.streams) async_.at(name)->Drain(deadline);
    }
    {
      std::lock_guard<std::mutex> tlock(timer_mu_);
      timer_cv_.notify_all();
    }
    if (timer_.joinable()) timer_.join();
    FinalCheckpoint();
    for (auto& sink : sinks_) {
      Status st = sink->Close();
      if (!st.ok()) Fail(st);
    }
    return status();
  }

  Status status() const override {
    std::lock_guard<std::mutex> lock(status_mu_);
    return status_;
  }

  Result<std::string> SnapshotState() override {
    if (!options_.playback)
      return Status::NotSupported(
          "SnapshotState on a live app: a live app's state is saved by checkpoints "
          "(AppOptions::state_dir, Checkpoint())");
    std::lock_guard<std::mutex> lock(process_mu_);
    exec::StateWriter w;
    w.Section("snapshot", 1);
    std::vector<state::CheckpointPart> parts = CollectParts();
    w.U32(static_cast<uint32_t>(parts.size()));
    for (const state::CheckpointPart& part : parts) {
      w.Str(part.name);
      w.Str(part.data);
    }
    return w.Take();
  }

  Status RestoreState(std::string_view state) override {
    if (!options_.playback)
      return Status::NotSupported(
          "RestoreState on a live app: a live app restores its newest checkpoint when it starts "
          "(AppOptions::state_dir)");
    std::lock_guard<std::mutex> lock(process_mu_);
    exec::StateReader r(state);
    std::vector<state::CheckpointPart> parts;
    if (r.Section("snapshot", 1))
      for (uint32_t i = 0, n = r.U32(); i < n && r.ok(); ++i) {
        state::CheckpointPart part;
        part.name = r.Str();
        part.data = r.Str();
        parts.push_back(std::move(part));
      }
    if (r.ok() && !r.at_end()) r.Fail("data after the app's state");
    RETURN_IF_ERROR(r.status());
    return RestoreParts(parts);
  }

  // The name of a pipeline's part of the state: its query's id, and its instance after the first.
  static std::string PartName(const exec::Pipeline& p) {
    return "query:" + p.id() + (p.instance() > 0 ? "#" + std::to_string(p.instance()) : "");
  }

  // The state of the whole app, one part per table and per pipeline, and the app's own: its
  // clock, whether its input ended, its sources' and sinks' positions, its async streams' key
  // group owners. Requires that nothing is processed meanwhile (process_mu_ in playback, the
  // closed gate and idle async streams live).
  std::vector<state::CheckpointPart> CollectParts() {
    std::vector<state::CheckpointPart> parts;
    exec::StateWriter app;
    app.Section("app", 2);
    app.I64(options_.playback ? playback_clock_.NowMillis() : 0);
    app.Bool(flushed_.load());  // the input ended and everything open has fired
    std::vector<std::pair<std::string, std::string>> positions = Positions();
    // What each position is a position in: a restore into an app whose source or sink reads or
    // writes something else must not resume there.
    for (size_t i = 0, n = positions.size(); i < n; ++i)
      if (const plan::StreamDef* d = PositionStream(positions[i].first))
        positions.emplace_back("conn:" + positions[i].first, ConnectorIdentity(*d));
    app.U32(static_cast<uint32_t>(positions.size()));
    for (const auto& [name, position] : positions) {
      app.Str(name);
      app.Str(position);
    }
    app.U32(static_cast<uint32_t>(async_.size()));
    in_flight_.clear();
    for (const auto& [name, a] : async_) {
      exec::StateWriter owners, queued;
      a->SnapshotOwners(owners);
      // Only a paused loop holds events at a cut; the other streams are idle.
      if (std::find(paused_.begin(), paused_.end(), a.get()) != paused_.end())
        in_flight_.emplace_back(name, a->SnapshotQueued(queued));
      app.Str(name);
      app.Str(owners.data());
      app.Str(queued.data());
    }
    parts.push_back({"app", app.Take()});
    for (const auto& [name, table] : tables_) {
      if (table->def().connector && table->def().connector->backs_table)
        continue;  // its rows are the store's; the cache is not state
      exec::StateWriter part;
      table->Snapshot(part);
      parts.push_back({"table:" + name, part.Take()});
    }
    for (const auto& p : pipelines_) {
      if (!p->stateful()) continue;
      exec::StateWriter part;
      p->Snapshot(part);
      parts.push_back({PartName(*p), part.Take()});
    }
    return parts;
  }

  // Every source's position ("source:<stream>") and every sink's ("sink:<stream>") that the
  // cut has.
  std::vector<std::pair<std::string, std::string>> Positions() const {
    std::vector<std::pair<std::string, std::string>> out;
    sources_->AppendPositions(&out);
    for (const auto& [name, position] : sink_positions_) out.emplace_back(name, position);
    return out;
  }

  // How `parts` (what CollectParts wrote, maybe for an earlier version of the app) map onto this
  // app: queries match by id, tables by name; a part that fits is restored, the others are
  // reported (*plan). Nothing is read beyond each part's head.
  Status MatchParts(const std::vector<state::CheckpointPart>& parts, RestorePlan* plan,
                    std::vector<std::pair<exec::Table*, const std::string*>>* tables,
                    std::vector<std::pair<exec::Pipeline*, const std::string*>>* pipelines,
                    const state::CheckpointPart** app) {
    using Outcome = RestoreEntry::Outcome;
    std::set<const exec::Pipeline*> found;
    for (const state::CheckpointPart& part : parts) {
      if (part.name == "app") {
        *app = &part;
      } else if (part.name.rfind("table:", 0) == 0) {
        std::string name = part.name.substr(6);
        auto it = tables_.find(name);
        RestoreEntry e{"table", name, Outcome::kRestored, ""};
        if (it == tables_.end()) {
          e.outcome = Outcome::kDropped;
          e.why = "the app no longer defines it";
        } else if (it->second->def().connector && it->second->def().connector->backs_table) {
          e.outcome = Outcome::kDropped;
          e.why = "it lives in " + it->second->def().connector->connector + " now";
        } else if (Status fits = it->second->Fits(part.data); !fits.ok()) {
          e.outcome = Outcome::kIncompatible;
          e.why = fits.message();
        } else {
          tables->emplace_back(it->second.get(), &part.data);
        }
        plan->entries.push_back(std::move(e));
      } else {
        auto it = std::find_if(pipelines_.begin(), pipelines_.end(),
                               [&](const auto& p) { return PartName(*p) == part.name; });
        std::string id = part.name.substr(part.name.find(':') + 1);
        if (it != pipelines_.end() && (*it)->instance() > 0) {
          found.insert(it->get());
          if ((*it)->Fits(part.data).ok()) pipelines->emplace_back(it->get(), &part.data);
          continue;  // one entry per query: its first instance's
        }
        RestoreEntry e{"query", id, Outcome::kRestored, ""};
        if (it == pipelines_.end()) {
          e.outcome = Outcome::kDropped;
          e.why = id.rfind("q-", 0) == 0
                      ? "the app no longer has it (an edited query keeps its state when it is "
                        "named with @info(name='...'))"
                      : "the app no longer has it";
        } else {
          found.insert(it->get());
          e.name = QueryLabel(**it);
          if (Status fits = (*it)->Fits(part.data); !fits.ok()) {
            e.outcome = Outcome::kIncompatible;
            e.why = fits.message();
          } else {
            pipelines->emplace_back(it->get(), &part.data);
          }
        }
        plan->entries.push_back(std::move(e));
      }
    }
    for (const auto& p : pipelines_)
      if (p->instance() == 0 && p->stateful() && !found.count(p.get()))
        plan->entries.push_back({"query", QueryLabel(*p), Outcome::kStartsEmpty, ""});
    if (!*app) return Status::InvalidArgument("corrupt state: the app's part is missing");
    MatchPositions((*app)->data, plan);
    return Status::OK();
  }

  // The stream a position key ("source:<stream>", "sink:<stream>") belongs to in this app, if it
  // has such a connector there.
  const plan::StreamDef* PositionStream(const std::string& key) const {
    bool source = key.rfind("source:", 0) == 0;
    if (!source && key.rfind("sink:", 0) != 0) return nullptr;
    const plan::StreamDef* d = plan_->catalog.Find(key.substr(key.find(':') + 1));
    if (!d || !d->connector || d->connector->is_source != source) return nullptr;
    return d;
  }

  static std::string ConnectorIdentity(const plan::StreamDef& d) {
    std::string id = d.connector->connector;
    for (const char* key : {"path", "topic"}) {
      auto it = d.connector->properties.find(key);
      if (it != d.connector->properties.end()) id += std::string(" ") + key + "=" + it->second;
    }
    return id;
  }

  // The sources' and sinks' positions in a checkpoint's app part, against this app: a position
  // for a source or sink the app no longer has (a renamed stream), or that now reads or writes
  // something else, would be lost or misapplied.
  void MatchPositions(const std::string& app_part, RestorePlan* plan) const {
    using Outcome = RestoreEntry::Outcome;
    exec::StateReader r(app_part);
    if (!r.Section("app", 2)) return;
    r.I64();
    r.Bool();
    std::map<std::string, std::string> saved;
    for (uint32_t i = 0, n = r.U32(); i < n && r.ok(); ++i) {
      std::string name = r.Str();
      saved[name] = r.Str();
    }
    if (!r.ok()) return;
    for (const auto& [key, position] : saved) {
      if (key.rfind("conn:", 0) == 0) continue;
      std::string kind = key.substr(0, key.find(':')), name = key.substr(key.find(':') + 1);
      RestoreEntry e{kind, name, Outcome::kRestored, ""};
      const plan::StreamDef* d = PositionStream(key);
      auto conn = saved.find("conn:" + key);
      if (!d) {
        e.outcome = Outcome::kDropped;
        e.why = "the app no longer has this " + kind + " (its position " + position +
                " would be lost: a renamed " + kind + " starts " +
                (kind == "source" ? "again from its beginning" : "its output afresh") + ")";
      } else if (conn != saved.end() && conn->second != ConnectorIdentity(*d)) {
        e.outcome = Outcome::kIncompatible;
        e.why = "its position " + position + " is in " + conn->second + ", it is " +
                ConnectorIdentity(*d) + " now";
      } else {
        e.why = "at " + position;
      }
      plan->entries.push_back(std::move(e));
    }
  }

  // A query as a user knows it: its name, with its id when that is a fingerprint of its text.
  static std::string QueryLabel(const exec::Pipeline& p) {
    return p.id() == p.plan().name ? p.id() : p.plan().name + " (" + p.id() + ")";
  }

  // Replaces the app's state with `parts`. A query the parts do not have starts empty; a part
  // for a query or table the app does not have, or that no longer fits it, is an error that
  // names it, unless `allow_drop` (then it is left out, with a warning). Nothing changes unless
  // every part is matched.
  Status RestoreParts(const std::vector<state::CheckpointPart>& parts, bool allow_drop = false) {
    RestorePlan plan;
    const state::CheckpointPart* app = nullptr;
    std::vector<std::pair<exec::Table*, const std::string*>> tables;
    std::vector<std::pair<exec::Pipeline*, const std::string*>> pipelines;
    RETURN_IF_ERROR(MatchParts(parts, &plan, &tables, &pipelines, &app));
    for (const RestoreEntry& e : plan.entries) {
      if (e.outcome != RestoreEntry::Outcome::kDropped &&
          e.outcome != RestoreEntry::Outcome::kIncompatible)
        continue;
      std::string what = e.kind + " '" + e.name + "': " + e.why;
      if (!allow_drop)
        return Status::InvalidArgument("the saved state of " + what +
                                       " (--allow-state-drop restores the rest without it)");
      Log(LogLevel::kWarn, "state dropped: " + what);
    }
    exec::StateReader r(app->data);
    uint32_t version = r.Section("app", 2);
    if (!version) return r.status();
    int64_t now = r.I64();
    bool ended = r.Bool();
    std::map<std::string, std::string> positions;
    for (uint32_t i = 0, n = r.U32(); i < n && r.ok(); ++i) {
      std::string name = r.Str();
      positions[name] = r.Str();
    }
    struct AsyncPart {
      runtime::AsyncStream* stream;
      std::string owners, queued;
    };
    std::vector<AsyncPart> asyncs;
    for (uint32_t i = 0, n = r.U32(); i < n && r.ok(); ++i) {
      std::string name = r.Str(), owners = r.Str();
      std::string queued = version >= 2 ? r.Str() : std::string();
      auto it = async_.find(name);
      if (r.ok() && it != async_.end())
        asyncs.push_back({it->second.get(), std::move(owners), std::move(queued)});
      else if (r.ok() && !queued.empty())
        return Status::InvalidArgument("the saved state has events in flight in async stream '" +
                                       name + "', which the app no longer has");
    }
    if (r.ok() && !r.at_end()) r.Fail("data after the app's part");
    RETURN_IF_ERROR(r.status());
    // From here a failure leaves part of the state restored: the app fails rather than run on it.
    Status st;
    for (AsyncPart& a : asyncs) {
      exec::StateReader owners(a.owners);
      st = a.stream->RestoreOwners(owners);
      if (st.ok() && !a.queued.empty()) {
        exec::StateReader queued(a.queued);
        st = a.stream->RestoreQueued(queued);
      }
      if (!st.ok()) break;
    }
    for (size_t i = 0; st.ok() && i < tables.size(); ++i) {
      exec::StateReader part(*tables[i].second);
      tables[i].first->Restore(part);
      if (part.ok() && !part.at_end()) part.Fail("more state than the table reads");
      st = part.status();
    }
    for (size_t i = 0; st.ok() && i < pipelines.size(); ++i) {
      exec::StateReader part(*pipelines[i].second);
      st = pipelines[i].first->Restore(part);
      if (st.ok() && !part.at_end()) part.Fail("more state than the query reads");
      if (st.ok()) st = part.status();
      if (!st.ok())
        st = Status::InvalidArgument("query '" + pipelines[i].first->plan().name +
                                     "': " + st.message());
    }
    if (!st.ok()) {
      Fail(st);
      return st;
    }
    if (options_.playback) playback_clock_.Reset(now);
    input_ended_.store(ended);
    flushed_.store(ended);
    restored_ended_ = ended;
    resume_positions_ = std::move(positions);
    return Status::OK();
  }

  Result<RestorePlan> PlanRestore() override {
    if (!checkpointer_) return Status::InvalidArgument("PlanRestore(): the app has no state dir");
    RestorePlan plan;
    std::string skipped;
    auto loaded = checkpointer_->LoadNewest(&skipped);
    RETURN_IF_ERROR(loaded.status());
    if (!*loaded) {
      for (const auto& p : pipelines_)
        if (p->instance() == 0 && p->stateful())
          plan.entries.push_back(
              {"query", QueryLabel(*p), RestoreEntry::Outcome::kStartsEmpty, ""});
      return plan;
    }
    plan.checkpoint = (*loaded)->first.id;
    const state::CheckpointPart* app = nullptr;
    std::vector<std::pair<exec::Table*, const std::string*>> tables;
    std::vector<std::pair<exec::Pipeline*, const std::string*>> pipelines;
    RETURN_IF_ERROR(MatchParts((*loaded)->second, &plan, &tables, &pipelines, &app));
    return plan;
  }

  // Start() with a state dir: the newest complete checkpoint, if there is one.
  Status RestoreNewestCheckpoint() {
    auto start = std::chrono::steady_clock::now();
    std::string skipped;
    auto loaded = checkpointer_->LoadNewest(&skipped, /*move_aside=*/true);
    RETURN_IF_ERROR(loaded.status());  // names every problem itself
    if (!skipped.empty()) Log(LogLevel::kWarn, skipped.substr(0, skipped.size() - 1));
    if (!*loaded) return Status::OK();
    const auto& [info, parts] = **loaded;
    Status st = RestoreParts(parts, options_.allow_state_drop);
    if (!st.ok())
      return Status::InvalidArgument("cannot restore checkpoint " + std::to_string(info.id) +
                                     " of '" + options_.state_dir + "': " + st.message() +
                                     " (start with --fresh to ignore the stored state)");
    checkpointer_->Restored(info.id, std::chrono::duration_cast<std::chrono::microseconds>(
                                         std::chrono::steady_clock::now() - start)
                                         .count());
    Log(LogLevel::kInfo,
        "restored checkpoint " + std::to_string(info.id) + " of '" + options_.state_dir + "'");
    return Status::OK();
  }

  // A consistent cut of the live app: every entry point paused at a batch boundary, every async
  // stream idle (what is in flight is processed first), every sink's output committed; then the
  // state of everything. The inputs wait only for that; the checkpointer writes it afterwards.
  Result<runtime::Checkpointer::Cut> TakeCut() {
    auto start = std::chrono::steady_clock::now();
    if (failed_.load()) return Status::RuntimeError("the app has failed: " + status().message());
    auto deadline = start + std::chrono::milliseconds(options_.shutdown_timeout_ms);
    if (!gate_->Close(deadline))
      return Status::RuntimeError("the app's inputs did not pause at a batch boundary within " +
                                  std::to_string(options_.shutdown_timeout_ms) + " ms");
    // Upstream first: a stream off any loop is let run until idle; a loop, which may never come
    // to rest, is stopped between batches and what it holds in flight is saved with the state.
    Status st;
    paused_.clear();
    for (const DrainStep& step : drain_order_) {
      for (const std::string& name : step.streams) {
        runtime::AsyncStream* a = async_.at(name).get();
        if (!st.ok() || a->closed()) continue;
        if (step.loop) {
          if (a->Pause(deadline)) {
            paused_.push_back(a);
          } else {
            st = Status::RuntimeError("async stream '" + name + "' did not pause within " +
                                      std::to_string(options_.shutdown_timeout_ms) + " ms");
          }
        } else if (!a->WaitIdle(deadline)) {
          st = Status::RuntimeError("async stream '" + name + "' was still busy after " +
                                    std::to_string(options_.shutdown_timeout_ms) + " ms");
        }
      }
      if (!st.ok()) break;
    }
    // Checked once nothing runs: a batch that failed the app meanwhile must not be in a cut, and
    // events left in a drained queue at shutdown would be missing from it.
    if (st.ok() && failed_.load())
      st = Status::RuntimeError("the app has failed: " + status().message());
    for (const auto& [name, a] : async_)
      if (st.ok() && a->Stats().left > 0)
        st = Status::RuntimeError("events were left in async stream '" + name +
                                  "' at shutdown: the previous checkpoint stays the newest");
    runtime::Checkpointer::Cut cut;
    if (st.ok()) {
      sink_positions_.clear();
      for (size_t i = 0; i < sinks_.size() && st.ok(); ++i) {
        Result<std::string> position = sinks_[i]->Commit();
        if (!position.ok()) {
          st = position.status();
        } else if (!position->empty()) {
          sink_positions_.emplace_back("sink:" + sink_defs_[i]->name, *position);
        }
      }
    }
    if (st.ok()) {
      cut.parts = CollectParts();
      cut.meta.positions = Positions();
      for (const auto& [name, events] : in_flight_)
        cut.meta.positions.emplace_back("async:" + name, std::to_string(events) + " in flight");
    }
    for (runtime::AsyncStream* a : paused_) a->Resume();
    paused_.clear();
    gate_->Open();
    RETURN_IF_ERROR(st);
    cut.meta.time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
    cut.meta.pause_us = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - start)
                            .count();
    return cut;
  }

  Result<uint64_t> Checkpoint() override {
    if (!checkpointer_)
      return Status::InvalidArgument(
          "Checkpoint(): the app has no state dir "
          "(AppOptions::state_dir, --state-dir)");
    {
      std::lock_guard<std::mutex> lock(lifecycle_mu_);
      if (!started_whole_ || shut_down_)
        return Status::InvalidArgument("Checkpoint(): the app is not running");
    }
    // From a callback inside a send or a source's batch, the cut would wait for itself.
    if (gate_->InsideOnThisThread())
      return Status::InvalidArgument(
          "Checkpoint() from inside the app's processing (an output callback): call it from "
          "another thread");
    return checkpointer_->CheckpointNow();
  }

  // A checkpoint is published: sources that keep positions elsewhere (Kafka's group) may now.
  // Sources are made before the periodic checkpoints start and live as long as the app.
  void CheckpointCompleted(const state::CheckpointInfo& info) {
    sources_->Committed(info.meta.positions);
  }

  // At shutdown, once the sources have stopped and the async streams are drained: the last
  // checkpoint, unless events were left in a queue (their state would be missing from it).
  void FinalCheckpoint() {
    // An app that did not start whole (a refused restore, a sink that did not open) has no state
    // worth a checkpoint: writing one would hide the one it could not restore.
    if (!checkpointer_ || failed_.load() || !started_whole_) return;
    checkpointer_->CheckpointNow();
  }

  std::string Explain() const override {
    std::string out = plan_->Explain();
    if (pipelines_.empty()) return out;
    out += "pipelines (operator ids, as in saved state):\n";
    for (size_t n = 0; n < pipelines_.size(); ++n) {
      const exec::Pipeline& p = *pipelines_[n];
      if (p.instance() > 0) continue;
      out += "  " + p.plan().name + ":";
      for (size_t i = 0; i < p.operators().size(); ++i) {
        out += (i ? " -> " : " ") + p.operators()[i].id;
        if (!p.operators()[i].physical.empty()) out += " [" + p.operators()[i].physical + "]";
      }
      size_t instances = 1;
      while (n + instances < pipelines_.size() && pipelines_[n + instances]->instance() > 0)
        ++instances;
      if (instances > 1)
        out += "  (" + std::to_string(instances) + " instances, one per worker of " +
               p.plan().input->name + ")";
      out += "\n";
    }
    return out;
  }

  AppInfo Describe() const override {
    return runtime::DescribeApp(*plan_, options_.file_name, pipelines_);
  }

  Result<Batch> ReadTable(std::string_view table, std::span<const Value> key,
                          size_t limit) const override {
    auto it = tables_.find(std::string(table));
    if (it == tables_.end()) {
      const plan::StreamDef* d = plan_->catalog.Find(table);
      return Status::NotFound(d ? "'" + std::string(table) + "' is a stream, not a table"
                                : "no table '" + std::string(table) + "'");
    }
    const exec::Table& t = *it->second;
    if (t.def().connector && t.def().connector->backs_table)
      return Status::InvalidArgument("table '" + t.def().name + "' lives in " +
                                     t.def().connector->connector +
                                     ": its rows are read there, not from the app");
    return exec::ReadRows(t, key, limit);
  }

  Result<StatementResult> Execute(std::string_view statement) override {
    runtime::StatementContext ctx;
    ctx.app = this;
    ctx.plan = plan_.get();
    ctx.table_rows = [this](const std::string& name) -> uint64_t {
      auto it = tables_.find(name);
      if (it == tables_.end()) return 0;
      std::lock_guard<std::mutex> lock(it->second->mu());
      return it->second->rows().size();
    };
    return runtime::ExecuteStatement(ctx, statement);
  }

  const Schema* GetSchema(std::string_view stream) const override {
    const plan::StreamDef* d = plan_->catalog.Find(stream);
    return d ? &d->schema : nullptr;
  }

  std::vector<std::string> StreamNames() const override { return plan_->catalog.Names(); }

  std::vector<std::string> TableNames() const override {
    std::vector<std::string> names;
    for (const auto& [name, table] : tables_) names.push_back(name);
    return names;
  }

  AppStats Stats() const override {
    AppStats s;
    for (const auto& def : plan_->catalog.all()) {
      auto it = async_.find(def->name);
      s.streams.push_back(runtime::StreamStatsOf(def->name, *junctions_.at(def->name),
                                                 it != async_.end() ? it->second.get() : nullptr));
    }
    for (const auto& p : pipelines_) {
      bool first = p->instance() == 0;  // the others are more instances of the query before
      if (first) s.queries.emplace_back();
      runtime::AddPipelineStats(*p, first, &s.queries.back());
      if (p->metrics()) p->metrics()->AppendStats(&s.metrics);
    }
    if (checkpointer_) s.checkpoints = checkpointer_->Stats();
    if (!sources_ || !sources_->listed()) {
      // Before Start() has made the sources: the tables it will load are loading (so that
      // /ready does not say ready before the loads have begun).
      for (const auto& def : plan_->catalog.all()) {
        if (!options_.start_connectors || !def->is_table || !def->connector ||
            !def->connector->is_source)
          continue;
        TableLoadStats t;
        t.table = def->name;
        t.connector = def->connector->connector;
        t.state = "loading";
        s.tables.push_back(std::move(t));
      }
      return s;
    }
    sources_->AppendStats(&s);
    for (const auto& cache : caches_) {
      exec::TableCacheStats c = cache->Stats();
      StoreTableStats t;
      t.table = cache->table().def().name;
      t.connector = cache->table().def().connector->connector;
      t.where = cache->where();
      t.cached = c.rows;
      t.hits = c.hits;
      t.misses = c.misses;
      t.lookups = c.lookups;
      t.failed = c.failed;
      s.store_tables.push_back(std::move(t));
    }
    for (size_t i = 0; i < sinks_.size(); ++i) {
      SinkStats sink = sinks_[i]->Stats();
      sink.stream = sink_defs_[i]->name;
      sink.connector = sink_defs_[i]->connector->connector;
      sink.where = sinks_[i]->where();
      s.sinks.push_back(std::move(sink));
    }
    return s;
  }

  const std::string& warnings() const override { return warnings_; }

  void Fail(const Status& st) {
    {
      std::lock_guard<std::mutex> lock(status_mu_);
      if (status_.ok()) status_ = st;
    }
    failed_.store(true);
  }

  // Publishes a batch into a stream under the processing lock.
  Status Publish(exec::BatchConsumer* junction, const Batch& batch, bool from_source) override {
    if (failed_.load(std::memory_order_relaxed)) return status();
    if (stopping_.load(std::memory_order_relaxed) &&
        (!from_source || sources_joined_.load(std::memory_order_relaxed)))
      return Status::RuntimeError("the app is shutting down: the event was not taken");
    if (input_ended_.load(std::memory_order_relaxed))
      return Status::RuntimeError(
          restored_ended_
              ? "the input had ended (and what was open had fired) when the checkpoint this app "
                "restored was taken: it takes no more events (start with --fresh, or keep the "
                "input open across restarts with --no-final-flush)"
              : "the input has ended (FinishInput): the event was not taken");
    if (!options_.playback || batch.num_rows() == 0) {
      // Live: operators lock themselves, per batch; nothing app-wide is held.
      junction->Push(batch);
      return failed_.load(std::memory_order_relaxed) ? status() : Status::OK();
    }
    std::lock_guard<std::mutex> lock(process_mu_);
    // Event time moves with the events: what came due before the batch's first event runs
    // before it (windows of every stream close), the batch's own queries advance per event, and
    // the others catch up to the batch's last time after it.
    int64_t min_ts = batch.timestamp(0), max_ts = batch.timestamp(0);
    for (size_t i = 1; i < batch.num_rows(); ++i) {
      min_ts = std::min(min_ts, batch.timestamp(i));
      max_ts = std::max(max_ts, batch.timestamp(i));
    }
    if (min_ts > playback_clock_.NowMillis()) {
      TickThrough(min_ts);
      RunDeferred();
    }
    playback_clock_.AdvanceTo(max_ts);
    junction->Push(batch);
    RunDeferred();
    if (max_ts > min_ts) {
      Tick(playback_clock_.NowMillis());
      RunDeferred();
    }
    return failed_.load(std::memory_order_relaxed) ? status() : Status::OK();
  }

 private:
  AppOptions options_;
  std::unique_ptr<plan::AppPlan> plan_;
  std::string warnings_;
  ManualClock playback_clock_;
  SystemClock system_clock_;
  const Clock* clock_ = nullptr;

  std::map<std::string, std::unique_ptr<runtime::StreamJunction>, std::less<>> junctions_;
  // Per query, in its order: one pipeline, or one instance per worker of its async input.
  std::vector<std::unique_ptr<exec::Pipeline>> pipelines_;
  std::map<std::string, std::unique_ptr<exec::Table>, std::less<>> tables_;
  // The caches of the tables that live in a store, from Start() on.
  std::vector<std::unique_ptr<exec::TableCache>> caches_;
  std::vector<exec::TimedWork*> timed_;  // in definition order
  std::thread timer_;
  std::mutex timer_mu_;
  std::condition_variable timer_cv_;
  std::map<std::string, std::unique_ptr<runtime::AsyncStream>, std::less<>> async_;
  std::vector<std::unique_ptr<runtime::FeedbackLoop>> loops_;
  // Shutdown order: upstream first; the streams of a loop together, once it is at rest.
  struct DrainStep {
    runtime::FeedbackLoop* loop;
    std::vector<std::string> streams;
  };
  std::vector<DrainStep> drain_order_;
  // Playback only: the entries of async streams on loops, and what they were fed.
  struct Deferred {
    runtime::StreamJunction* junction;
    Batch batch;
  };
  std::map<std::string, std::unique_ptr<DeferredEntry>, std::less<>> deferred_entries_;
  std::deque<Deferred> deferred_;
  std::map<std::string, std::unique_ptr<runtime::StreamInput>, std::less<>> inputs_;
  std::vector<std::string> inserted_;  // streams that queries or the engine insert into

  std::vector<std::unique_ptr<connectors::Sink>> sinks_;
  std::vector<const plan::StreamDef*> sink_defs_;  // of each sink
  // The sources; made by Build(), filled and run by Start().
  std::unique_ptr<runtime::SourceSet> sources_;

  // Checkpoints (AppOptions::state_dir): the gate on every entry point, the checkpointer, the
  // positions a restore resumes sources and sinks at ("source:<stream>", "sink:<stream>"), and
  // the sinks' positions of the cut being taken.
  std::unique_ptr<runtime::EntryGate> gate_;
  runtime::EntryGate::Door* timer_door_ = nullptr;
  runtime::EntryGate::Door* api_door_ = nullptr;  // AdvanceTime, FinishInput
  std::unique_ptr<runtime::Checkpointer> checkpointer_;
  std::map<std::string, std::string> resume_positions_;
  std::vector<runtime::AsyncStream*> paused_;  // loops stopped for the cut being taken
  std::vector<std::pair<std::string, uint64_t>> in_flight_;  // what they held, per stream
  std::vector<std::pair<std::string, std::string>> sink_positions_;

  std::mutex process_mu_;             // serialises synchronous processing of batches
  std::mutex lifecycle_mu_;           // Start / Shutdown
  std::condition_variable start_cv_;  // the first Start() has returned: start_done_
  bool start_done_ = false;
  Status start_status_;
  mutable std::mutex status_mu_;
  Status status_;
  std::atomic<bool> failed_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> sources_joined_{false};  // in a shutdown: sources publish nothing more
  std::atomic<bool> input_ended_{false};     // FinishInput has begun
  std::atomic<bool> flushed_{false};
  bool restored_ended_ = false;  // restored from a checkpoint taken after the input ended      //
                                 // ... and has fired everything (not cut short)
  std::mutex finish_mu_;         // one FinishInput at a time
  bool started_ = false;
  bool started_whole_ = false;  // Start() got to its end, with checkpoints
  bool shut_down_ = false;
};

void DeferredEntry::Push(const Batch& batch) { app_->Defer(stream_, batch); }

struct Loaded {
  std::unique_ptr<plan::AppPlan> plan;
  std::string warnings;
};

Result<Loaded> ParseAndPlan(std::string_view app, const AppOptions& options) {
  sql::Diagnostics diags;
  sql::AppAst ast = sql::Parse(app, &diags);
  std::unique_ptr<plan::AppPlan> plan;
  if (!diags.has_errors() || !ast.statements.empty()) plan = plan::BindApp(ast, app, &diags);
  if (diags.has_errors()) {
    int n = diags.error_count();
    return Status::InvalidArgument(diags.Format(app, options.file_name) + std::to_string(n) +
                                   (n == 1 ? " error" : " errors"));
  }
  Loaded l;
  l.plan = std::move(plan);
  l.warnings = diags.Format(app, options.file_name);
  return l;
}

}  // namespace

Result<std::unique_ptr<AppRuntime>> AppRuntime::Load(std::string_view app,
                                                     const AppOptions& options) {
  // The planner accepts only the connectors of connectors/registry.cc, in the directions they run.
  ASSIGN_OR_RETURN(Loaded loaded, ParseAndPlan(app, options));
  if (!options.start_connectors) {
    // Replay and embedding without connectors: a table filled by its source stays empty.
    sql::Diagnostics d;
    for (const auto& def : loaded.plan->catalog.all())
      if (def->is_table && def->connector)
        d.Warning(def->connector->loc,
                  "table '" + def->name + "' is " +
                      (def->connector->is_source ? "loaded from" : "looked up in") +
                      " its connector only by `sluice run` (connectors started): here it " +
                      (def->connector->is_source ? "stays empty"
                                                 : "holds only what the app "
                                                   "writes") +
                      ", and every lookup of another row misses");
    loaded.warnings += d.Format(app, options.file_name);
  }
  // Relative paths in WITH resolve against the app's directory.
  if (!options.base_dir.empty()) {
    for (const auto& def : loaded.plan->catalog.all()) {
      if (!def->connector) continue;
      auto path = def->connector->properties.find("path");
      if (path != def->connector->properties.end() && !path->second.empty() &&
          path->second[0] != '/')
        path->second = options.base_dir + "/" + path->second;
    }
  }
  auto rt = std::make_unique<AppRuntimeImpl>(options, std::move(loaded.plan), loaded.warnings);
  RETURN_IF_ERROR(rt->Build());
  return std::unique_ptr<AppRuntime>(std::move(rt));
}

Status AppRuntime::Check(std::string_view app, const AppOptions& options, std::string* warnings) {
  ASSIGN_OR_RETURN(Loaded loaded, ParseAndPlan(app, options));
  sql::Diagnostics unread;
  plan::WarnUnreadOutputs(*loaded.plan, &unread);
  plan::WarnUnboundedState(*loaded.plan, &unread);
  loaded.warnings += unread.Format(app, options.file_name);
  if (warnings) *warnings = loaded.warnings;
  return Status::OK();
}

}  // namespace sluice
