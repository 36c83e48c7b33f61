// The compare condition: one field of the record against a value.
//
//   {"field": "status", "op": "equals", "value": "Active"}
//   {"field": "amount", "op": "gte", "value": 1000}
//   {"field": "date_expire", "op": "lt", "value": "2027-01-01"}
//   {"field": "billing_address_country", "op": "in", "value": ["AT", "DE"]}
//
// Text compares exactly (byte for byte, UTF-8). A JSON number compares as a number, so
// 100 equals "100.000000" (a DECIMAL column) while "100" does not. gt/gte/lt/lte order
// numbers, or ISO dates when the value is one, or relative dates: "now-14d", "today",
// "today+1m", "date_expire-30d" (units min, h, d, w, m, y; computed by the host in its time
// zone). A NULL field has no value: it equals only
// null, is empty, and is neither greater nor less than anything; so is MySQL's zero date
// "0000-00-00" for gt/gte/lt/lte.
#include <crmflow/sdk.hpp>

#include <algorithm>
#include <variant>
#include <vector>

#include "operators.hpp"
#include "ordered_value.hpp"
#include "relative_date.hpp"

namespace {

using compare_plugin::DateTime;
using compare_plugin::Number;
using crmflow::sdk::Error;
using crmflow::sdk::Json;

using compare_plugin::is_blank;
using compare_plugin::kOps;
using compare_plugin::Op;

// One operand from the parameters: null, text, a number, or a date (ordering operators).
using compare_plugin::RelativeDate;
using Operand = std::variant<std::monostate, std::string, Number, DateTime, RelativeDate>;

Operand operand_of(const Json& value, bool ordering, const std::string& where) {
  if (value.is_null()) {
    if (ordering) throw Error(where + ": gt/gte/lt/lte need a number or an ISO date, not null");
    return std::monostate{};
  }
  if (value.is_number()) return *Number::parse(value.dump());
  if (!value.is_string())
    throw Error(where + ": expected text, a number or null, found " + value.dump());
  const auto text = value.get<std::string>();
  if (!ordering) return text;
  if (auto date = DateTime::parse(text)) return *date;
  if (auto relative = RelativeDate::parse(text)) return *relative;
  if (auto number = Number::parse(text)) return *number;
  throw Error(where +
              ": gt/gte/lt/lte need a number or an ISO date (YYYY-MM-DD[ HH:MM[:SS]]), found \"" +
              text + "\"");
}

class Compare final : public crmflow::sdk::Condition {
 public:
  static constexpr crmflow::sdk::Info info{"compare", "1.0.0", R"({
    "type": "object",
    "required": ["field", "op"],
    "additionalProperties": false,
    "properties": {
      "field": {"type": "string", "minLength": 1},
      "op": {"enum": ["equals", "not_equals", "in", "not_in", "contains", "starts_with",
                      "ends_with", "empty", "not_empty", "gt", "gte", "lt", "lte"]},
      "value": {"description": "text, number, ISO date or null; an array for in/not_in"}
    }})"};

  explicit Compare(const Json& params) {
    crmflow::sdk::expect_parameters(params, {"field", "op", "value"});
    field_ = crmflow::sdk::expect_field_name(params, "field");
    const auto& known = crmflow::sdk::expect_one_of(params, "op", kOps);
    op_ = known.second;

    const auto value = params.find("value");
    const bool needs_value = op_ != Op::empty && op_ != Op::not_empty;
    if (!needs_value) {
      if (value != params.end())
        throw Error("parameters: '" + std::string(known.first) + "' takes no 'value'");
      return;
    }
    if (value == params.end())
      throw Error("parameters: '" + std::string(known.first) + "' needs a 'value'");
    if (op_ == Op::in || op_ == Op::not_in) {
      if (!value->is_array()) throw Error("parameters: 'value' of in/not_in must be an array");
      for (size_t i = 0; i < value->size(); ++i)
        operands_.push_back(operand_of((*value)[i], false, "value[" + std::to_string(i) + "]"));
      return;
    }
    const bool ordering = op_ == Op::gt || op_ == Op::gte || op_ == Op::lt || op_ == Op::lte;
    const bool text_only = op_ == Op::contains || op_ == Op::starts_with || op_ == Op::ends_with;
    if (text_only && !value->is_string())
      throw Error("parameters: 'value' of " + std::string(known.first) + " must be text");
    operands_.push_back(operand_of(*value, ordering, "value"));
  }

  bool evaluate(const crmflow::sdk::Call& call) const override {
    const std::optional<std::string_view> field = call.field(field_);
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
      case Op::gt: return order(call, field) > 0;
      case Op::gte: return order(call, field) >= 0;
      case Op::lt: return order(call, field) < 0;
      case Op::lte: return order(call, field) <= 0;
    }
    return false;
  }

 private:
  // equals semantics: null matches only NULL, a number matches numerically, text exactly.
  bool matches(const std::optional<std::string_view>& field, const Operand& operand) const {
    if (std::holds_alternative<std::monostate>(operand)) return !field;
    if (!field) return false;
    if (const auto* text = std::get_if<std::string>(&operand)) return *field == *text;
    const auto number = Number::parse(*field);
    return number && *number == std::get<Number>(operand);
  }

  // The field against the single ordering operand; unordered when the field has no value.
  std::partial_ordering order(const crmflow::sdk::Call& call,
                              const std::optional<std::string_view>& field) const {
    // MySQL's zero date is how a lax CRM stores "no date".
    if (!field || is_blank(*field) || field->starts_with("0000-00-00")) {
      return std::partial_ordering::unordered;
    }
    const Operand& operand = operands_.front();
    if (const auto* relative = std::get_if<RelativeDate>(&operand)) {
      return order_relative(call, *field, *relative);
    }
    if (const auto* date = std::get_if<DateTime>(&operand)) {
      const auto value = DateTime::parse(*field);
      if (!value)
        throw Error("field '" + field_ + "': \"" + std::string(*field) + "\" is not an ISO date");
      return *value <=> *date;
    }
    const auto value = Number::parse(*field);
    if (!value)
      throw Error("field '" + field_ + "': \"" + std::string(*field) + "\" is not a number");
    return *value <=> std::get<Number>(operand);
  }

  // The field against a time the host computes: now/today or another field, moved.
  std::partial_ordering order_relative(const crmflow::sdk::Call& call, std::string_view field,
                                       const RelativeDate& relative) const {
    const auto value = DateTime::parse(field);
    if (!value) {
      throw Error("field '" + field_ + "': \"" + std::string(field) + "\" is not an ISO date");
    }
    std::string base;
    if (!relative.field.empty()) {
      const auto other = call.field(relative.field);
      if (!other || is_blank(*other) || other->starts_with("0000-00-00")) {
        return std::partial_ordering::unordered;
      }
      base = std::string(*other);
    }
    const auto threshold =
        DateTime::parse(call.shift_time(base, relative.amount, relative.unit, relative.today));
    if (!threshold) return std::partial_ordering::unordered;
    return *value <=> *threshold;
  }

  std::string field_;
  Op op_ = Op::equals;
  std::vector<Operand> operands_;
};

}  // namespace

CRMFLOW_PLUGIN("crmflow.compare", "1.0.0", Compare)
