#include "runtime/replay_player.h"

#include <algorithm>

#include "common/format.h"
#include "connectors/json_codec.h"

namespace sluice::runtime {

ReplayPlayer::ReplayPlayer(AppRuntime* app) : app_(app) {}
ReplayPlayer::~ReplayPlayer() = default;

Status ReplayPlayer::Play(std::string_view line) {
  if (line.find_first_not_of(" \t\r") == std::string_view::npos) return Status::OK();
  connectors::ReplayLine rl;
  RETURN_IF_ERROR(connectors::ParseReplayLine(line, &rl));
  if (rl.is_advance) return app_->AdvanceTime(rl.advance_to);
  if (!rl.op.empty() && rl.op != "+I")
    return Status::InvalidArgument("an input event is an insert: \"op\" " + rl.op +
                                   " belongs to expected output");
  InputHandler* input = app_->GetInputHandler(rl.stream);
  if (!input) {
    std::vector<std::string> tables = app_->TableNames();
    if (std::find(tables.begin(), tables.end(), rl.stream) != tables.end())
      return Status::InvalidArgument("'" + rl.stream +
                                     "' is a table: replay sends events to streams (fill the "
                                     "table from a stream with UPDATE OR INSERT INTO " +
                                     rl.stream + ")");
    return Status::InvalidArgument("unknown stream '" + rl.stream + "'");
  }
  if (!rl.has_ts && input->event_time_attribute() < 0) {
    input->CountMalformed();
    return Status::InvalidArgument("stream '" + rl.stream +
                                   "' has no event-time attribute, so the line needs \"ts\" "
                                   "(milliseconds)");
  }
  auto it = inputs_.find(rl.stream);
  if (it == inputs_.end()) {
    Input in;
    in.decoder = std::make_unique<connectors::JsonRowDecoder>(input->schema());
    in.batch = std::make_unique<Batch>(input->schema());
    it = inputs_.emplace(rl.stream, std::move(in)).first;
  }
  Batch& batch = *it->second.batch;
  batch.Clear();
  batch.AddRow(rl.ts);
  Status st = it->second.decoder->Decode(rl.payload, &batch, 0);
  if (!st.ok()) {
    input->CountMalformed();
    return Status::InvalidArgument("stream '" + rl.stream + "': " + st.message());
  }
  return input->SendBatch(batch);
}

void AppendReplayOutput(std::string* lines, const OutputBatch& out, bool changelog) {
  for (size_t r = 0; r < out.batch->num_rows(); ++r) {
    lines->append("{\"stream\":");
    AppendJsonString(lines, out.stream);
    lines->append(",\"ts\":");
    AppendInt(lines, out.batch->timestamp(r));
    if (changelog) {
      lines->append(",\"op\":\"");
      lines->append(ChangeKindName(out.batch->kind(r)));
      lines->push_back('"');
    }
    lines->append(",\"data\":");
    connectors::AppendJsonObject(lines, *out.schema, *out.batch, r);
    lines->append("}\n");
  }
}

}  // namespace sluice::runtime
