#include "plan/catalog.h"

namespace sluice::plan {

StreamDef* Catalog::Find(std::string_view name) {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

const StreamDef* Catalog::Find(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

StreamDef* Catalog::Add(std::unique_ptr<StreamDef> def) {
  StreamDef* p = def.get();
  by_name_[p->name] = p;
  defs_.push_back(std::move(def));
  return p;
}

std::vector<std::string> Catalog::Names() const {
  std::vector<std::string> names;
  for (const auto& d : defs_) names.push_back(d->name);
  return names;
}

}  // namespace sluice::plan
