// Workflows: "when a record of a module is saved or deleted, if the conditions hold, then run
// the actions" — read from config/workflows/*.json, one workflow per file.
#pragma once

#include <chrono>
#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crmflow/host/component_instance.hpp"
#include "crmflow/host/module_map.hpp"
#include "crmflow/host/plugin_registry.hpp"
#include "crmflow/host/record.hpp"

namespace crmflow {

// saved/deleted: a captured change of a record. timer: a time trigger plugin's firing
// (inactivity, date_reached, schedule), an event for the workflow's own trigger only.
enum class TriggerKind { saved, deleted, timer };
enum class AppliesTo { new_records, new_and_existing };
// every_save: each save while the conditions hold (1CRM's behaviour). on_change: only the
// save that makes them hold — the old image fails them, the new one passes.
enum class FireMode { every_save, on_change };

struct RunAs {
  enum class Kind { triggering_user, assigned_user, user } kind = Kind::triggering_user;
  std::string user_id;  // Kind::user
};

// A node of the condition tree: all/any/not of children, or a leaf condition component.
struct ConditionNode {
  enum class Kind { all, any, negate, leaf } kind = Kind::all;
  std::vector<ConditionNode> children;
  std::shared_ptr<const ComponentInstance> leaf;
  std::string path;  // JSON path in the workflow file, for messages
  std::string text;  // a leaf as an admin wrote it, e.g. `status equals "Active"`, for the audit
};

// How long after the triggering save a delayed action runs ("delay": "14d").
struct Delay {
  long long amount = 0;
  unsigned unit = 0;  // CRMFLOW_UNIT_* (calendar steps in the configured zone), 0: seconds
  std::string text;   // as written, e.g. "14d"
};

struct ActionStep {
  std::shared_ptr<const ComponentInstance> action;
  std::string path;
  std::optional<Delay> delay;
  // Delayed actions and actions with external effects run as jobs after the event's
  // transaction committed; database actions run inside it.
  bool runs_as_job() const {
    return delay.has_value() || action->component().effect == CRMFLOW_EFFECT_EXTERNAL;
  }
};

struct Workflow {
  std::filesystem::path file;
  std::string id;
  std::string name;
  bool active = true;
  std::string module;
  TriggerKind trigger = TriggerKind::saved;
  // TriggerKind::timer: the trigger component created with its parameters, ticked by the
  // host's scheduler (trigger_ticks.hpp) for the workflow's module.
  std::shared_ptr<const ComponentInstance> timer;
  AppliesTo applies_to = AppliesTo::new_and_existing;
  FireMode fire = FireMode::every_save;
  RunAs run_as;
  ConditionNode conditions;  // an empty `all` holds
  // Fields of related records the conditions read ("account.billing_address_country"),
  // fetched into the record before they are evaluated.
  std::vector<std::string> related_fields;
  std::vector<ActionStep> actions;
};

// "30s", "15min", "2h", "14d", "2w", "3m" (months), "1y"; std::nullopt for anything else.
std::optional<Delay> parse_delay(std::string_view text);

// Whether the tree holds for the record; the error names the condition's path. `deciding`,
// when given, receives the leaves that decided the outcome, each as "<text>: yes" or "...: no"
// (all that held: every leaf; all that failed: the first failing one; any: the first that
// held, or every leaf), for the audit's answer to "why did this (not) run".
std::expected<bool, std::string> evaluate(const ConditionNode& node, const Record& record,
                                          std::chrono::steady_clock::time_point deadline,
                                          std::vector<std::string>* deciding = nullptr);

// The deciding conditions as the audit keeps them: joined by "; ", at most 1000 bytes (the
// column's size), cut at a character boundary.
std::string conditions_text(const std::vector<std::string>& deciding);

// Reads every *.json file of `dir` (sorted by name). Each problem names the file and JSON
// path; all problems are reported at once. Conditions and actions are created through the
// registry (a leaf {"field","op","value"} is the compare plugin). With a map, modules and
// fields are checked against it (its columns, when introspected); a time trigger then ticks
// once without effect (a dry run over the past year) so its requests are checked too.
std::expected<std::vector<Workflow>, std::vector<std::string>> load_workflows(
    const std::filesystem::path& dir, const PluginRegistry& plugins, const ModuleMap* map);

// A workflow file given as its text, e.g. one of a verified extension pack.
struct WorkflowText {
  std::filesystem::path file;  // for messages and Workflow::file
  std::string text;
};

// load_workflows over `dir` (none when empty) and then the files of `more`, parsed from their
// text and never read by path; workflow ids must be unique across all of them.
std::expected<std::vector<Workflow>, std::vector<std::string>> load_workflows(
    const std::filesystem::path& dir, const std::vector<WorkflowText>& more,
    const PluginRegistry& plugins, const ModuleMap* map);

}  // namespace crmflow
