// Why a value does not convert to an attribute's type, in words for a message about an input event
// ("out of range for INT", "not an integer"). Called only when Batch::SetValue refused the value.
#pragma once

#include <string>

#include "sluice/types.h"

namespace sluice {

std::string ConversionProblem(const Value& v, DataType to);

}  // namespace sluice
