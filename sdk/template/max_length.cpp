// A whole crmflow plugin: the condition "max_length" holds when a field has text of at most
// `max` characters. Copy this directory to start your own plugin.
//
// Use in a workflow's conditions:
//   {"plugin": "max_length", "params": {"field": "name", "max": 50}}
//
// The rules every component follows (see sdk/include/crmflow/sdk.hpp):
//  - the constructor checks the parameters and throws crmflow::sdk::Error when they are
//    wrong; the host shows the message to the admin;
//  - evaluate() is const: the host calls it from several threads at once;
//  - exceptions never leave the plugin: the SDK turns them into errors with their message.
#include <crmflow/sdk.hpp>

#include <string>

namespace {

// Counts characters, not bytes: every UTF-8 sequence starts with a byte that is not 10xxxxxx.
size_t utf8_length(std::string_view text) {
  size_t count = 0;
  for (const char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

class MaxLength final : public crmflow::sdk::Condition {
 public:
  static constexpr crmflow::sdk::Info info{"max_length", "1.0.0", R"({
    "type": "object",
    "required": ["field", "max"],
    "additionalProperties": false,
    "properties": {
      "field": {"type": "string", "minLength": 1},
      "max": {"type": "integer", "minimum": 0}
    }})"};

  explicit MaxLength(const crmflow::sdk::Json& params) {
    crmflow::sdk::expect_parameters(params, {"field", "max"});
    if (!params.contains("field") || !params["field"].is_string()) {
      throw crmflow::sdk::Error("parameter 'field' must name a field");
    }
    if (!params.contains("max") || !params["max"].is_number_unsigned()) {
      throw crmflow::sdk::Error("parameter 'max' must be a whole number >= 0");
    }
    field_ = params["field"].get<std::string>();
    max_ = params["max"].get<size_t>();
  }

  bool evaluate(const crmflow::sdk::Call& call) const override {
    const auto value = call.field(field_);  // throws when the record has no such field
    if (!value) return true;                // NULL: no text, so not too long
    const size_t length = utf8_length(*value);
    if (length > max_) {
      call.log(crmflow::sdk::Level::debug, field_ + " has " + std::to_string(length) +
                                               " characters, more than " + std::to_string(max_));
    }
    return length <= max_;
  }

 private:
  std::string field_;
  size_t max_ = 0;
};

}  // namespace

// The plugin's entry point: pack id, pack version, and every component class it offers.
CRMFLOW_PLUGIN("example.max_length", "1.0.0", MaxLength)
