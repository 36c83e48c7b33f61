// dispatch: what calling a condition through the plugin ABI costs.
//
// A workflow's condition tree of five `compare` leaves, evaluated on an in-memory record
// (fields as the CRM stores them: text), two ways:
//
//   through the ABI  compare.so loaded by PluginRegistry, five ComponentInstances in a
//                    crmflow::ConditionNode `all`, evaluated by crmflow::evaluate: the host's
//                    real path — ConditionNode → ComponentInstance::evaluate (a crmflow_call
//                    per leaf, the deadline check after it) → the plugin's C function pointer
//                    → the SDK's exception guard → sdk::Call → Compare::evaluate →
//                    host_api.record_field (a std::map lookup) → back as std::expected.
//   direct           the same five comparisons and the same `all` tree as plain C++ in this
//                    program; see namespace direct below for exactly what it includes.
//
// The ratio ABI time / direct time is the ABI's overhead: both sides do the same map
// lookups and the same comparisons (the plugin's own Number/DateTime code), so what differs
// is the call context, the C call, the guard and the host API's field read.
//
// Breakdown benchmarks say where the difference goes: the leaves through the bare C table
// (no ComponentInstance, one crmflow_call reused), a crmflow_call built and destroyed, and one
// read of the steady clock (ComponentInstance::evaluate reads it after every leaf).
//
// Single-threaded: the figures are per core. items_per_second counts condition (leaf)
// evaluations. After the benchmarks a summary compares the figures with the targets of the
// issue (≥ 1,000,000 evaluations/s per core through the ABI; overhead ≤ 1.5×).
// All of Google Benchmark's flags work (--benchmark_min_time, --benchmark_filter,
// --benchmark_repetitions: the summary then uses the median, --benchmark_format, ...).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <compare>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <expected>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "crmflow/host/call_context.hpp"
#include "crmflow/host/component_instance.hpp"
#include "crmflow/host/plugin_registry.hpp"
#include "crmflow/host/record.hpp"
#include "crmflow/host/workflow.hpp"

// The compare plugin's own value code (exact decimals, ISO dates), compiled into this
// program so the direct side compares exactly as the plugin does. It is self-contained (no
// ABI, no SDK), but its build target is the plugin, hence the include of the source file.
#include "../conditions/compare/operators.hpp"
#include "../conditions/compare/ordered_value.cpp"  // NOLINT(bugprone-suspicious-include)

namespace {

using Clock = std::chrono::steady_clock;

// The five leaves of the workflow, as a workflow file writes them.
constexpr std::string_view kLeaves[] = {
    R"({"field": "status", "op": "equals", "value": "Active"})",
    R"({"field": "type", "op": "in", "value": ["A", "B", "C"]})",
    R"({"field": "amount", "op": "gt", "value": 1000})",
    R"({"field": "date_expire", "op": "lt", "value": "2030-01-01"})",
    R"({"field": "name", "op": "contains", "value": "GmbH"})",
};
constexpr int64_t kLeafCount = static_cast<int64_t>(std::size(kLeaves));

using Field = std::pair<std::string, std::optional<std::string>>;

// A contract as the CRM stores it (every value text, NULL as std::nullopt), with the
// columns such a row has, so the map lookups walk a map of realistic size (27 fields).
// `changes` replaces or adds fields.
crmflow::Record contract(std::initializer_list<Field> changes = {}) {
  crmflow::Record record;
  record.module = "Contracts";
  record.id = "5f1d7c2e-8a41-4b7e-9c35-0d2f6a9b1e47";
  record.current = {
      {"id", record.id},
      {"name", "Müller Maschinenbau GmbH — Wartung 2025"},
      {"contract_no", "C-2025-0142"},
      {"date_entered", "2025-03-14 09:12:44"},
      {"date_modified", "2026-11-02 16:40:05"},
      {"modified_user_id", "1"},
      {"created_by", "1"},
      {"assigned_user_id", "seed_sally_id"},
      {"deleted", "0"},
      {"status", "Active"},
      {"type", "B"},
      {"amount", "15000.000000"},
      {"amount_usdollar", "16200.000000"},
      {"currency_id", "-99"},
      {"exchange_rate", "1.000000"},
      {"date_start", "2025-04-01"},
      {"date_expire", "2027-03-31"},
      {"date_billed_until", std::nullopt},
      {"account_id", "3c9a1f0b-2d6e-4f18-a7b2-5e4c8d1f9a60"},
      {"billing_contact_id", std::nullopt},
      {"is_renewable", "1"},
      {"renewal_notice_days", "30"},
      {"parent_contract_id", std::nullopt},
      {"payment_terms", "Net 30"},
      {"billing_cycle", "yearly"},
      {"description", "Jährliche Wartung der Fertigungsstraße, inkl. Ersatzteile."},
      {"team_id", std::nullopt},
  };
  for (const auto& [name, value] : changes) record.current[name] = value;
  record.new_image = record.current;
  return record;
}

// ---- Direct: the same tree as plain C++ ----
//
// What "direct" includes, per leaf: the tree walk (a node with a shared_ptr'd leaf and its
// path, std::expected<bool, std::string> results, the same short-circuit as
// crmflow::evaluate); one std::map<std::string, optional<string>, less<>>::find on the
// record's current image with a string_view key (as host_api.record_field does); the
// comparison of Compare::evaluate for the leaf's operator, with operands parsed once at setup
// as Compare's constructor does, and the plugin's own Number::parse / DateTime::parse /
// operator<=> on the field's text at each evaluation (as the plugin does).
// What it leaves out — the ABI's part: crmflow_call built and destroyed per leaf,
// ComponentInstance::evaluate's deadline check (a clock read), the C function pointer into
// the plugin, the SDK's guard (try, an error string), sdk::Call, the host API's function
// pointer for the field read, and the plugin's compare code being in another library (the
// direct code may be inlined here). Relative dates ("today-30d") are not covered: they ask
// the host for the time either way.
namespace direct {

using compare_plugin::DateTime;
using compare_plugin::Number;

using compare_plugin::is_blank;
using compare_plugin::kOps;
using compare_plugin::Op;

using Operand = std::variant<std::monostate, std::string, Number, DateTime>;

// As the plugin's operand_of, for parameters the plugin accepted (no relative dates).
Operand operand_of(const nlohmann::json& value, bool ordering) {
  if (value.is_null()) return std::monostate{};
  if (value.is_number()) return *Number::parse(value.dump());
  const auto text = value.get<std::string>();
  if (!ordering) return text;
  if (auto date = DateTime::parse(text)) return *date;
  if (auto number = Number::parse(text)) return *number;
  throw std::runtime_error("unsupported operand " + text);
}

// Compare::evaluate without the ABI: the field straight from the record's map.
class Compare {
 public:
  explicit Compare(std::string_view params_json) {
    const auto params = nlohmann::json::parse(params_json);
    field_ = params.at("field").get<std::string>();
    const auto op = params.at("op").get<std::string>();
    op_ = std::find_if(std::begin(kOps), std::end(kOps), [&](const auto& o) {
            return o.first == op;
          })->second;
    if (op_ == Op::empty || op_ == Op::not_empty) return;
    const auto& value = params.at("value");
    if (op_ == Op::in || op_ == Op::not_in) {
      for (const auto& item : value) operands_.push_back(operand_of(item, false));
      return;
    }
    operands_.push_back(
        operand_of(value, op_ == Op::gt || op_ == Op::gte || op_ == Op::lt || op_ == Op::lte));
  }

  std::expected<bool, std::string> evaluate(const crmflow::Record& record) const {
    const auto it = record.current.find(std::string_view(field_));
    if (it == record.current.end()) {
      return std::unexpected("the " + record.module + " record has no field '" + field_ + "'");
    }
    const std::optional<std::string_view> field =
        it->second ? std::optional<std::string_view>(*it->second) : std::nullopt;
    switch (op_) {
      case Op::empty: return !field || is_blank(*field);
      case Op::not_empty: return field && !is_blank(*field);
      case Op::equals: return matches(field, operands_.front());
      case Op::not_equals: return !matches(field, operands_.front());
      case Op::in:
        return std::any_of(operands_.begin(), operands_.end(),
                           [&](const Operand& o) { return matches(field, o); });
      case Op::not_in:
        return std::none_of(operands_.begin(), operands_.end(),
                            [&](const Operand& o) { return matches(field, o); });
      case Op::contains:
        return field &&
               field->find(std::get<std::string>(operands_.front())) != std::string_view::npos;
      case Op::starts_with:
        return field && field->starts_with(std::get<std::string>(operands_.front()));
      case Op::ends_with:
        return field && field->ends_with(std::get<std::string>(operands_.front()));
      case Op::gt:
      case Op::gte:
      case Op::lt:
      case Op::lte: {
        const auto ordering = order(field);
        if (!ordering) return std::unexpected(ordering.error());
        switch (op_) {
          case Op::gt: return *ordering > 0;
          case Op::gte: return *ordering >= 0;
          case Op::lt: return *ordering < 0;
          default: return *ordering <= 0;
        }
      }
    }
    return false;
  }

 private:
  static bool matches(const std::optional<std::string_view>& field, const Operand& operand) {
    if (std::holds_alternative<std::monostate>(operand)) return !field;
    if (!field) return false;
    if (const auto* text = std::get_if<std::string>(&operand)) return *field == *text;
    const auto number = Number::parse(*field);
    return number && *number == std::get<Number>(operand);
  }

  std::expected<std::partial_ordering, std::string> order(
      const std::optional<std::string_view>& field) const {
    if (!field || is_blank(*field) || field->starts_with("0000-00-00")) {
      return std::partial_ordering::unordered;
    }
    const Operand& operand = operands_.front();
    if (const auto* date = std::get_if<DateTime>(&operand)) {
      const auto value = DateTime::parse(*field);
      if (!value) {
        return std::unexpected("field '" + field_ + "': \"" + std::string(*field) +
                               "\" is not an ISO date");
      }
      return *value <=> *date;
    }
    const auto value = Number::parse(*field);
    if (!value) {
      return std::unexpected("field '" + field_ + "': \"" + std::string(*field) +
                             "\" is not a number");
    }
    return *value <=> std::get<Number>(operand);
  }

  std::string field_;
  Op op_ = Op::equals;
  std::vector<Operand> operands_;
};

// The condition tree, shaped as crmflow::ConditionNode.
struct Node {
  enum class Kind { all, any, negate, leaf } kind = Kind::all;
  std::vector<Node> children;
  std::shared_ptr<const Compare> leaf;
  std::string path;
};

// crmflow::evaluate, with the leaf called directly.
std::expected<bool, std::string> evaluate(const Node& node, const crmflow::Record& record) {
  switch (node.kind) {
    case Node::Kind::leaf: {
      auto result = node.leaf->evaluate(record);
      if (!result) return std::unexpected(node.path + ": " + result.error());
      return *result;
    }
    case Node::Kind::negate: {
      auto result = evaluate(node.children.front(), record);
      if (!result) return result;
      return !*result;
    }
    case Node::Kind::all:
    case Node::Kind::any: {
      const bool all = node.kind == Node::Kind::all;
      for (const Node& child : node.children) {
        auto result = evaluate(child, record);
        if (!result) return result;
        if (*result != all) return !all;
      }
      return all;
    }
  }
  return false;
}

}  // namespace direct

// ---- Setup, shared by all benchmarks ----

std::string path_of(size_t i) {
  return "conditions.all[" + std::to_string(i) + "]";
}

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "dispatch_bench: %s\n", message.c_str());
  std::exit(1);
}

struct Setup {
  crmflow::PluginRegistry registry;  // first: outlives the instances
  const crmflow::Component* compare = nullptr;
  crmflow::ConditionNode abi_tree;  // `all` of the five leaves, through the ABI
  direct::Node direct_tree;         // the same, direct
  crmflow::Record record = contract();
  // Short-circuit: the first leaf (status equals "Active") is false, the rest not evaluated.
  crmflow::Record inactive = contract({{"status", "Inactive"}});
  // A far deadline, as the engine sets one per event (never reached here).
  Clock::time_point deadline = Clock::now() + std::chrono::hours(1);
  // For the breakdown: the five leaves' plugin instances, called through the bare C table.
  std::vector<void*> raw_instances;

  Setup() {
    const auto problems = registry.load(std::filesystem::path(CRMFLOW_PLUGIN_DIR) / "compare.so");
    if (!problems.empty()) fail("loading compare.so: " + problems.front());
    compare = registry.find("compare");
    if (compare == nullptr) fail("compare.so has no component 'compare'");
    direct_tree.kind = direct::Node::Kind::all;
    for (size_t i = 0; i < std::size(kLeaves); ++i) {
      auto instance = registry.instantiate(*compare, kLeaves[i]);
      if (!instance) fail(instance.error());
      crmflow::ConditionNode leaf;
      leaf.kind = crmflow::ConditionNode::Kind::leaf;
      leaf.leaf = std::make_shared<const crmflow::ComponentInstance>(std::move(*instance));
      leaf.path = path_of(i);
      abi_tree.children.push_back(std::move(leaf));

      direct::Node direct_leaf;
      direct_leaf.kind = direct::Node::Kind::leaf;
      direct_leaf.leaf = std::make_shared<const direct::Compare>(kLeaves[i]);
      direct_leaf.path = path_of(i);
      direct_tree.children.push_back(std::move(direct_leaf));
    }
    for (const std::string_view params : kLeaves) {
      crmflow_call call;
      void* instance = nullptr;
      const int32_t status = compare->abi->create(crmflow::host_api(), &call,
                                                  {params.data(), params.size()}, &instance);
      if (status != CRMFLOW_OK) fail("create: " + call.error);
      raw_instances.push_back(instance);
    }
  }
  ~Setup() {
    for (void* instance : raw_instances) compare->abi->destroy(instance);
  }
  Setup(const Setup&) = delete;
  Setup& operator=(const Setup&) = delete;
};

Setup& setup() {
  static Setup instance;
  return instance;
}

// Before timing anything: both sides must give the same answers, leaf by leaf, on records
// that probe the value semantics (exact decimals, dates, NULL, text).
void check_same_semantics() {
  Setup& s = setup();
  const std::vector<crmflow::Record> probes = {
      s.record,
      s.inactive,
      contract({{"status", std::nullopt}, {"type", "D"}}),
      contract({{"type", "A"}, {"amount", "1000.000000"}}),
      contract({{"amount", "1000.000001"}, {"date_expire", "2030-01-01"}}),
      contract({{"amount", "999.999999"}, {"date_expire", "2029-12-31 23:59:59"}}),
      contract({{"amount", std::nullopt}, {"date_expire", "0000-00-00"}}),
      contract({{"amount", "-5000.000000"}, {"date_expire", std::nullopt}}),
      contract({{"name", "Müller Maschinenbau gmbh"}, {"type", std::nullopt}}),
      contract({{"amount", "lots"}}),
      contract({{"date_expire", "31.03.2027"}}),
  };
  for (const auto& record : probes) {
    for (size_t i = 0; i < s.abi_tree.children.size(); ++i) {
      const auto abi = crmflow::evaluate(s.abi_tree.children[i], record, s.deadline);
      const auto direct = direct::evaluate(s.direct_tree.children[i], record);
      if (abi.has_value() != direct.has_value() || (abi && *abi != *direct)) {
        fail("the direct code disagrees with compare.so on " + std::string(kLeaves[i]) + ": ABI " +
             (abi ? (*abi ? "true" : "false") : abi.error()) + ", direct " +
             (direct ? (*direct ? "true" : "false") : direct.error()));
      }
    }
  }
  const auto all = crmflow::evaluate(s.abi_tree, s.record, s.deadline);
  const auto none = crmflow::evaluate(s.abi_tree, s.inactive, s.deadline);
  if (!all || !*all || !none || *none) fail("the benchmark records do not give true / false");
}

// ---- Benchmarks ----

void BM_workflow_through_abi(benchmark::State& state) {
  Setup& s = setup();
  const crmflow::Record* record = &s.record;
  for (auto _ : state) {
    benchmark::DoNotOptimize(record);
    auto result = crmflow::evaluate(s.abi_tree, *record, s.deadline);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations() * kLeafCount);
}

void BM_workflow_direct(benchmark::State& state) {
  Setup& s = setup();
  const crmflow::Record* record = &s.record;
  for (auto _ : state) {
    benchmark::DoNotOptimize(record);
    auto result = direct::evaluate(s.direct_tree, *record);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations() * kLeafCount);
}

// The first leaf is false: one leaf evaluated per workflow evaluation.
void BM_workflow_short_circuit_through_abi(benchmark::State& state) {
  Setup& s = setup();
  const crmflow::Record* record = &s.inactive;
  for (auto _ : state) {
    benchmark::DoNotOptimize(record);
    auto result = crmflow::evaluate(s.abi_tree, *record, s.deadline);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_workflow_short_circuit_direct(benchmark::State& state) {
  Setup& s = setup();
  const crmflow::Record* record = &s.inactive;
  for (auto _ : state) {
    benchmark::DoNotOptimize(record);
    auto result = direct::evaluate(s.direct_tree, *record);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}

// One leaf, status equals "Active", called as the host calls a leaf.
void BM_condition_through_abi(benchmark::State& state) {
  Setup& s = setup();
  const crmflow::ComponentInstance& leaf = *s.abi_tree.children.front().leaf;
  const crmflow::Record* record = &s.record;
  for (auto _ : state) {
    benchmark::DoNotOptimize(record);
    auto result = leaf.evaluate(*record, s.deadline);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_condition_direct(benchmark::State& state) {
  Setup& s = setup();
  const direct::Compare& leaf = *s.direct_tree.children.front().leaf;
  const crmflow::Record* record = &s.record;
  for (auto _ : state) {
    benchmark::DoNotOptimize(record);
    auto result = leaf.evaluate(*record);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}

// Breakdown: the same leaf through the bare C table, with one crmflow_call reused and no
// ComponentInstance around it (no call context built per call, no deadline check): the C
// function pointer, the guard, sdk::Call, the plugin and host_api.record_field only.
void BM_condition_bare_c_call(benchmark::State& state) {
  Setup& s = setup();
  const crmflow_component* abi = s.compare->abi;
  const crmflow_host_api* api = crmflow::host_api();
  crmflow_call call;
  call.record = &s.record;
  call.deadline = s.deadline;
  for (auto _ : state) {
    benchmark::DoNotOptimize(call);
    int32_t result = 0;
    const int32_t status = abi->evaluate(api, &call, s.raw_instances.front(), &result);
    benchmark::DoNotOptimize(status);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}

// Breakdown: the workflow's five leaves through the bare C table, in order and stopping at
// the first false one as `all` does, with one crmflow_call for the whole tree and no
// ComponentInstance: what the ABI itself costs without the host's per-call wrapping.
void BM_workflow_bare_c_calls(benchmark::State& state) {
  Setup& s = setup();
  const crmflow_component* abi = s.compare->abi;
  const crmflow_host_api* api = crmflow::host_api();
  crmflow_call call;
  call.record = &s.record;
  call.deadline = s.deadline;
  for (auto _ : state) {
    benchmark::DoNotOptimize(call);
    bool holds = true;
    for (void* instance : s.raw_instances) {
      int32_t result = 0;
      if (abi->evaluate(api, &call, instance, &result) != CRMFLOW_OK || result == 0) {
        holds = false;
        break;
      }
    }
    benchmark::DoNotOptimize(holds);
  }
  state.SetItemsProcessed(state.iterations() * kLeafCount);
}

// Breakdown: a crmflow_call built and destroyed as ComponentInstance::evaluate does for every
// leaf (two std::string, an exception_ptr and views; no allocation).
void BM_call_context(benchmark::State& state) {
  Setup& s = setup();
  const crmflow::ComponentInstance& leaf = *s.abi_tree.children.front().leaf;
  const std::string tag = leaf.component().pack_id + "/" + leaf.component().name;
  for (auto _ : state) {
    crmflow_call call;
    call.record = &s.record;
    call.deadline = s.deadline;
    call.component = tag;
    call.settings_json = leaf.component().settings_json;
    benchmark::DoNotOptimize(call);
  }
  state.SetItemsProcessed(state.iterations());
}

// Breakdown: one read of the host's clock, which ComponentInstance::evaluate does after
// every call (report_overrun) even when the deadline is far.
void BM_steady_clock_now(benchmark::State& state) {
  for (auto _ : state) {
    auto now = Clock::now();
    benchmark::DoNotOptimize(now);
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_workflow_through_abi);
BENCHMARK(BM_workflow_direct);
BENCHMARK(BM_workflow_short_circuit_through_abi);
BENCHMARK(BM_workflow_short_circuit_direct);
BENCHMARK(BM_condition_through_abi);
BENCHMARK(BM_condition_direct);
BENCHMARK(BM_condition_bare_c_call);
BENCHMARK(BM_workflow_bare_c_calls);
BENCHMARK(BM_call_context);
BENCHMARK(BM_steady_clock_now);

// ---- Summary ----

// Passes everything to the reporter --benchmark_format asks for and keeps, per benchmark,
// its CPU time per iteration and items/s (the median when there are repetitions).
class CollectingReporter final : public benchmark::BenchmarkReporter {
 public:
  struct Figures {
    double cpu_ns = 0;
    double items_per_second = 0;
    bool median = false;
  };

  explicit CollectingReporter(benchmark::BenchmarkReporter* display) : display_(display) {}

  bool ReportContext(const Context& context) override { return display_->ReportContext(context); }

  void ReportRuns(const std::vector<Run>& runs) override {
    display_->ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.error_occurred) continue;
      const bool median = run.run_type == Run::RT_Aggregate;
      if (median && run.aggregate_name != "median") continue;
      const std::string name = run.run_name.function_name;
      Figures& figures = figures_[name];
      if (figures.median && !median) continue;
      figures.median = median;
      figures.cpu_ns = run.GetAdjustedCPUTime() * to_ns(run.time_unit);
      const auto items = run.counters.find("items_per_second");
      figures.items_per_second = items == run.counters.end() ? 0 : items->second.value;
    }
  }

  void Finalize() override { display_->Finalize(); }

  const Figures* find(const std::string& name) const {
    const auto it = figures_.find(name);
    return it == figures_.end() ? nullptr : &it->second;
  }

  bool empty() const { return figures_.empty(); }

  bool console() const { return dynamic_cast<benchmark::ConsoleReporter*>(display_) != nullptr; }

 private:
  static double to_ns(benchmark::TimeUnit unit) {
    switch (unit) {
      case benchmark::kSecond: return 1e9;
      case benchmark::kMillisecond: return 1e6;
      case benchmark::kMicrosecond: return 1e3;
      default: return 1;
    }
  }

  benchmark::BenchmarkReporter* display_;  // the library's; it owns it
  std::map<std::string, Figures> figures_;
};

constexpr double kTargetPerSecond = 1'000'000;
constexpr double kTargetOverhead = 1.5;

// 9069162.4 → "9,069,162"
std::string grouped(double value) {
  std::string digits = std::to_string(static_cast<long long>(value + 0.5));
  for (auto i = static_cast<std::ptrdiff_t>(digits.size()) - 3; i > 0; i -= 3) {
    digits.insert(static_cast<size_t>(i), ",");
  }
  return digits;
}

// CPU time per leaf evaluation, from the evaluations/s.
double ns_per_leaf(const CollectingReporter::Figures& figures) {
  return figures.items_per_second > 0 ? 1e9 / figures.items_per_second : 0;
}

void print_row(std::FILE* out, const CollectingReporter& figures, const char* what,
               const std::string& abi_name, const std::string& direct_name) {
  const auto* abi = figures.find(abi_name);
  const auto* direct = figures.find(direct_name);
  if (abi == nullptr || direct == nullptr) return;
  std::fprintf(out, "%-32s %14s %8.1f %14s %8.1f %8.2fx\n", what,
               grouped(abi->items_per_second).c_str(), ns_per_leaf(*abi),
               grouped(direct->items_per_second).c_str(), ns_per_leaf(*direct),
               abi->cpu_ns / direct->cpu_ns);
}

void print_summary(const CollectingReporter& figures) {
  if (figures.empty()) return;  // --benchmark_list_tests, or nothing matched the filter
  std::FILE* out = figures.console() ? stdout : stderr;
  std::fflush(stdout);
  std::fprintf(out,
               "\nSummary: CPU time of one thread (the median when there are repetitions); "
               "an evaluation is one condition leaf.\n"
               "%-32s %14s %8s %14s %8s %9s\n",
               "", "ABI evals/s", "ns/leaf", "direct evals/s", "ns/leaf", "overhead");
  print_row(out, figures, "workflow, 5 leaves all hold", "BM_workflow_through_abi",
            "BM_workflow_direct");
  print_row(out, figures, "workflow, first leaf false", "BM_workflow_short_circuit_through_abi",
            "BM_workflow_short_circuit_direct");
  print_row(out, figures, "one leaf (status equals)", "BM_condition_through_abi",
            "BM_condition_direct");
  print_row(out, figures, "workflow, bare C table", "BM_workflow_bare_c_calls",
            "BM_workflow_direct");

  const auto* abi = figures.find("BM_workflow_through_abi");
  const auto* direct = figures.find("BM_workflow_direct");
  if (abi != nullptr && direct != nullptr) {
    const double ratio = abi->cpu_ns / direct->cpu_ns;
    std::fprintf(out,
                 "Targets (the 5-leaf workflow): >= 1,000,000 evaluations/s per core through "
                 "the ABI: %s (%s/s); overhead <= %.1fx direct: %s (%.2fx)\n",
                 abi->items_per_second >= kTargetPerSecond ? "met" : "NOT MET",
                 grouped(abi->items_per_second).c_str(), kTargetOverhead,
                 ratio <= kTargetOverhead ? "met" : "NOT MET", ratio);
  }

  const auto* leaf = figures.find("BM_condition_through_abi");
  const auto* bare = figures.find("BM_condition_bare_c_call");
  const auto* leaf_direct = figures.find("BM_condition_direct");
  const auto* context = figures.find("BM_call_context");
  const auto* clock = figures.find("BM_steady_clock_now");
  if (leaf != nullptr && bare != nullptr && leaf_direct != nullptr) {
    std::fprintf(out,
                 "One leaf, ns: direct %.1f; + %.1f the bare C call (function pointer, SDK "
                 "guard, sdk::Call, host API field read) = %.1f; + %.1f ComponentInstance::"
                 "evaluate around it = %.1f through the ABI",
                 leaf_direct->cpu_ns, bare->cpu_ns - leaf_direct->cpu_ns, bare->cpu_ns,
                 leaf->cpu_ns - bare->cpu_ns, leaf->cpu_ns);
    if (context != nullptr && clock != nullptr) {
      std::fprintf(out, " (of which a crmflow_call built and destroyed %.1f, a clock read %.1f)",
                   context->cpu_ns, clock->cpu_ns);
    }
    std::fprintf(out, "\n");
  }
  std::fflush(out);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  check_same_semantics();
  CollectingReporter reporter(benchmark::CreateDefaultDisplayReporter());
  benchmark::RunSpecifiedBenchmarks(&reporter);
  print_summary(reporter);
  benchmark::Shutdown();
  return 0;
}
