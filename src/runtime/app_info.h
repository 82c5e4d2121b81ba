// AppRuntime::Describe: the app's streams, tables and queries as tools show them, from its plan
// and its pipelines (secrets in WITH options hidden).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "exec/pipeline.h"
#include "plan/plan.h"
#include "sluice/app_info.h"

namespace sluice::runtime {

// `file`: the app's name in "file:line:col".
AppInfo DescribeApp(const plan::AppPlan& plan, const std::string& file,
                    const std::vector<std::unique_ptr<exec::Pipeline>>& pipelines);

}  // namespace sluice::runtime
