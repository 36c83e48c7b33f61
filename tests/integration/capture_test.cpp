// Capture triggers against the private MariaDB: every test case gets a fresh demo database
// (db_fixture.hpp). Run with: eval "$(scripts/mariadb.sh env)"; ./capture_test
#define BOOST_TEST_MODULE capture
#include <soci/soci.h>
#include <unistd.h>

#include <fmt/format.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <future>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "crmflow/host/capture.hpp"
#include "db_fixture.hpp"

using namespace std::chrono_literals;
using crmflow::CaptureOptions;
using crmflow::CaptureState;
using crmflow::Module;
using nlohmann::json;

namespace {

constexpr const char* kMaria = "usr00002-0000-4000-8000-000000000000";
constexpr const char* kThomas = "usr00003-0000-4000-8000-000000000000";
constexpr const char* kLead1 = "led00001-0000-4000-8000-000000000000";

std::string or_null(const std::optional<std::string>& value) {
  return value.value_or("NULL");
}

template <typename T>
std::string error_of(const std::expected<T, std::string>& result) {
  return result ? std::string() : result.error();
}

long long count(soci::session& db, const std::string& sql) {
  long long n = 0;
  db << sql, soci::into(n);
  return n;
}

struct Event {
  long long id = 0;
  std::string module, record_id, kind;
  int is_new = 0;
  std::optional<json> old_image, new_image;
  std::optional<std::string> crm_user_id, cause;
  int depth = 0;
};

std::optional<std::string> text_or_null(const soci::row& row, std::size_t i) {
  if (row.get_indicator(i) == soci::i_null) return std::nullopt;
  return row.get<std::string>(i);
}

std::optional<json> image(const soci::row& row, std::size_t i) {
  const auto text = text_or_null(row, i);
  if (!text) return std::nullopt;
  json parsed = json::parse(*text, nullptr, false);
  BOOST_TEST_INFO("image: " << text->substr(0, 300));
  BOOST_CHECK(!parsed.is_discarded());
  BOOST_CHECK(parsed.is_object());
  return parsed;
}

// The events written after event id `after`, oldest first.
std::vector<Event> events_after(soci::session& db, long long after) {
  std::vector<Event> out;
  soci::rowset<soci::row> rows =
      (db.prepare
           << "SELECT CAST(id AS SIGNED), module, record_id, kind, is_new, old_image, new_image, "
              "crm_user_id, cause, depth FROM crmflow_event WHERE id > :after ORDER BY id",
       soci::use(after));
  for (const soci::row& row : rows) {
    Event e;
    e.id = row.get<long long>(0);
    e.module = row.get<std::string>(1);
    e.record_id = row.get<std::string>(2);
    e.kind = row.get<std::string>(3);
    e.is_new = row.get<int>(4);
    e.old_image = image(row, 5);
    e.new_image = image(row, 6);
    e.crm_user_id = text_or_null(row, 7);
    e.cause = text_or_null(row, 8);
    e.depth = row.get<int>(9);
    out.push_back(std::move(e));
  }
  return out;
}

std::set<std::string> keys(const json& object) {
  std::set<std::string> out;
  for (const auto& [key, value] : object.items()) out.insert(key);
  return out;
}

std::set<std::string> column_names(const Module& module) {
  std::set<std::string> out;
  for (const auto& c : module.columns) out.insert(c.name);
  return out;
}

struct CaptureFixture : crmflow::testing::DbFixture {
  const Module& module(std::string_view name) {
    const Module* m = map().find(name);
    BOOST_REQUIRE_MESSAGE(m != nullptr, "no module " << name);
    return *m;
  }
  void install(std::string_view name) {
    const auto done = crmflow::install_capture(db(), module(name));
    BOOST_REQUIRE_MESSAGE(done.has_value(), error_of(done));
  }
  CaptureState state(std::string_view name) {
    return crmflow::capture_status(db(), module(name)).state;
  }
  long long last_event() { return count(db(), "SELECT COALESCE(MAX(id), 0) FROM crmflow_event"); }
  // Runs `sql` and returns the events it caused.
  std::vector<Event> write(const std::string& sql) {
    const long long before = last_event();
    db() << sql;
    return events_after(db(), before);
  }
  long long crmflow_triggers() {
    return count(db(),
                 "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = "
                 "DATABASE() AND TRIGGER_NAME LIKE 'crmflow\\_%'");
  }
};

}  // namespace

namespace crmflow {
std::ostream& operator<<(std::ostream& out, CaptureState state) {
  return out << state_name(state);
}
}  // namespace crmflow

BOOST_FIXTURE_TEST_SUITE(capture, CaptureFixture)

BOOST_AUTO_TEST_CASE(trigger_sql_names_and_signature) {
  const auto sql = crmflow::capture_trigger_sql(module("Leads"));
  BOOST_REQUIRE_EQUAL(sql.size(), 3u);
  BOOST_TEST(sql[0].starts_with("CREATE TRIGGER `crmflow_leads_ai` AFTER INSERT ON `leads`"));
  BOOST_TEST(sql[1].starts_with("CREATE TRIGGER `crmflow_leads_au` AFTER UPDATE ON `leads`"));
  BOOST_TEST(sql[2].starts_with("CREATE TRIGGER `crmflow_leads_ad` AFTER DELETE ON `leads`"));
  BOOST_TEST(sql[0].find("crmflow_signature") != std::string::npos);
  BOOST_TEST(crmflow::state_name(CaptureState::installed) == "installed");
  BOOST_TEST(crmflow::state_name(CaptureState::missing) == "missing");
  BOOST_TEST(crmflow::state_name(CaptureState::drifted) == "drifted");
  BOOST_TEST(crmflow::state_name(CaptureState::partial) == "partial");
  BOOST_TEST(state("Leads") == CaptureState::missing);
  install("Leads");
  BOOST_TEST(state("Leads") == CaptureState::installed);
  BOOST_TEST(crmflow_triggers() == 3);
  // The server keeps the signature: a second install finds nothing to do and stays installed.
  install("Leads");
  BOOST_TEST(state("Leads") == CaptureState::installed);
  BOOST_TEST(state("Accounts") == CaptureState::missing);
}

BOOST_AUTO_TEST_CASE(every_real_change_is_one_event) {
  install("Leads");
  const std::string id = "led10000-0000-4000-8000-000000000000";
  const std::string where = " WHERE id = '" + id + "'";

  auto ev = write(fmt::format(
      "INSERT INTO leads (id, date_entered, modified_user_id, created_by, first_name, last_name, "
      "status) VALUES ('{}', '2025-04-01 10:00:00', '{}', '1', 'abc', 'Tester', 'New')",
      id, kMaria));
  BOOST_REQUIRE_EQUAL(ev.size(), 1u);
  BOOST_TEST(ev[0].module == "Leads");
  BOOST_TEST(ev[0].record_id == id);
  BOOST_TEST(ev[0].kind == "saved");
  BOOST_TEST(ev[0].is_new == 1);
  BOOST_TEST(!ev[0].old_image.has_value());
  BOOST_REQUIRE(ev[0].new_image.has_value());
  const json& created = *ev[0].new_image;
  BOOST_TEST(keys(created) == column_names(module("Leads")));  // every column
  BOOST_TEST(created["id"] == id);
  BOOST_TEST(created["first_name"] == "abc");
  BOOST_TEST(created["date_entered"] == "2025-04-01 10:00:00");
  BOOST_TEST(created["status"] == "New");
  BOOST_TEST(created["deleted"] == 0);
  BOOST_TEST(created["description"].is_null());
  BOOST_TEST(or_null(ev[0].crm_user_id) == std::string(kMaria));
  BOOST_TEST(!ev[0].cause.has_value());
  BOOST_TEST(ev[0].depth == 0);

  ev = write(
      fmt::format("UPDATE leads SET last_name = 'Tester2', modified_user_id = '{}'", kThomas) +
      where);
  BOOST_REQUIRE_EQUAL(ev.size(), 1u);
  BOOST_TEST(ev[0].kind == "saved");
  BOOST_TEST(ev[0].is_new == 0);
  BOOST_REQUIRE(ev[0].old_image && ev[0].new_image);
  BOOST_TEST((*ev[0].old_image)["last_name"] == "Tester");
  BOOST_TEST((*ev[0].new_image)["last_name"] == "Tester2");
  BOOST_TEST((*ev[0].old_image)["first_name"] == "abc");
  BOOST_TEST((*ev[0].new_image)["first_name"] == "abc");
  BOOST_TEST(keys(*ev[0].old_image) == column_names(module("Leads")));
  BOOST_TEST(or_null(ev[0].crm_user_id) == std::string(kThomas));

  // Nothing changed: no event (also not for the rows an UPDATE matches without changing).
  BOOST_TEST(write("UPDATE leads SET last_name = last_name" + where).empty());
  BOOST_TEST(write("UPDATE leads SET first_name = 'abc'" + where).empty());
  BOOST_TEST(write("UPDATE leads SET status = status").empty());

  // The _ci collation calls these equal; the triggers must not.
  ev = write("UPDATE leads SET first_name = 'ABC'" + where);
  BOOST_REQUIRE_EQUAL(ev.size(), 1u);
  BOOST_TEST((*ev[0].old_image)["first_name"] == "abc");
  BOOST_TEST((*ev[0].new_image)["first_name"] == "ABC");
  ev = write("UPDATE leads SET first_name = 'ABC '" + where);
  BOOST_REQUIRE_EQUAL(ev.size(), 1u);
  BOOST_TEST((*ev[0].new_image)["first_name"] == "ABC ");
  BOOST_TEST(write("UPDATE leads SET first_name = 'ABC '" + where).empty());

  // Soft delete, undelete, soft delete again.
  ev = write("UPDATE leads SET deleted = 1" + where);
  BOOST_REQUIRE_EQUAL(ev.size(), 1u);
  BOOST_TEST(ev[0].kind == "deleted");
  BOOST_TEST(ev[0].is_new == 0);
  BOOST_TEST((*ev[0].old_image)["deleted"] == 0);
  BOOST_TEST((*ev[0].new_image)["deleted"] == 1);
  ev = write("UPDATE leads SET deleted = 0" + where);
  BOOST_REQUIRE_EQUAL(ev.size(), 1u);
  BOOST_TEST(ev[0].kind == "saved");
  BOOST_REQUIRE_EQUAL(write("UPDATE leads SET deleted = 1" + where).size(), 1u);

  // Hard delete of a row that was soft-deleted already: reported before, so no event.
  BOOST_TEST(write("DELETE FROM leads" + where).empty());
  BOOST_TEST(count(db(), "SELECT COUNT(*) FROM leads" + where) == 0);

  // Hard delete of a live row: 'deleted' with the old image.
  ev = write(std::string("DELETE FROM leads WHERE id = '") + kLead1 + "'");
  BOOST_REQUIRE_EQUAL(ev.size(), 1u);
  BOOST_TEST(ev[0].kind == "deleted");
  BOOST_TEST(ev[0].record_id == kLead1);
  BOOST_TEST(ev[0].is_new == 0);
  BOOST_TEST(!ev[0].new_image.has_value());
  BOOST_REQUIRE(ev[0].old_image.has_value());
  BOOST_TEST((*ev[0].old_image)["id"] == kLead1);
  BOOST_TEST((*ev[0].old_image)["last_name"] == "Wagner");
  BOOST_TEST(keys(*ev[0].old_image) == column_names(module("Leads")));

  // Insert 1 + updates 5 (last_name, ABC, 'ABC ', deleted, undeleted, deleted = 6) + delete 1.
  BOOST_TEST(count(db(), "SELECT COUNT(*) FROM crmflow_event") == 8);
  BOOST_TEST(count(db(), "SELECT COUNT(*) FROM crmflow_event WHERE kind = 'deleted'") == 3);
  BOOST_TEST(count(db(), "SELECT COUNT(*) FROM crmflow_event WHERE is_new = 1") == 1);
}

BOOST_AUTO_TEST_CASE(values_travel_intact) {
  install("Leads");
  install("Opportunities");
  install("Notifications");

  const std::string id = "led20000-0000-4000-8000-000000000000";
  std::string first = "O'Brien \"the\" \\ back\\\\slash \\n not-a-newline";
  std::string last = "Grüße ü 東京 😀 🇦🇹";
  std::string description;
  const std::string chunk =
      "Grüße aus 東京 😀 \"quoted\" 'single' back\\slash\ttab\nline\r\n{\"json\": [1,2]} ";
  while (description.size() + chunk.size() <= 65535) description += chunk;
  description.append(65535 - description.size(), 'x');  // TEXT holds 65535 bytes
  std::string modified_by = kThomas;
  soci::indicator null_title = soci::i_null;
  std::string title;

  db() << "SET @crmflow_cause = 'wf:x', @crmflow_depth = 2";
  const long long before = last_event();
  db() << "INSERT INTO leads (id, modified_user_id, created_by, first_name, last_name, title, "
          "description) VALUES (:id, :mu, '1', :f, :l, :t, :d)",
      soci::use(id), soci::use(modified_by), soci::use(first), soci::use(last),
      soci::use(title, null_title), soci::use(description);
  BOOST_TEST(count(db(), "SELECT LENGTH(description) FROM leads WHERE id = '" + id + "'") == 65535);
  auto ev = events_after(db(), before);
  BOOST_REQUIRE_EQUAL(ev.size(), 1u);
  BOOST_REQUIRE(ev[0].new_image.has_value());
  const json& img = *ev[0].new_image;
  BOOST_TEST(img["first_name"].get<std::string>() == first);
  BOOST_TEST(img["last_name"].get<std::string>() == last);
  BOOST_TEST(img["title"].is_null());
  BOOST_TEST(img["description"].get<std::string>().size() == description.size());
  BOOST_TEST((img["description"].get<std::string>() == description));
  BOOST_TEST(or_null(ev[0].cause) == std::string("wf:x"));
  BOOST_TEST(ev[0].depth == 2);
  BOOST_TEST(or_null(ev[0].crm_user_id) == std::string(kThomas));

  // Without the session variables (a CRM write): no cause, depth 0.
  db() << "SET @crmflow_cause = NULL, @crmflow_depth = NULL";
  ev = write("UPDATE leads SET last_name = 'x' WHERE id = '" + id + "'");
  BOOST_REQUIRE_EQUAL(ev.size(), 1u);
  BOOST_TEST(!ev[0].cause.has_value());
  BOOST_TEST(ev[0].depth == 0);
  BOOST_TEST((*ev[0].old_image)["last_name"].get<std::string>() == last);
  BOOST_TEST(((*ev[0].old_image)["description"].get<std::string>() == description));

  // DECIMAL(26,6) travels as the exact text, never as a JSON number.
  const std::string amount = "12345678901234567890.123456";
  const std::string opp = "opp20000-0000-4000-8000-000000000000";
  ev =
      write(fmt::format("INSERT INTO opportunities (id, name, modified_user_id, created_by, "
                        "amount, probability) VALUES ('{}', 'Big', '{}', '1', {}, 40)",
                        opp, kMaria, amount));
  BOOST_REQUIRE_EQUAL(ev.size(), 1u);
  BOOST_TEST(ev[0].module == "Opportunities");
  const json& o = *ev[0].new_image;
  BOOST_TEST(o["amount"].is_string());
  BOOST_TEST(o["amount"] == amount);
  BOOST_TEST(o["probability"] == 40);
  BOOST_TEST(o["currency_id"] == "-99");
  ev = write("UPDATE opportunities SET amount = 0.000001 WHERE id = '" + opp + "'");
  BOOST_REQUIRE_EQUAL(ev.size(), 1u);
  BOOST_TEST((*ev[0].old_image)["amount"] == amount);
  BOOST_TEST((*ev[0].new_image)["amount"] == "0.000001");
  BOOST_TEST(write("UPDATE opportunities SET amount = 0.0000010 WHERE id = '" + opp + "'").empty());

  // A module without a modified_by column: the user is created_by.
  ev =
      write(fmt::format("INSERT INTO notifications (id, created_by, assigned_user_id, subject) "
                        "VALUES ('ntf20000-0000-4000-8000-000000000000', '{}', '{}', 'Hi')",
                        kThomas, kMaria));
  BOOST_REQUIRE_EQUAL(ev.size(), 1u);
  BOOST_TEST(or_null(ev[0].crm_user_id) == std::string(kThomas));
}

// MariaDB's JSON_OBJECT turns to \u escapes (and broken surrogates for emoji) for ALL values
// as soon as one argument is binary; a non-UTF-8 byte would even fail the CRM's write. So
// binary columns travel as hex, BIT as a number. Also: odd column names are quoted.
BOOST_AUTO_TEST_CASE(binary_columns_and_odd_names) {
  db() << "CREATE TABLE odd_things (id char(36) NOT NULL PRIMARY KEY, name varchar(50), "
          "`we``ird \"col\" 'x'` varchar(20), `ü` varchar(20), data blob, raw "
          "varbinary(8), "
          "flag bit(1), deleted tinyint(1) NOT NULL DEFAULT 0) CHARSET=utf8mb4";
  crmflow::ModuleMap odd;
  Module m;
  m.name = "Odd Things";
  m.table = "odd_things";
  m.deleted_column = "deleted";
  odd.modules.push_back(m);
  BOOST_REQUIRE(crmflow::introspect(db(), odd).empty());
  const Module& mod = odd.modules[0];
  const auto done = crmflow::install_capture(db(), mod);
  BOOST_REQUIRE_MESSAGE(done.has_value(), error_of(done));
  const auto status = crmflow::capture_status(db(), mod);
  BOOST_TEST_INFO("detail: " << status.detail);
  BOOST_TEST(status.state == CaptureState::installed);

  const std::string name = "東京 😀 ü";
  auto ev = write("INSERT INTO odd_things VALUES ('odd1', '" + name +
                  "', 'we''ird', 'ä', X'00FF41', X'FFFE', b'1', 0)");
  BOOST_REQUIRE_EQUAL(ev.size(), 1u);
  BOOST_TEST(ev[0].module == "Odd Things");
  BOOST_TEST(!ev[0].crm_user_id.has_value());
  const json& img = *ev[0].new_image;
  BOOST_TEST(img["name"] == name);
  BOOST_TEST(img["we`ird \"col\" 'x'"] == "we'ird");
  BOOST_TEST(img["ü"] == "ä");
  BOOST_TEST(img["data"] == "00FF41");
  BOOST_TEST(img["raw"] == "FFFE");
  BOOST_TEST(img["flag"] == 1);
  BOOST_TEST(write("UPDATE odd_things SET raw = X'FFFF' WHERE id = 'odd1'").size() == 1u);
  BOOST_TEST(write("UPDATE odd_things SET `we``ird \"col\" 'x'` = 'WE''IRD'").size() == 1u);
}

// SOCI reads ":b" as a placeholder even inside backticks: such a column is refused clearly.
BOOST_AUTO_TEST_CASE(colon_in_a_column_name_is_refused) {
  // Created through PREPARE from a hex string: SOCI would mangle the statement itself.
  const std::string create = "CREATE TABLE colon_things (id char(36) PRIMARY KEY, `a:b` int)";
  std::string hex;
  for (const char c : create) hex += fmt::format("{:02X}", static_cast<unsigned char>(c));
  db() << "SET @crmflow_test_sql = _utf8mb4 X'" + hex + "'";
  db() << "PREPARE crmflow_test_stmt FROM @crmflow_test_sql";
  db() << "EXECUTE crmflow_test_stmt";
  crmflow::ModuleMap colon;
  Module m;
  m.name = "Colons";
  m.table = "colon_things";
  colon.modules.push_back(m);
  BOOST_REQUIRE(crmflow::introspect(db(), colon).empty());
  const auto done = crmflow::install_capture(db(), colon.modules[0]);
  BOOST_REQUIRE(!done.has_value());
  BOOST_TEST_INFO("error: " << done.error());
  BOOST_TEST(done.error().find("'colon_things'") != std::string::npos);
  BOOST_TEST(done.error().find("'a:b'") != std::string::npos);
  BOOST_TEST(crmflow_triggers() == 0);
}

BOOST_AUTO_TEST_CASE(drift_is_detected_and_repaired) {
  install("Leads");
  const std::string where = std::string(" WHERE id = '") + kLead1 + "'";

  // A CRM upgrade adds a column: the old triggers still work but miss it.
  db() << "ALTER TABLE leads ADD COLUMN x_upgrade VARCHAR(10) NULL";
  BOOST_TEST(state("Leads") == CaptureState::installed);  // map still has the old columns
  BOOST_REQUIRE(reintrospect().empty());
  auto status = crmflow::capture_status(db(), module("Leads"));
  BOOST_TEST(status.state == CaptureState::drifted);
  BOOST_TEST_INFO("detail: " << status.detail);
  BOOST_TEST(status.detail.find("added: x_upgrade") != std::string::npos);
  auto ev = write("UPDATE leads SET x_upgrade = 'A', status = 'Dead'" + where);
  BOOST_REQUIRE_EQUAL(ev.size(), 1u);
  BOOST_TEST(!ev[0].new_image->contains("x_upgrade"));

  // A CRM upgrade drops a column: the old triggers break every save of the CRM.
  db() << "ALTER TABLE leads DROP COLUMN title";
  BOOST_REQUIRE(reintrospect().empty());
  status = crmflow::capture_status(db(), module("Leads"));
  BOOST_TEST(status.state == CaptureState::drifted);
  BOOST_TEST_INFO("detail: " << status.detail);
  BOOST_TEST(status.detail.find("added: x_upgrade") != std::string::npos);
  BOOST_TEST(status.detail.find("dropped: title") != std::string::npos);
  std::string failure;
  try {
    db() << "UPDATE leads SET status = 'Converted'" + where;
  } catch (const soci::soci_error& e) {
    failure = e.what();
  }
  BOOST_TEST_INFO("error: " << failure);
  BOOST_TEST(failure.find("Unknown column") != std::string::npos);
  BOOST_TEST(failure.find("title") != std::string::npos);
  BOOST_CHECK_THROW(db() << "INSERT INTO leads (id) VALUES ('led30000')", soci::soci_error);
  BOOST_TEST(count(db(), "SELECT COUNT(*) FROM leads WHERE status = 'Dead'" +
                             std::string(" AND id = '") + kLead1 + "'") == 1);

  // Repair: the triggers now name exactly the current columns, saves work again.
  install("Leads");
  BOOST_TEST(state("Leads") == CaptureState::installed);
  ev = write("UPDATE leads SET status = 'Converted', x_upgrade = 'B'" + where);
  BOOST_REQUIRE_EQUAL(ev.size(), 1u);
  BOOST_TEST(keys(*ev[0].new_image) == column_names(module("Leads")));
  BOOST_TEST(keys(*ev[0].old_image) == column_names(module("Leads")));
  BOOST_TEST(!ev[0].new_image->contains("title"));
  BOOST_TEST((*ev[0].new_image)["x_upgrade"] == "B");
  BOOST_TEST((*ev[0].old_image)["x_upgrade"] == "A");
  BOOST_TEST(write("INSERT INTO leads (id) VALUES ('led30000')").size() == 1u);
}

BOOST_AUTO_TEST_CASE(remove_leaves_the_table_as_it_was) {
  std::string before, after, table;
  db() << "SHOW CREATE TABLE leads", soci::into(table), soci::into(before);
  install("Leads");
  install("Tasks");
  BOOST_TEST(crmflow_triggers() == 6);

  db() << "DROP TRIGGER crmflow_leads_au";
  const auto status = crmflow::capture_status(db(), module("Leads"));
  BOOST_TEST(status.state == CaptureState::partial);
  BOOST_TEST(status.detail.find("crmflow_leads_au") != std::string::npos);

  for (const char* name : {"Leads", "Tasks"}) {
    const auto removed = crmflow::remove_capture(db(), module(name));
    BOOST_REQUIRE_MESSAGE(removed.has_value(), error_of(removed));
    BOOST_TEST(state(name) == CaptureState::missing);
  }
  BOOST_TEST(crmflow_triggers() == 0);
  const auto again = crmflow::remove_capture(db(), module("Leads"));  // nothing left to drop
  BOOST_TEST(again.has_value());

  BOOST_TEST(write("INSERT INTO leads (id, last_name) VALUES ('led40000', 'Quiet')").empty());
  BOOST_TEST(write("UPDATE leads SET last_name = 'Still quiet' WHERE id = 'led40000'").empty());
  BOOST_TEST(write("DELETE FROM leads WHERE id = 'led40000'").empty());
  BOOST_TEST(write("UPDATE tasks SET status = 'Deferred'").empty());
  BOOST_TEST(count(db(), "SELECT COUNT(*) FROM crmflow_event") == 0);
  db() << "SHOW CREATE TABLE leads", soci::into(table), soci::into(after);
  BOOST_TEST(after == before);
}

BOOST_AUTO_TEST_CASE(privileges) {
  const auto problems = crmflow::check_capture_privileges(db());
  BOOST_TEST_INFO("problems: " << (problems.empty() ? "" : problems.front()));
  BOOST_TEST(problems.empty());

  // A user that may read and write the CRM but not create triggers. The private server
  // grants over the socket as user@localhost and over TCP as user@127.0.0.1: create both.
  const std::string user = "crmflow_nt_" + std::to_string(::getpid());
  const std::string password = "nt-" + std::to_string(::getpid());
  struct DropUser {
    soci::session& admin;
    std::string user;
    ~DropUser() {
      for (const char* host : {"localhost", "127.0.0.1"}) {
        try {
          admin << "DROP USER IF EXISTS '" + user + "'@'" + host + "'";
        } catch (...) {
        }
      }
    }
  } drop_user{admin(), user};
  for (const char* host : {"localhost", "127.0.0.1"}) {
    const std::string who = "'" + user + "'@'" + host + "'";
    admin() << "CREATE USER " + who + " IDENTIFIED BY '" + password + "'";
    admin() << "GRANT SELECT, INSERT, UPDATE, DELETE ON `" + name() + "`.* TO " + who;
  }
  auto settings = this->settings();
  settings.user = user;
  settings.password = password;
  auto limited = crmflow::testing::connect_or_throw(settings);
  const auto missing = crmflow::check_capture_privileges(*limited);
  BOOST_REQUIRE_EQUAL(missing.size(), 1u);
  BOOST_TEST_INFO("problem: " << missing[0]);
  BOOST_TEST(missing[0].find("TRIGGER") != std::string::npos);
  BOOST_TEST(missing[0].find(user) != std::string::npos);
  BOOST_TEST(missing[0].find(name()) != std::string::npos);
  BOOST_TEST(missing[0].find("GRANT TRIGGER ON") != std::string::npos);

  // And installing with that user fails, naming the table.
  const auto done = crmflow::install_capture(*limited, module("Leads"));
  BOOST_REQUIRE(!done.has_value());
  BOOST_TEST_INFO("error: " << done.error());
  BOOST_TEST(done.error().find("'leads'") != std::string::npos);
  BOOST_TEST(done.error().find("TRIGGER") != std::string::npos);
  BOOST_TEST(crmflow_triggers() == 0);

  // The privilege through a (default) role counts too.
  const std::string role = "crmflow_trigger_role_" + std::to_string(::getpid());
  struct DropRole {
    soci::session& admin;
    std::string role;
    ~DropRole() {
      try {
        admin << "DROP ROLE IF EXISTS " + role;
      } catch (...) {
      }
    }
  } drop_role{admin(), role};
  admin() << "CREATE ROLE " + role;
  admin() << "GRANT TRIGGER ON `" + name() + "`.* TO " + role;
  for (const char* host : {"localhost", "127.0.0.1"}) {
    const std::string who = "'" + user + "'@'" + host + "'";
    admin() << "GRANT " + role + " TO " + who;
    admin() << "SET DEFAULT ROLE " + role + " FOR " + who;
  }
  auto with_role = crmflow::testing::connect_or_throw(settings);
  const auto with_role_problems = crmflow::check_capture_privileges(*with_role);
  BOOST_TEST_INFO("problem: " << (with_role_problems.empty() ? "" : with_role_problems.front()));
  BOOST_TEST(with_role_problems.empty());
}

BOOST_AUTO_TEST_CASE(install_gives_up_quickly_on_a_locked_table) {
  // Another connection's open transaction has read leads: it holds the metadata lock.
  auto other = connect_again();
  long long n = 0;
  *other << "START TRANSACTION";
  *other << "SELECT COUNT(*) FROM leads", soci::into(n);
  BOOST_REQUIRE(n > 0);

  long long own_timeout = 0;
  db() << "SET SESSION lock_wait_timeout = 4321";
  db() << "SELECT @@SESSION.lock_wait_timeout", soci::into(own_timeout);
  const Module& leads = module("Leads");
  const CaptureOptions quick{.lock_wait_timeout = 1s, .attempts = 2};
  const auto start = std::chrono::steady_clock::now();
  auto pending =
      std::async(std::launch::async, [&] { return crmflow::install_capture(db(), leads, quick); });
  if (pending.wait_for(30s) != std::future_status::ready) {
    *other << "ROLLBACK";  // release the lock so the install (and the test) can end
    pending.wait();
    BOOST_FAIL("install_capture waited more than 30 s for the metadata lock");
  }
  const auto result = pending.get();
  const auto waited = std::chrono::steady_clock::now() - start;
  BOOST_REQUIRE(!result.has_value());
  BOOST_TEST_INFO("error: " << result.error());
  BOOST_TEST(result.error().find("'leads'") != std::string::npos);
  BOOST_TEST(result.error().find("2 attempt") != std::string::npos);
  BOOST_TEST(waited >= 2s);  // two waits of lock_wait_timeout
  BOOST_TEST(waited < 10s);  // not the server's default of a day
  BOOST_TEST(state("Leads") == CaptureState::missing);
  long long timeout = 0;  // the session's own setting is back
  db() << "SELECT @@SESSION.lock_wait_timeout", soci::into(timeout);
  BOOST_TEST(timeout == own_timeout);

  *other << "COMMIT";
  auto retried =
      std::async(std::launch::async, [&] { return crmflow::install_capture(db(), leads, quick); });
  BOOST_REQUIRE(retried.wait_for(30s) == std::future_status::ready);
  const auto done = retried.get();
  BOOST_REQUIRE_MESSAGE(done.has_value(), error_of(done));
  BOOST_TEST(state("Leads") == CaptureState::installed);
  BOOST_TEST(
      write(std::string("UPDATE leads SET status = 'Dead' WHERE id = '") + kLead1 + "'").size() ==
      1u);
}

BOOST_AUTO_TEST_SUITE_END()
