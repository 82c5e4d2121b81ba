#include "runtime/table_loader.h"

#include <algorithm>
#include <thread>

#include "common/log.h"

namespace sluice::runtime {

TableLoader::TableLoader(const plan::StreamDef& def, exec::Table* table,
                         exec::BatchConsumer* changelog, connectors::Source* source)
    : def_(def),
      table_(table),
      source_(source),
      op_(table, changelog),
      started_(std::chrono::steady_clock::now()) {}

uint64_t TableLoader::Apply(const Batch& rows) {
  uint64_t before = op_.rejected();
  op_.Push(rows);
  uint64_t rejected = op_.rejected() - before;
  if (rejected == 0) return 0;
  // Logged the first time, with that batch's count; later ones are counted only (the table's
  // `rejected` and its stream's malformed), so that a bad file does not flood the log.
  if (rejected_.fetch_add(rejected, std::memory_order_relaxed) == 0)
    Log(LogLevel::kWarn, "table '" + def_.name + "': " + std::to_string(rejected) +
                             " row(s) read from " + Where() +
                             " have a NULL key and were not loaded (counted as malformed)");
  return rejected;
}

void TableLoader::SourceEnded(const Status& st) {
  if (st.ok()) {
    NoteLoaded();
    return;
  }
  {
    std::lock_guard<std::mutex> lock(error_mu_);
    error_ = st.message();
  }
  failed_.store(true, std::memory_order_release);
}

bool TableLoader::Loaded() const {
  const connectors::SourceProgress& p = source_->progress();
  if (Failed()) return true;
  if (!p.caught_up.load() && !p.finished.load()) return false;
  NoteLoaded();
  return true;
}

void TableLoader::NoteLoaded() const {
  int64_t us = std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::steady_clock::now() - started_)
                   .count();
  const connectors::SourceProgress& p = source_->progress();
  uint64_t records = p.records.load();
  int64_t loading = -1;
  if (!load_us_.compare_exchange_strong(loading, us)) return;
  load_records_.store(records);
  Log(LogLevel::kInfo, "table '" + def_.name + "' loaded from " + Where() + ": " +
                           std::to_string(p.records.load()) + " record(s) in " +
                           std::to_string(us / 1000) + " ms");
}

std::string TableLoader::Where() const {
  std::string where = source_->where();
  return where.empty() ? def_.connector->connector : where;  // stdin, the generator
}

TableLoadStats TableLoader::Stats() const {
  const connectors::SourceProgress& p = source_->progress();
  TableLoadStats s;
  s.table = def_.name;
  s.connector = def_.connector->connector;
  s.where = Where();
  s.records = p.records.load();
  s.bytes = p.bytes.load();
  s.total_bytes = p.total_bytes.load();
  s.rejected = rejected_.load(std::memory_order_relaxed);
  s.waited_out = waited_out_.load(std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(table_->mu());
    s.rows = table_->rows().size();
  }
  bool loaded = Loaded();
  int64_t load_us = load_us_.load();
  if (Failed()) {
    s.state = "failed";
    std::lock_guard<std::mutex> lock(error_mu_);
    s.error = error_;
  } else {
    s.state = loaded ? "ready" : "loading";
  }
  if (load_us >= 0) s.load_ms = load_us / 1000;
  double secs =
      load_us >= 0
          ? static_cast<double>(load_us) / 1e6
          : std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  // The rate of the load: its records over its time (afterwards, updates are not a load).
  uint64_t loaded_records = load_us >= 0 ? load_records_.load() : s.records;
  if (secs > 0) s.records_per_s = static_cast<double>(loaded_records) / secs;
  if (!loaded && s.total_bytes > 0 && s.bytes > 0 && s.bytes < s.total_bytes && secs > 0) {
    double bytes_per_s = static_cast<double>(s.bytes) / secs;
    s.eta_ms =
        static_cast<int64_t>(static_cast<double>(s.total_bytes - s.bytes) / bytes_per_s * 1000);
  }
  return s;
}

namespace {

std::string LoadProgress(const TableLoadStats& s) {
  std::string line = "table '" + s.table + "' loading from " + s.where + ": " +
                     std::to_string(s.records) + " record(s), " + std::to_string(s.rows) +
                     " row(s)";
  if (s.total_bytes > 0) {
    line += ", " + std::to_string(s.bytes * 100 / s.total_bytes) + "% of the file";
    if (s.eta_ms >= 0) line += ", about " + std::to_string((s.eta_ms + 999) / 1000) + " s left";
  }
  return line;
}

}  // namespace

Status WaitForTables(const std::vector<TableLoader*>& loaders,
                     const std::function<bool()>& stopping) {
  auto start = std::chrono::steady_clock::now();
  auto next_report = start + std::chrono::seconds(10);
  std::vector<bool> done(loaders.size(), false);
  for (;;) {
    // A long load says how far it is, every 10 s.
    bool report = std::chrono::steady_clock::now() >= next_report;
    if (report) next_report += std::chrono::seconds(10);
    bool all = true;
    for (size_t i = 0; i < loaders.size(); ++i) {
      if (done[i]) continue;
      TableLoader* l = loaders[i];
      if (l->Failed()) {
        TableLoadStats s = l->Stats();
        return Status::IoError("table '" + l->def().name + "' could not be loaded from " + s.where +
                               ": " + s.error);
      }
      if (l->Loaded()) {
        done[i] = true;
        continue;
      }
      auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - start);
      if (waited.count() >= l->def().load_timeout_ms) {
        TableLoadStats s = l->Stats();
        l->MarkWaitedOut();
        // '0' asked not to wait: nothing to warn about.
        if (l->def().load_timeout_ms > 0)
          Log(LogLevel::kWarn,
              "table '" + l->def().name + "' is not loaded after " +
                  std::to_string(l->def().load_timeout_ms) +
                  " ms ('table.load.timeout'): " + std::to_string(s.rows) +
                  " row(s) so far; the streams start now, and a lookup that finds no row is "
                  "answered as the query's @join(missing) says, else as its join does (an inner "
                  "join emits nothing, an outer join NULLs)");
        done[i] = true;
        continue;
      }
      all = false;
      if (report) Log(LogLevel::kInfo, LoadProgress(l->Stats()));
    }
    if (all) return Status::OK();
    if (stopping()) return Status(StatusCode::kCancelled, "stopped while the tables were loading");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace sluice::runtime
