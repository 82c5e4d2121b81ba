#include "plan/stream_graph.h"

#include <algorithm>
#include <functional>

namespace sluice::plan {

StreamGraph::StreamGraph(const AppPlan& plan) {
  for (const auto& def : plan.catalog.all()) streams_.push_back(def.get());
  edges_.resize(streams_.size());
  // A table is written, and looked up by joins; it sends no events, so it closes no loop.
  for (const QueryPlan& q : plan.queries) {
    const StreamDef* target = q.table_write ? q.table_write->table : q.target;
    for (const StreamDef* source : q.Sources())
      if (!source->is_table) edges_[IndexOf(source)].push_back({target, &q});
  }
  for (const QueryPlan& q : plan.queries) {
    if (q.join || q.pattern) continue;  // their failures are logged, not sent to a fault stream
    const StreamDef* fault =
        q.input->fault_stream.empty() ? nullptr : plan.catalog.Find(q.input->fault_stream);
    std::vector<StreamEdge>& out = edges_[IndexOf(q.input)];
    if (fault &&
        std::none_of(out.begin(), out.end(), [&](const StreamEdge& e) { return e.to == fault; }))
      out.push_back({fault, &q});
  }
}

size_t StreamGraph::IndexOf(const StreamDef* def) const {
  return static_cast<size_t>(std::find(streams_.begin(), streams_.end(), def) - streams_.begin());
}

const std::vector<StreamEdge>& StreamGraph::Edges(const StreamDef* from) const {
  return edges_[IndexOf(from)];
}

std::vector<std::vector<const StreamDef*>> StreamGraph::Components() const {
  // Tarjan's algorithm: it completes a component only after every component reachable from it,
  // so the order it produces is downstream first.
  size_t n = streams_.size();
  std::vector<int> index(n, -1), low(n, 0);
  std::vector<bool> on_stack(n, false);
  std::vector<size_t> stack;
  std::vector<std::vector<const StreamDef*>> components;
  int next_index = 0;
  std::function<void(size_t)> visit = [&](size_t v) {
    index[v] = low[v] = next_index++;
    stack.push_back(v);
    on_stack[v] = true;
    for (const StreamEdge& e : edges_[v]) {
      size_t w = IndexOf(e.to);
      if (index[w] < 0) {
        visit(w);
        low[v] = std::min(low[v], low[w]);
      } else if (on_stack[w]) {
        low[v] = std::min(low[v], index[w]);
      }
    }
    if (low[v] != index[v]) return;
    std::vector<size_t> members;
    size_t w;
    do {
      w = stack.back();
      stack.pop_back();
      on_stack[w] = false;
      members.push_back(w);
    } while (w != v);
    std::sort(members.begin(), members.end());
    std::vector<const StreamDef*>& component = components.emplace_back();
    for (size_t m : members) component.push_back(streams_[m]);
  };
  for (size_t v = 0; v < n; ++v)
    if (index[v] < 0) visit(v);
  std::reverse(components.begin(), components.end());
  return components;
}

bool StreamGraph::IsLoop(const std::vector<const StreamDef*>& component) const {
  if (component.size() != 1) return component.size() > 1;
  const std::vector<StreamEdge>& out = Edges(component[0]);
  return std::any_of(out.begin(), out.end(),
                     [&](const StreamEdge& e) { return e.to == component[0]; });
}

}  // namespace sluice::plan
