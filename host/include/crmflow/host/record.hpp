// A CRM record as the engine sees it: module, id and its images.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace crmflow {

// Column name → value; std::nullopt is SQL NULL. A column that is absent is not a field.
using RecordImage = std::map<std::string, std::optional<std::string>, std::less<>>;

struct Record {
  std::string module;     // module name from the module map, e.g. "Leads"
  std::string id;         // the row's id column
  RecordImage current;    // the row as it is now
  RecordImage new_image;  // the row as the triggering statement wrote it
  RecordImage old_image;  // the row before that statement; empty for an insert
};

}  // namespace crmflow
