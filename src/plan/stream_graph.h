// The streams of an app as a graph: an edge from each query's input to its target, and from a
// stream to its fault stream `!S` (a query on S inserts its failures there). Used to reject loops
// that would recurse, to find the loops that @Async streams close, and to drain upstream first.
#pragma once

#include <string>
#include <vector>

#include "plan/plan.h"

namespace sluice::plan {

struct StreamEdge {
  const StreamDef* to;
  const QueryPlan* query;  // the query that inserts (for a fault edge: the first query on `from`)
};

class StreamGraph {
 public:
  explicit StreamGraph(const AppPlan& plan);

  const std::vector<StreamEdge>& Edges(const StreamDef* from) const;
  // Strongly connected components, upstream first: a component comes after every component that
  // inserts into it. Within a component, streams are in catalog order.
  std::vector<std::vector<const StreamDef*>> Components() const;
  // Whether a component is a loop: more than one stream, or a stream that inserts into itself.
  bool IsLoop(const std::vector<const StreamDef*>& component) const;

 private:
  std::vector<const StreamDef*> streams_;  // catalog order
  std::vector<std::vector<StreamEdge>> edges_;
  size_t IndexOf(const StreamDef* def) const;
};

}  // namespace sluice::plan
