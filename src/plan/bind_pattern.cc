// Patterns and sequences: elements, counts, AND / OR, NOT ... FOR, EVERY, WITHIN, PARTITION BY,
// and WHERE conjuncts pushed down to the element where they can be checked.
#include "plan/binder_internal.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <set>

#include "common/format.h"
#include "common/row_key.h"
#include "plan/plan.h"
#include "plan/stream_graph.h"
#include "plan/type_rules.h"
#include "sql/parser.h"

namespace sluice::plan::binding {

std::optional<PatternPlan> Binder::PlanPattern(
    const sql::PatternSpec& spec, const Scope& scope,
    std::map<const sql::PatternNode*, BoundExprPtr>* filters) {
  using K = sql::PatternNode::Kind;
  PatternPlan plan;
  plan.sequence = spec.is_sequence;
  const sql::ExprPtr* within = spec.within ? &spec.within : nullptr;
  const sql::PatternNode* n = spec.root.get();
  std::vector<const sql::PatternNode*> elements;
  if (n->within) within = &n->within;
  if (n->kind == K::kEvery) {
    n = n->children[0].get();
    if (n->within) within = &n->within;
    plan.every = PatternPlan::Every::kGroup;
  }
  if (n->kind == K::kFollowedBy) {
    for (size_t i = 0; i < n->children.size(); ++i) {
      const sql::PatternNode* c = n->children[i].get();
      if (i == 0 && c->kind == K::kEvery && plan.every == PatternPlan::Every::kNone &&
          (c->children[0]->kind == K::kElement || c->children[0]->kind == K::kNot)) {
        plan.every = PatternPlan::Every::kFirst;
        c = c->children[0].get();
      }
      elements.push_back(c);
    }
  } else {
    elements.push_back(n);
  }
  // `a AND b` / `a OR b` of two single elements: two steps, the first marked as joint.
  std::map<const sql::PatternNode*, PatternStepPlan::Joint> joints;
  bool ok = true;
  {
    std::vector<const sql::PatternNode*> flat;
    for (const sql::PatternNode* e : elements) {
      if ((e->kind == K::kAnd || e->kind == K::kOr) && e->children.size() == 2 &&
          e->children[0]->kind == K::kElement && e->children[1]->kind == K::kElement &&
          e->children[0]->min_count == 1 && e->children[0]->max_count == 1 &&
          e->children[1]->min_count == 1 && e->children[1]->max_count == 1) {
        joints[e->children[0].get()] =
            e->kind == K::kAnd ? PatternStepPlan::Joint::kAnd : PatternStepPlan::Joint::kOr;
        flat.push_back(e->children[0].get());
        flat.push_back(e->children[1].get());
        continue;
      }
      flat.push_back(e);
    }
    elements = std::move(flat);
  }
  for (size_t i = 0; i < elements.size(); ++i) {
    const sql::PatternNode* e = elements[i];
    if (e->kind == K::kEvery) {
      NotSupported(e->loc, "EVERY inside a pattern (only on the first element or the whole)", 5);
      ok = false;
    } else if (e->kind == K::kAnd || e->kind == K::kOr) {
      NotSupported(e->loc,
                   std::string(e->kind == K::kAnd ? "AND" : "OR") +
                       " in a pattern other than between two single elements",
                   3);
      ok = false;
    } else if (e->kind == K::kFollowedBy) {
      NotSupported(e->loc, "a nested pattern group");
      ok = false;
    } else if (e->kind == K::kNot && !e->for_duration) {
      NotSupported(e->loc, "NOT without FOR in a pattern", 3);
      ok = false;
    } else if (e->kind == K::kNot && spec.is_sequence) {
      NotSupported(e->loc, "NOT in a SEQUENCE", 3);
      ok = false;
    } else if (e->kind == K::kNot && i > 0 &&
               (elements[i - 1]->min_count != 1 || elements[i - 1]->max_count != 1)) {
      NotSupported(e->loc, "NOT after an element that collects a count of events", 3);
      ok = false;
    } else if (e->kind == K::kElement && e->min_count == 0 && i + 1 < elements.size() &&
               elements[i + 1]->kind == K::kElement && elements[i + 1]->min_count == 0) {
      NotSupported(elements[i + 1]->stream_loc, "two optional elements in a row",
                   static_cast<int>(elements[i + 1]->stream.size()));
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  size_t input = 0;
  for (const sql::PatternNode* e : elements) {
    if (input >= scope.inputs.size()) return std::nullopt;  // reported while binding
    PatternStepPlan step;
    step.stream = plan_->catalog.Find(scope.inputs[input].stream);
    step.alias = e->alias;
    step.first_column = scope.inputs[input].offset;
    step.event_column = step.first_column;
    step.absent = e->kind == K::kNot;
    if (step.absent) step.for_ms = e->for_duration->literal.int_value();
    if (e->kind == K::kElement) {
      step.min_count = e->min_count;
      step.max_count = e->max_count;
    }
    ++input;
    if (e->kind == K::kElement && e->max_count != 1)
      step.event_column = scope.inputs[input++].offset;
    auto f = filters->find(e);
    if (f != filters->end()) step.condition = std::move(f->second);
    auto j = joints.find(e);
    if (j != joints.end()) step.joint = j->second;
    if (!step.stream) return std::nullopt;
    plan.steps.push_back(std::move(step));
  }
  if (within) plan.within_ms = (*within)->literal.int_value();
  return plan;
}

void Binder::PushDownToSteps(BoundExprPtr where, PatternPlan* plan) {
  std::vector<BoundExprPtr> conjuncts;
  std::vector<BoundExprPtr> todo;
  todo.push_back(std::move(where));
  while (!todo.empty()) {
    BoundExprPtr e = std::move(todo.back());
    todo.pop_back();
    if (e->kind == BoundExpr::Kind::kAnd) {
      for (auto it = e->args.rbegin(); it != e->args.rend(); ++it) todo.push_back(std::move(*it));
      continue;
    }
    conjuncts.push_back(std::move(e));
  }
  for (BoundExprPtr& c : conjuncts) {
    int last_column = -1;
    std::function<void(const BoundExpr&)> scan = [&](const BoundExpr& x) {
      if (x.kind == BoundExpr::Kind::kColumn) last_column = std::max(last_column, x.column);
      for (const auto& a : x.args) scan(*a);
    };
    scan(*c);
    size_t at = 0;
    for (size_t i = 0; i < plan->steps.size(); ++i)
      if (plan->steps[i].first_column <= last_column) at = i;
    // Naming both sides of an AND / OR: checked when the second of them comes.
    bool spans_joint = false;
    if (at > 0 && plan->steps[at - 1].joint != PatternStepPlan::Joint::kNone) {
      int lo = plan->steps[at - 1].first_column, hi = plan->steps[at].first_column;
      std::function<bool(const BoundExpr&)> names_partner = [&](const BoundExpr& x) {
        if (x.kind == BoundExpr::Kind::kColumn && x.column >= lo && x.column < hi) return true;
        for (const auto& a : x.args)
          if (names_partner(*a)) return true;
        return false;
      };
      spans_joint = names_partner(*c);
    }
    if (spans_joint)
      AndInto(&plan->steps[at - 1].joint_condition, std::move(c));
    else
      AndInto(&plan->steps[at].condition, std::move(c));
  }
}

void Binder::AndInto(BoundExprPtr* target, BoundExprPtr c) {
  if (!*target) {
    *target = std::move(c);
    return;
  }
  auto both = std::make_unique<BoundExpr>();
  both->kind = BoundExpr::Kind::kAnd;
  both->type = DataType::Bool();
  both->loc = (*target)->loc;
  both->text = (*target)->text + " AND " + c->text;
  both->args.push_back(std::move(*target));
  both->args.push_back(std::move(c));
  *target = std::move(both);
}

void Binder::BindPatternScope(const sql::PatternNode& n, Scope* scope) {
  if (n.kind == sql::PatternNode::Kind::kElement || n.kind == sql::PatternNode::Kind::kNot) {
    const StreamDef* def = plan_->catalog.Find(n.stream);
    if (!def) {
      diags_->Error(n.stream_loc, "unknown stream '" + n.stream + "'", StreamSuggestion(n.stream),
                    static_cast<int>(n.stream.size()));
    } else {
      for (const ScopeInput& in : scope->inputs)
        if (!n.alias.empty() && in.alias == n.alias)
          diags_->Error(n.loc, "pattern alias '" + n.alias + "' is used twice");
      int offset = 0;
      if (!scope->inputs.empty())
        offset =
            scope->inputs.back().offset + static_cast<int>(scope->inputs.back().schema->size());
      scope->inputs.push_back({def->name, n.alias, &def->schema, offset});
      // An element that collects several events keeps its first (e[0], `alias`) and its last
      // (e[last], `alias[last]`).
      if (n.kind == sql::PatternNode::Kind::kElement && n.max_count != 1) {
        if (n.alias.empty())
          diags_->Error(n.stream_loc, "an element that collects several events needs an alias",
                        "e.g. e1=" + n.stream + "{2,5}", static_cast<int>(n.stream.size()));
        counted_aliases_.insert(n.alias);
        scope->inputs.push_back({def->name, n.alias + "[last]", &def->schema,
                                 offset + static_cast<int>(def->schema.size())});
      }
    }
    if (n.for_duration) CheckDuration(*n.for_duration, "NOT ... FOR");
  }
  if (n.within) CheckDuration(*n.within, "WITHIN");
  for (const auto& c : n.children) BindPatternScope(*c, scope);
}

void Binder::BindPatternFilters(const sql::PatternNode& n, const Scope& scope,
                                std::map<const sql::PatternNode*, BoundExprPtr>* bound) {
  if (n.filter) {
    // An element's filter sees its own stream unqualified and earlier aliases qualified.
    Scope s = scope;
    std::string self_alias = n.max_count != 1 ? n.alias + "[last]" : n.alias;
    for (auto& in : s.inputs)
      if (in.stream == n.stream && in.alias == self_alias) {
        ScopeInput self = in;
        s.inputs.erase(std::remove_if(s.inputs.begin(), s.inputs.end(),
                                      [&](const ScopeInput& x) {
                                        return x.stream == self.stream && x.alias == self.alias;
                                      }),
                       s.inputs.end());
        s.inputs.insert(s.inputs.begin(), self);
        s.prefer_first = true;
        break;
      }
    (*bound)[&n] = BindCondition(*n.filter, s, "pattern filter");
  }
  for (const auto& c : n.children) BindPatternFilters(*c, scope, bound);
}

}  // namespace sluice::plan::binding
