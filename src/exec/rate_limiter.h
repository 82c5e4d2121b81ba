// OUTPUT [ALL|FIRST|LAST|SNAPSHOT] EVERY (n EVENTS | period): which of a query's output rows go
// out, and when. Periods start at the first row's time; a period's rows go out when the clock
// passes its end (rows keep their own times; a snapshot's carry the period's end).
#pragma once

#include <cstdint>
#include <vector>

#include "exec/state/state_io.h"
#include "plan/plan.h"
#include "sluice/batch.h"

namespace sluice::exec {

class RateLimiter {
 public:
  // `grouped`: the query has GROUP BY, and FIRST / LAST apply per group (as Siddhi's group-by
  // output rate limiters do).
  RateLimiter(const plan::RatePlan& plan, const Schema& schema, bool grouped)
      : plan_(plan), schema_(schema), pending_(schema), grouped_(grouped) {}

  // Feeds `rows` (group ids in `groups`; `live`: events per group in the window) and appends
  // what goes out now to `emit`.
  void Offer(const Batch& rows, const std::vector<uint32_t>& groups,
             const std::vector<int64_t>& live, Batch* emit);
  // The clock reached `now`: every period that ended by then goes out.
  void Advance(int64_t now, const std::vector<int64_t>& live, Batch* emit);
  // When a period next ends with something to show. Periods of ALL and LAST with nothing pending,
  // and of FIRST, show nothing at their end (FIRST starts afresh lazily, at the next row); a
  // SNAPSHOT shows its state every period, and after the end of input once more if it changed.
  int64_t NextDeadline() const;
  void EndInput() { ended_ = true; }

  // The periods' state: rows waiting, the period's end, the groups seen (state_io.h).
  void Snapshot(StateWriter& w) const;
  void Restore(StateReader& r);

 private:
  // FIRST: true for the first row of the group in this period.
  bool MarkFirst(uint32_t g);
  // LAST and SNAPSHOT: the group's latest row.
  void KeepLatest(uint32_t g, const Batch& rows, size_t r);
  void EndPeriod(const std::vector<int64_t>& live, Batch* emit, int64_t at);

  plan::RatePlan plan_;
  Schema schema_;
  Batch pending_;
  bool grouped_;
  int64_t count_ = 0;
  bool started_ = false;
  int64_t end_ = 0;
  bool offered_ = false;  // rows came in the current period
  bool ended_ = false;    // the input has ended (see TimedWork::EndInput)
  std::vector<Batch> latest_;
  std::vector<uint8_t> has_, sent_;
  std::vector<uint32_t> order_;  // groups seen this period, in first-seen order
};

}  // namespace sluice::exec
