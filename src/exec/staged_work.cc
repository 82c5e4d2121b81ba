#include "exec/staged_work.h"

#include <algorithm>
#include <vector>

namespace sluice::exec {

namespace {
thread_local std::vector<StagedWork*> t_staged;
}  // namespace

void StageWork(StagedWork* work) {
  // A handful of stagers at most per thread: a linear check keeps each one staged once.
  if (std::find(t_staged.begin(), t_staged.end(), work) == t_staged.end()) t_staged.push_back(work);
}

void RunStagedWork() {
  // What runs may stage more (an async stream's batch for a sink): run until nothing is left.
  while (!t_staged.empty()) {
    std::vector<StagedWork*> staged;
    staged.swap(t_staged);
    for (StagedWork* work : staged) work->RunStaged();
  }
}

}  // namespace sluice::exec
