// The changes condition: whether the triggering statement changed one field of the record.
//
//   {"field": "status", "op": "changed"}
//   {"field": "sales_stage", "op": "changed_to", "value": "Closed Won"}
//   {"field": "assigned_user_id", "op": "changed_from", "value": null}
//   {"field": "amount", "op": "changed_to", "value": 100}
//
// changed: the field's value in the new image differs from the old image. Text compares
// exactly, byte for byte: 'abc' → 'ABC' and 'x' → 'x ' are changes, NULL → '' is a change,
// NULL → NULL is not.
// changed_to: it changed and the new value equals `value`; changed_from: it changed and the
// old value equals `value`. Equality is compare's "equals": text exactly, a JSON number as a
// number (100 equals "100.000000" from a DECIMAL column, "100" text does not), null only NULL.
//
// An insert (the record has no old image) changes every field from nothing: changed holds
// when the new value is not NULL, changed_to when the new value equals `value` and is not
// NULL, and changed_from never holds, as there was no old value. NULL from nothing is no
// change, so "changed_to null" never holds on an insert. A deleted record (only an old image)
// has no new value: changed, changed_to and changed_from never hold. A field that neither
// image has is an error naming it.
//
// Through the ABI a component cannot ask whether an image is empty, only whether it has the
// field: the field present in the new image alone is taken for an insert, in the old image
// alone for a delete.
#include <crmflow/sdk.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "ordered_value.hpp"

namespace {

using compare_plugin::Number;
using crmflow::sdk::Error;
using crmflow::sdk::Image;
using crmflow::sdk::Json;

enum class Op { changed, changed_to, changed_from };

constexpr std::pair<std::string_view, Op> kOps[] = {
    {"changed", Op::changed}, {"changed_to", Op::changed_to}, {"changed_from", Op::changed_from}};

// The value of changed_to/changed_from: null, text, or a number.
using Operand = std::variant<std::monostate, std::string, Number>;

class Changes final : public crmflow::sdk::Condition {
 public:
  static constexpr crmflow::sdk::Info info{"changes", "1.0.0", R"({
    "type": "object",
    "required": ["field", "op"],
    "additionalProperties": false,
    "properties": {
      "field": {"type": "string", "minLength": 1},
      "op": {"enum": ["changed", "changed_to", "changed_from"]},
      "value": {"type": ["string", "number", "null"],
                "description": "changed_to/changed_from: the new/old value; text, number or null"}
    },
    "if": {"properties": {"op": {"const": "changed"}}},
    "then": {"not": {"required": ["value"]}},
    "else": {"required": ["value"]}})"};

  explicit Changes(const Json& params) {
    crmflow::sdk::expect_parameters(params, {"field", "op", "value"});
    field_ = crmflow::sdk::expect_field_name(params, "field");
    const auto& known = crmflow::sdk::expect_one_of(params, "op", kOps);
    op_ = known.second;

    const auto value = params.find("value");
    const std::string name(known.first);
    if (op_ == Op::changed) {
      if (value != params.end()) throw Error("parameters: 'changed' takes no 'value'");
      return;
    }
    if (value == params.end()) throw Error("parameters: '" + name + "' needs a 'value'");
    if (value->is_null()) {
      operand_ = std::monostate{};
    } else if (value->is_string()) {
      operand_ = value->get<std::string>();
    } else if (value->is_number()) {
      const auto number = Number::parse(value->dump());
      if (!number) throw Error("parameters: 'value' " + value->dump() + " is not a usable number");
      operand_ = *number;
    } else {
      throw Error("parameters: 'value' of " + name + " must be text, a number or null, found " +
                  value->dump());
    }
  }

  bool evaluate(const crmflow::sdk::Call& call) const override {
    const bool in_new = call.has_field(field_, Image::new_image);
    const bool in_old = call.has_field(field_, Image::old_image);
    if (!in_new && !in_old) {
      throw Error("the " + std::string(call.module()) + " record has no field '" + field_ +
                      "' (in neither its new nor its old image)",
                  CRMFLOW_NOT_FOUND);
    }
    if (!in_new) return false;  // deleted: there is no new value
    const std::optional<std::string_view> after = call.field(field_, Image::new_image);
    if (!in_old) {  // inserted: changed from nothing, unless it is still nothing (NULL)
      if (!after) return false;
      switch (op_) {
        case Op::changed: return true;
        case Op::changed_to: return matches(after);
        case Op::changed_from: return false;
      }
      return false;
    }
    const std::optional<std::string_view> before = call.field(field_, Image::old_image);
    if (before == after) return false;  // NULL == NULL, text byte for byte
    switch (op_) {
      case Op::changed: return true;
      case Op::changed_to: return matches(after);
      case Op::changed_from: return matches(before);
    }
    return false;
  }

 private:
  // compare's equals: null matches only NULL, a number matches numerically, text exactly.
  bool matches(const std::optional<std::string_view>& field) const {
    if (std::holds_alternative<std::monostate>(operand_)) return !field;
    if (!field) return false;
    if (const auto* text = std::get_if<std::string>(&operand_)) return *field == *text;
    const auto number = Number::parse(*field);
    return number && *number == std::get<Number>(operand_);
  }

  std::string field_;
  Op op_ = Op::changed;
  Operand operand_;
};

}  // namespace

CRMFLOW_PLUGIN("crmflow.changes", "1.0.0", Changes)
