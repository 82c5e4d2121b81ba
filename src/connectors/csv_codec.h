// CSV for events: RFC 4180 quoting ("a ""quoted"" value"), one event per line, an empty field is
// NULL. Values are converted from text as CAST would.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sluice/batch.h"
#include "sluice/status.h"

namespace sluice::connectors {

// Splits one CSV line into fields (unquoted). False on an unterminated quote.
bool SplitCsv(std::string_view line, char delimiter, std::vector<std::string>* fields);

// The attribute of each column of a header line; an error when a name is not an attribute or
// appears twice (a header may name a subset of the attributes, in any order).
Status CsvHeaderColumns(const std::vector<std::string>& header, const Schema& schema,
                        std::vector<int>* columns);

// Decodes the fields of one line into row `row`; `columns[i]` is the attribute of field i (from
// the header), or positional when `columns` is empty. The count of fields must match.
Status DecodeCsvFields(const std::vector<std::string>& fields, const std::vector<int>& columns,
                       const Schema& schema, Batch* batch, size_t row);

void AppendCsvRow(std::string* out, const Schema& schema, const Batch& batch, size_t row,
                  char delimiter);
// Appends one field as text, unquoted (nothing for NULL): a Redis key, a template's part.
void AppendFieldText(std::string* out, const Column& col, size_t row);
void AppendCsvHeader(std::string* out, const Schema& schema, char delimiter);

}  // namespace sluice::connectors
