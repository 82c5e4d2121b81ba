// Values as hashable bytes: equal exactly when the values are (NULL equals NULL, -0.0 equals 0.0).
// Keys of several columns are the concatenation of their parts (strings carry their length, so
// parts cannot run into each other). For DISTINCT, partition keys and table keys.
#pragma once

#include <string>

#include "sluice/batch.h"

namespace sluice {

void AppendValueKey(const Column& column, size_t row, std::string* key);

}  // namespace sluice
