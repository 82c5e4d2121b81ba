#include "runtime/stream_input.h"

#include <optional>

#include "common/convert.h"
#include "exec/event_time.h"
#include "exec/staged_work.h"

namespace sluice::runtime {

Status StreamInput::Send(int64_t timestamp, std::span<const Value> values) {
  EntryGate::Pass pass(gate_, door_);
  Status st = SendLocked(timestamp, values);
  exec::RunStagedWork();  // queued now that no lock is held
  return st;
}

Status StreamInput::SendLocked(int64_t timestamp, std::span<const Value> values) {
  StagingClaim claim(&staging_busy_);
  std::optional<Batch> own;
  Batch* one = claim.owned() ? &one_ : &own.emplace(def_.schema);
  if (values.size() != def_.schema.size()) {
    junction_->CountMalformed();
    return Status::InvalidArgument(
        "stream '" + def_.name + "' has " + std::to_string(def_.schema.size()) + " attributes " +
        def_.schema.ToString() + ", got " + std::to_string(values.size()) + " values");
  }
  one->Clear();
  one->AddRow(timestamp);
  for (size_t i = 0; i < values.size(); ++i) {
    if (!one->SetValue(0, i, values[i])) {
      junction_->CountMalformed();
      return Status::InvalidArgument(
          "cannot convert " + values[i].ToString() + " to " + def_.schema.field(i).type.ToString() +
          " for '" + def_.name + "." + def_.schema.field(i).name +
          "': " + ConversionProblem(values[i], def_.schema.field(i).type));
    }
  }
  std::string problem;
  if (!exec::StampEventTime(def_.event_time, one, 0, &problem)) {
    junction_->CountMalformed();
    return Status::InvalidArgument("stream '" + def_.name + "', event time from '" +
                                   def_.schema.field(def_.event_time.field).name + "': " + problem);
  }
  return app_->Publish(entry_, *one);
}

Status StreamInput::SendBatch(const Batch& batch) {
  EntryGate::Pass pass(gate_, door_);
  Status st = SendBatchInner(batch);
  exec::RunStagedWork();  // queued now that no lock is held
  return st;
}

Status StreamInput::SendStamped(const Batch& batch) {
  Status st = app_->Publish(entry_, batch, /*from_source=*/true);
  exec::RunStagedWork();  // queued now that no lock is held
  return st;
}

Status StreamInput::SendBatchInner(const Batch& batch) {
  if (batch.num_columns() != def_.schema.size())
    return Status::InvalidArgument("batch for '" + def_.name + "' has " +
                                   std::to_string(batch.num_columns()) + " columns, the stream " +
                                   std::to_string(def_.schema.size()));
  for (size_t i = 0; i < batch.num_columns(); ++i)
    if (!(batch.column(i).type() == def_.schema.field(i).type))
      return Status::InvalidArgument("batch column " + std::to_string(i) + " of '" + def_.name +
                                     "' is " + batch.column(i).type().ToString() + ", expected " +
                                     def_.schema.field(i).type.ToString());
  if (def_.event_time.field < 0) return app_->Publish(entry_, batch);
  // Times come from an attribute: the rows that give one go on; each that does not is rejected
  // alone, and counted once.
  StagingClaim claim(&staging_busy_);
  std::optional<Batch> own;
  Batch* staged = claim.owned() ? &staging_ : &own.emplace(def_.schema);
  std::string rejected;
  StageWithEventTime(batch, staged, &rejected);
  Status st = app_->Publish(entry_, *staged);
  if (!st.ok() || rejected.empty()) return st;
  return Status::InvalidArgument(rejected);
}

void StreamInput::StageWithEventTime(const Batch& batch, Batch* staged, std::string* rejected) {
  staged->Reset(def_.schema);
  staged->Resize(batch.num_rows());
  size_t kept = 0, bad = 0;
  std::string problem, first;
  for (size_t r = 0; r < batch.num_rows(); ++r) {
    for (size_t c = 0; c < batch.num_columns(); ++c)
      staged->column(c).CopyRow(batch.column(c), r, kept);
    if (!exec::StampEventTime(def_.event_time, staged, kept, &problem)) {
      if (bad++ == 0) first = "row " + std::to_string(r) + ": " + problem;
      continue;
    }
    ++kept;
  }
  staged->Resize(kept);
  if (bad == 0) return;
  junction_->CountMalformed(bad);
  *rejected = "stream '" + def_.name + "': " + std::to_string(bad) + " of " +
              std::to_string(batch.num_rows()) + " events have no event time from '" +
              def_.schema.field(def_.event_time.field).name + "' and were not taken (" + first +
              ")";
}

}  // namespace sluice::runtime
