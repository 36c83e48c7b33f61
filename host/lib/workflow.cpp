#include "crmflow/host/workflow.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "crmflow/host/call_context.hpp"
#include "crmflow/host/firing.hpp"
#include "crmflow/host/json_diagnostics.hpp"
#include "crmflow/host/json_reader.hpp"
#include "crmflow/host/json_schema.hpp"
#include "crmflow/host/related_fields.hpp"
#include "crmflow/host/template.hpp"

namespace crmflow {
namespace fs = std::filesystem;

namespace {

// {"field": "status", "op": "equals", "value": "Active"} as `status equals "Active"`.
std::string leaf_text(const Json& node) {
  std::string text =
      node.value("field", Json()).is_string() ? node["field"].get<std::string>() : "?";
  text += " " + (node.value("op", Json()).is_string() ? node["op"].get<std::string>() : "?");
  if (node.contains("value")) text += " " + node["value"].dump();
  return text;
}

struct Reader {
  const PluginRegistry& plugins;
  const ModuleMap* map;
  const Module* module = nullptr;
  JsonProblems& problems;

  // `params_path` is where the parameters are in the file, for the schema's messages.
  std::shared_ptr<const ComponentInstance> create(const std::string& name, const Json& params,
                                                  uint32_t kind, const std::string& path,
                                                  const std::string& params_path) {
    const Component* component = plugins.find(name);
    if (component == nullptr) {
      problems.add(path, fmt::format("no enabled plugin component named '{}'", name));
      return nullptr;
    }
    if (component->kind != kind) {
      const std::string_view found = kind_name(component->kind);
      problems.add(path, fmt::format("'{}' is {} {} component; here {} is needed", name,
                                     found.starts_with('a') ? "an" : "a", found,
                                     kind == CRMFLOW_KIND_ACTION      ? "an action"
                                     : kind == CRMFLOW_KIND_CONDITION ? "a condition"
                                                                      : "a trigger"));
      return nullptr;
    }
    // The plugin's declared schema first: its messages name the parameter's exact path;
    // then the plugin's own checks in create().
    if (const auto schema = parse_schema(component->params_schema); !schema) {
      problems.add(path, fmt::format("plugin '{}': {}", name, schema.error()));
      return nullptr;
    } else if (const auto wrong = validate_against_schema(*schema, params); !wrong.empty()) {
      for (const SchemaProblem& problem : wrong) {
        problems.add(params_path + problem.path, problem.message);
      }
      return nullptr;
    }
    auto instance = plugins.instantiate(*component, params.dump());
    if (!instance) {
      problems.add(path, instance.error());
      return nullptr;
    }
    return std::make_shared<const ComponentInstance>(std::move(*instance));
  }

  // {"plugin": "<trigger>", "params": {...}}: the trigger component, dry-run against the
  // live schema when the module's columns are known.
  std::shared_ptr<const ComponentInstance> trigger(const Json& node) {
    if (!node.contains("plugin") || !node["plugin"].is_string()) {
      problems.add("trigger",
                   R"(expected "saved", "deleted" or {"plugin": "<trigger>", "params": {...}})");
      return nullptr;
    }
    reject_unknown_keys(node, "trigger", {"plugin", "params"}, problems);
    auto instance = create(node["plugin"].get<std::string>(), node.value("params", Json::object()),
                           CRMFLOW_KIND_TRIGGER, "trigger", "trigger.params");
    if (instance == nullptr || map == nullptr || module == nullptr || module->columns.empty()) {
      return instance;
    }
    const SysSeconds until = now();
    TickCall dry_run{format_utc(until - std::chrono::days(366)), format_utc(until), nullptr};
    FiringTarget target{map, module, "check", until - std::chrono::days(366), until};
    target.dry_run = true;
    dry_run.fire = [&](const Json& request) -> std::expected<uint64_t, std::string> {
      const auto outcome = fire(nullptr, target, request);
      if (!outcome) return std::unexpected(outcome.error());
      return outcome->fired;
    };
    if (const auto ticked = instance->tick(
            module->name, dry_run, std::chrono::steady_clock::now() + std::chrono::seconds(5));
        !ticked) {
      problems.add("trigger.params", ticked.error());
    }
    return instance;
  }

  // Text holding "{{" in an action's parameters is a template the host renders (abi.h
  // render): a malformed one, or a dotted name whose first part is neither record, user nor
  // a relation of the workflow's module, would fail on every run, so it is said here.
  // Undotted names may be relative to a section and are left to the run.
  void check_templates(const Json& node, const std::string& path) {
    if (node.is_object()) {
      for (const auto& [key, value] : node.items()) check_templates(value, path + "." + key);
      return;
    }
    if (node.is_array()) {
      for (size_t i = 0; i < node.size(); ++i) {
        check_templates(node[i], fmt::format("{}[{}]", path, i));
      }
      return;
    }
    if (!node.is_string() || node.get_ref<const std::string&>().find("{{") == std::string::npos) {
      return;
    }
    const auto names = placeholders(node.get_ref<const std::string&>());
    if (!names) return problems.add(path, names.error());
    if (module == nullptr) return;
    for (const std::string& name : *names) {
      const auto dot = name.find('.');
      if (dot == std::string::npos) continue;
      const std::string first = name.substr(0, dot);
      if (first == "record" || first == "user" || module->relation(first) != nullptr) continue;
      std::string known = "record, user";
      for (const Relation& r : module->relations) known += ", " + r.name;
      problems.add(path, fmt::format("unknown placeholder {{{{{}}}}}: {} has no relation '{}'; "
                                     "known: {}",
                                     name, module->name, first, known));
    }
  }

  // A literal longer than its column can never equal the field: the CRM's lax sql_mode cut
  // the stored text to the column's length. Said here rather than never firing unseen.
  void check_literal_lengths(const Json& node, const std::string& path) {
    if (module == nullptr || !node.contains("field") || !node["field"].is_string() ||
        !node.contains("value")) {
      return;
    }
    const Column* column = module->column(node["field"].get<std::string>());
    if (column == nullptr || !column->max_length) return;
    const Json& value = node["value"];
    const auto check = [&](const Json& literal, const std::string& where) {
      if (!literal.is_string()) return;
      size_t length = 0;
      for (const char c : literal.get<std::string>())
        length += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
      if (length > *column->max_length) {
        problems.add(where, fmt::format("{} characters, longer than {}.{} can hold ({}): the "
                                        "condition could never hold",
                                        length, module->name, column->name, *column->max_length));
      }
    };
    if (value.is_array()) {
      for (size_t i = 0; i < value.size(); ++i)
        check(value[i], fmt::format("{}.value[{}]", path, i));
    } else {
      check(value, path + ".value");
    }
  }

  ConditionNode condition(const Json& node, const std::string& path) {
    ConditionNode out;
    out.path = path;
    if (!node.is_object() || node.size() == 0) {
      problems.add(
          path, R"(expected a condition: {"all": [...]}, {"any": [...]}, {"not": {...}}, )"
                R"({"field": ..., "op": ..., "value": ...} or {"plugin": ..., "params": {...}})");
      return out;
    }
    for (const auto* group : {"all", "any"}) {
      if (!node.contains(group)) continue;
      out.kind =
          std::string_view(group) == "all" ? ConditionNode::Kind::all : ConditionNode::Kind::any;
      if (node.size() != 1)
        problems.add(path, fmt::format("'{}' stands alone in its object", group));
      const Json& list = node[group];
      if (!list.is_array()) {
        problems.add(fmt::format("{}.{}", path, group), "expected an array of conditions");
        return out;
      }
      for (size_t i = 0; i < list.size(); ++i) {
        out.children.push_back(condition(list[i], fmt::format("{}.{}[{}]", path, group, i)));
      }
      return out;
    }
    if (node.contains("not")) {
      out.kind = ConditionNode::Kind::negate;
      if (node.size() != 1) problems.add(path, "'not' stands alone in its object");
      out.children.push_back(condition(node["not"], path + ".not"));
      return out;
    }
    out.kind = ConditionNode::Kind::leaf;
    if (node.contains("plugin")) {
      if (!node["plugin"].is_string()) {
        problems.add(path + ".plugin", "expected a condition plugin name");
        return out;
      }
      out.leaf = create(node["plugin"].get<std::string>(), node.value("params", Json::object()),
                        CRMFLOW_KIND_CONDITION, path, path + ".params");
      out.text =
          node["plugin"].get<std::string>() + " " + node.value("params", Json::object()).dump();
      return out;
    }
    if (node.contains("field") && node["field"].is_string() && module != nullptr &&
        node["field"].get<std::string>().find('.') != std::string::npos) {
      if (const auto problem =
              check_related_field(*map, *module, node["field"].get<std::string>())) {
        problems.add(path + ".field", *problem);
      }
    } else if (node.contains("field") && node["field"].is_string() && module != nullptr &&
               !module->columns.empty() &&
               module->column(node["field"].get<std::string>()) == nullptr) {
      problems.add(path + ".field", fmt::format("module {} has no field '{}'", module->name,
                                                node["field"].get<std::string>()));
    }
    // A leaf {"field", "op", "value"} is the compare plugin, or the changes plugin for the
    // change operators.
    const std::string op =
        node.contains("op") && node["op"].is_string() ? node["op"].get<std::string>() : "";
    const bool change = op == "changed" || op == "changed_to" || op == "changed_from";
    check_literal_lengths(node, path);
    out.leaf = create(change ? "changes" : "compare", node, CRMFLOW_KIND_CONDITION, path, path);
    out.text = leaf_text(node);
    return out;
  }
};

template <class Enum>
void read_choice(const Json& object, const char* key,
                 std::initializer_list<std::pair<const char*, Enum>> choices, Enum& out,
                 JsonProblems& problems) {
  const auto it = object.find(key);
  if (it == object.end()) return;
  std::string known;
  for (const auto& [text, value] : choices) {
    if (it->is_string() && it->get<std::string>() == text) {
      out = value;
      return;
    }
    known += known.empty() ? text : std::string(", ") + text;
  }
  problems.add(key, fmt::format("expected one of {}, found {}", known, it->dump()));
}

Workflow read_workflow(const fs::path& file, const Json& root, const PluginRegistry& plugins,
                       const ModuleMap* map, JsonProblems& problems) {
  Workflow w;
  w.file = file;
  if (!root.is_object()) {
    problems.add("(top)", "expected a workflow object");
    return w;
  }
  read_required(root, "id", "(top)", w.id, problems);
  if (!w.id.empty()) problems.set_context("workflow " + w.id + ": ");
  reject_unknown_keys(root, "(top)",
                      {"id", "name", "active", "module", "trigger", "applies_to", "fire", "run_as",
                       "conditions", "actions"},
                      problems);
  read(root, "name", "(top)", w.name, problems);
  read(root, "active", "(top)", w.active, problems);
  read_required(root, "module", "(top)", w.module, problems);
  const auto trigger = root.find("trigger");
  if (trigger != root.end() && trigger->is_object()) {
    w.trigger = TriggerKind::timer;
  } else if (trigger != root.end() && *trigger != "saved" && *trigger != "deleted") {
    // Named with the time triggers' form too, which an admin looking for "daily" needs.
    problems.add("trigger",
                 fmt::format(R"(expected "saved", "deleted" or {{"plugin": "<trigger>", )"
                             R"("params": {{...}}}}, found {})",
                             trigger->dump()));
  } else {
    read_choice(root, "trigger", {{"saved", TriggerKind::saved}, {"deleted", TriggerKind::deleted}},
                w.trigger, problems);
  }
  read_choice(root, "applies_to",
              {{"new", AppliesTo::new_records}, {"new_and_existing", AppliesTo::new_and_existing}},
              w.applies_to, problems);
  read_choice(root, "fire",
              {{"every_save", FireMode::every_save}, {"on_change", FireMode::on_change}}, w.fire,
              problems);
  if (w.trigger == TriggerKind::deleted && w.fire == FireMode::on_change) {
    problems.add(
        "fire",
        "on_change compares a save's old and new values; a deleted trigger fires once anyway");
  }
  if (w.trigger == TriggerKind::deleted && w.applies_to == AppliesTo::new_records) {
    problems.add("applies_to", "\"new\" records cannot be deleted; use new_and_existing");
  }
  if (w.trigger == TriggerKind::timer && w.fire == FireMode::on_change) {
    problems.add("fire",
                 "on_change compares a save's old and new values; a time trigger fires "
                 "once per due time anyway");
  }
  if (w.trigger == TriggerKind::timer && w.applies_to == AppliesTo::new_records) {
    problems.add("applies_to", "a time trigger fires for existing records; use new_and_existing");
  }
  if (const auto run_as = root.find("run_as"); run_as != root.end()) {
    if (run_as->is_string() && *run_as == "triggering_user") {
      w.run_as.kind = RunAs::Kind::triggering_user;
    } else if (run_as->is_string() && *run_as == "assigned_user") {
      w.run_as.kind = RunAs::Kind::assigned_user;
    } else if (run_as->is_object() && run_as->contains("user_id") &&
               (*run_as)["user_id"].is_string()) {
      w.run_as = {RunAs::Kind::user, (*run_as)["user_id"].get<std::string>()};
    } else {
      problems.add("run_as",
                   R"(expected "triggering_user", "assigned_user" or {"user_id": "..."})");
    }
  }

  Reader reader{plugins, map, nullptr, problems};
  if (map != nullptr && !w.module.empty()) {
    reader.module = map->find(w.module);
    if (reader.module == nullptr)
      problems.add("module", "no module named " + w.module + " in " + map->file.string());
  }
  if (w.trigger == TriggerKind::timer) w.timer = reader.trigger(*trigger);
  if (const auto conditions = root.find("conditions"); conditions != root.end()) {
    w.conditions = reader.condition(*conditions, "conditions");
    w.related_fields = related_field_names(*conditions);
  }
  const auto actions = root.find("actions");
  if (actions == root.end() || !actions->is_array() || actions->empty()) {
    problems.add("actions", "expected a non-empty array of actions");
    return w;
  }
  for (size_t i = 0; i < actions->size(); ++i) {
    const Json& action = (*actions)[i];
    const std::string path = fmt::format("actions[{}]", i);
    if (!action.is_object() || !action.contains("plugin") || !action["plugin"].is_string()) {
      problems.add(path, R"(expected {"plugin": "<action>", "params": {...}})");
      continue;
    }
    reject_unknown_keys(action, path, {"plugin", "params", "delay"}, problems);
    std::optional<Delay> delay;
    if (const auto it = action.find("delay"); it != action.end()) {
      delay = it->is_string() ? parse_delay(it->get<std::string>()) : std::nullopt;
      if (!delay) {
        problems.add(path + ".delay",
                     fmt::format("{} is not a delay: expected a whole number and a unit, e.g. "
                                 "30s, 15min, 2h, 14d, 2w, 3m (months) or 1y",
                                 it->dump()));
      } else if (w.trigger == TriggerKind::deleted) {
        problems.add(path + ".delay",
                     "a delayed action re-checks its record when due, and a deleted record "
                     "cancels it; run it at once");
        delay.reset();
      }
    }
    auto instance =
        reader.create(action["plugin"].get<std::string>(), action.value("params", Json::object()),
                      CRMFLOW_KIND_ACTION, path, path + ".params");
    if (const auto params = action.find("params"); params != action.end()) {
      reader.check_templates(*params, path + ".params");
    }
    if (instance) w.actions.push_back({std::move(instance), path, delay});
  }
  return w;
}

}  // namespace

std::optional<Delay> parse_delay(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && digits < 6 && text[digits] >= '0' && text[digits] <= '9') {
    ++digits;
  }
  if (digits == 0) return std::nullopt;
  const std::string_view unit = text.substr(digits);
  static constexpr std::pair<std::string_view, unsigned> kUnits[] = {{"s", 0u},
                                                                     {"min", CRMFLOW_UNIT_MINUTE},
                                                                     {"h", CRMFLOW_UNIT_HOUR},
                                                                     {"d", CRMFLOW_UNIT_DAY},
                                                                     {"w", CRMFLOW_UNIT_WEEK},
                                                                     {"m", CRMFLOW_UNIT_MONTH},
                                                                     {"y", CRMFLOW_UNIT_YEAR}};
  for (const auto& [name, code] : kUnits) {
    if (unit != name) continue;
    Delay delay{std::stoll(std::string(text.substr(0, digits))), code, std::string(text)};
    if (delay.amount == 0) return std::nullopt;
    return delay;
  }
  return std::nullopt;
}

std::expected<bool, std::string> evaluate(const ConditionNode& node, const Record& record,
                                          std::chrono::steady_clock::time_point deadline,
                                          std::vector<std::string>* deciding) {
  switch (node.kind) {
    case ConditionNode::Kind::leaf: {
      auto result = node.leaf->evaluate(record, deadline);
      if (!result) return std::unexpected(node.path + ": " + result.error());
      if (deciding != nullptr) deciding->push_back(node.text + (*result ? ": yes" : ": no"));
      return *result;
    }
    case ConditionNode::Kind::negate: {
      const size_t before = deciding == nullptr ? 0 : deciding->size();
      auto result = evaluate(node.children.front(), record, deadline, deciding);
      if (!result) return result;
      if (deciding != nullptr) {
        for (size_t i = before; i < deciding->size(); ++i) (*deciding)[i] += " (under not)";
      }
      return !*result;
    }
    case ConditionNode::Kind::all:
    case ConditionNode::Kind::any: {
      const bool all = node.kind == ConditionNode::Kind::all;
      // A deciding child (all: one that fails; any: one that holds) alone explains the
      // outcome, so its earlier siblings' leaves go; otherwise every child's leaves stay.
      const size_t kept = deciding == nullptr ? 0 : deciding->size();
      for (const ConditionNode& child : node.children) {
        const size_t before = deciding == nullptr ? 0 : deciding->size();
        auto result = evaluate(child, record, deadline, deciding);
        if (!result) return result;
        if (*result != all) {
          if (deciding != nullptr)
            deciding->erase(deciding->begin() + static_cast<long>(kept),
                            deciding->begin() + static_cast<long>(before));
          return !all;  // all: first false decides; any: first true
        }
      }
      return all;
    }
  }
  return false;
}

std::string conditions_text(const std::vector<std::string>& deciding) {
  std::string text;
  for (const std::string& condition : deciding) text += (text.empty() ? "" : "; ") + condition;
  constexpr size_t kLimit = 1000;
  if (text.size() <= kLimit) return text;
  size_t end = kLimit - 3;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end) + "...";
}

std::expected<std::vector<Workflow>, std::vector<std::string>> load_workflows(
    const fs::path& dir, const PluginRegistry& plugins, const ModuleMap* map) {
  return load_workflows(dir, {}, plugins, map);
}

std::expected<std::vector<Workflow>, std::vector<std::string>> load_workflows(
    const fs::path& dir, const std::vector<WorkflowText>& more, const PluginRegistry& plugins,
    const ModuleMap* map) {
  std::vector<std::string> problems;
  std::vector<fs::path> files;
  if (!dir.empty()) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (entry.path().extension() == ".json") files.push_back(entry.path());
    }
    if (ec)
      return std::unexpected(std::vector<std::string>{
          dir.string() + ": cannot read the workflow directory: " + ec.message()});
    std::sort(files.begin(), files.end());
  }

  std::vector<Workflow> workflows;
  std::map<std::string, fs::path> ids;
  const auto add = [&](const fs::path& file,
                       const std::expected<nlohmann::ordered_json, std::string>& root) {
    if (!root) {
      problems.push_back(root.error());
      return;
    }
    JsonProblems file_problems(file);
    Workflow w = read_workflow(file, *root, plugins, map, file_problems);
    if (!w.id.empty()) {
      const auto [it, fresh] = ids.emplace(w.id, file);
      if (!fresh)
        file_problems.add(
            "id", fmt::format("duplicate workflow id '{}', also in {}", w.id, it->second.string()));
    }
    if (file_problems.empty()) {
      workflows.push_back(std::move(w));
    } else {
      auto list = file_problems.take();
      problems.insert(problems.end(), list.begin(), list.end());
    }
  };
  for (const fs::path& file : files) add(file, load_json_file(file));
  // Given as text, never read again by path: a pack's workflows are the bytes it verified.
  for (const WorkflowText& source : more) {
    add(source.file, parse_json_with_comments(source.text, source.file));
  }
  if (!problems.empty()) return std::unexpected(std::move(problems));
  return workflows;
}

}  // namespace crmflow
