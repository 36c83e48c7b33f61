// Hostile values in CRM records never become SQL, a header or unescaped HTML: one corpus of
// values (quotes, comment sequences, "'; DROP TABLE", CR/LF, NUL, overlong and invalid UTF-8,
// emoji, HTML, mustache-looking text, 1 MB), written into the demo database with bound
// parameters as the CRM would, then taken through every channel the host has: capture and
// conditions and templates into other records, send_email to a real SMTP sink, call_remote_api
// to a real HTTP peer. Each channel loops over the corpus and prints what it saw: values tried,
// passed verbatim, escaped for their place, refused with the field named, refused by MariaDB.
#define BOOST_TEST_MODULE injection_test
#include <fmt/format.h>
#include <soci/soci.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "crmflow/host/capture.hpp"
#include "crmflow/host/engine.hpp"
#include "crmflow/host/host_clock.hpp"
#include "crmflow/host/jobs.hpp"
#include "crmflow/host/workflow.hpp"
#include "db_fixture.hpp"
#include "free_port.hpp"
#include "peer_process.hpp"
#include "workflow_harness.hpp"

using namespace crmflow;
using namespace std::chrono_literals;
using Json = nlohmann::json;

namespace {

struct Hostile {
  std::string name;
  std::string bytes;
};

// The corpus: every channel takes each of these.
const std::vector<Hostile>& corpus() {
  static const std::vector<Hostile> values = [] {
    using namespace std::string_literals;
    std::vector<Hostile> v = {
        {"single quote", "O'Brien"},
        {"double quote", "say \"hi\""},
        {"backslash", "C:\\temp\\x \\' \\\""},
        {"dash comment", "x -- y"},
        {"block comment", "a /* b */ c"},
        {"hash comment", "a # b"},
        {"drop table", "'; DROP TABLE leads; --"},
        {"union select", "\" OR 1=1 UNION SELECT user_name FROM users -- "},
        {"mustache", "{{record.id}} {{#record}}x{{/record}} {{{user.email1}}} }}{{"},
        {"cr", "a\rb"},
        {"lf", "a\nb"},
        {"crlf bcc", "Hi\r\nBcc: x@y.example"},
        {"nul", "a\0b"s},
        {"overlong utf-8",
         "a\xC0\xAF"
         "b"},
        {"invalid utf-8 ff",
         "a\xFF"
         "b"},
        {"lone continuation",
         "a\x80"
         "b"},
        {"emoji", "rocket \xF0\x9F\x9A\x80 launch"},
        {"html script", "<script>alert(1)</script>"},
        {"ampersand", "Tom & Jerry's <b>\"best\"</b>"},
        {"percent and plus", "100% a+b=c&d?e#f/g"},
        {"1 MB", std::string(1 << 20, 'A')},
    };
    v.back().bytes.replace(1000, 10, "'\";--\r\n<&>");  // hostile bytes inside the megabyte
    return v;
  }();
  return values;
}

bool valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size() || (n == 2 && c < 0xC2)) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

bool has_break(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

std::string html_escaped(std::string_view s) {
  std::string out;
  for (const char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string percent_encoded(std::string_view s) {
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += fmt::format("%{:02X}", u);
    }
  }
  return out;
}

// What a channel did with the corpus, printed at the end of its test case.
struct Tally {
  std::string channel;
  int tried = 0, verbatim = 0, escaped = 0, refused_named = 0, refused_by_db = 0;
  // Printed, never asserted: the assertions are per value.
  ~Tally() {
    std::cout << fmt::format(
                     "injection {}: {} values tried, {} passed verbatim, {} escaped, {} refused "
                     "naming the field, {} refused by MariaDB",
                     channel, tried, verbatim, escaped, refused_named, refused_by_db)
              << std::endl;
  }
};

// Writes the values into the columns of one row in one statement, each a bound parameter;
// false, with MariaDB's message in `refusal`, when MariaDB refuses them.
bool write(soci::session& db, const std::string& table, const std::string& id,
           const std::vector<std::pair<std::string, std::string>>& columns, std::string* refusal) {
  std::string sql = "UPDATE " + table + " SET modified_user_id = :u";
  for (size_t i = 0; i < columns.size(); ++i) {
    sql += fmt::format(", {} = :v{}", columns[i].first, i);
  }
  const std::string user = "usr00002-0000-4000-8000-000000000000";
  try {
    soci::statement statement = (db.prepare << sql + " WHERE id = :id", soci::use(user));
    for (const auto& [column, value] : columns) statement.exchange(soci::use(value));
    statement.exchange(soci::use(id));
    statement.define_and_bind();
    statement.execute(true);
    return true;
  } catch (const soci::soci_error& e) {
    *refusal = e.what();
    return false;
  }
}

std::optional<std::string> read(soci::session& db, const std::string& sql, const std::string& id) {
  std::string value;
  soci::indicator ind = soci::i_ok;
  db << sql, soci::use(id), soci::into(value, ind);
  if (!db.got_data() || ind != soci::i_ok) return std::nullopt;
  return value;
}

// Every table's CHECKSUM but the ones named (those the channel writes) and crmflow's own.
std::map<std::string, long long> checksums(soci::session& db, const std::string& schema,
                                           const std::vector<std::string>& skip) {
  std::vector<std::string> tables(500);
  db << "SELECT table_name FROM information_schema.tables WHERE table_schema = :s AND "
        "table_name NOT LIKE 'crmflow\\_%' ORDER BY table_name",
      soci::use(schema), soci::into(tables);
  std::map<std::string, long long> out;
  for (const std::string& table : tables) {
    if (std::ranges::find(skip, table) != skip.end()) continue;
    std::string name;
    long long sum = 0;
    soci::indicator ind = soci::i_ok;
    db << "CHECKSUM TABLE `" + table + "`", soci::into(name), soci::into(sum, ind);
    out[table] = sum;
  }
  return out;
}

// A digest of the rows of `table` other than `id`, every column included.
std::string other_rows(soci::session& db, const std::string& schema, const std::string& table,
                       const std::string& id) {
  std::vector<std::string> columns(200);
  db << "SELECT column_name FROM information_schema.columns WHERE table_schema = :s AND "
        "table_name = :t ORDER BY ordinal_position",
      soci::use(schema), soci::use(table), soci::into(columns);
  std::string list;
  for (const std::string& c : columns) {
    list += (list.empty() ? "" : ", '|', ") + ("IFNULL(`" + c + "`, '(null)')");
  }
  std::string digest;
  db << "SELECT CONCAT(COUNT(*), ':', IFNULL(SUM(CRC32(CONCAT(" + list + "))), 0)) FROM `" + table +
            "` WHERE id <> :id",
      soci::use(id), soci::into(digest);
  return digest;
}

const std::string kLead = "led00001-0000-4000-8000-000000000000";
const std::string kCase = "cas00001-0000-4000-8000-000000000000";

PluginRegistry& plugins(const std::string& settings = "{}") {
  return testing::build_plugins({"compare", "changes", "create_record", "update_record"},
                                "call_remote_api", settings);
}

// The fresh demo database with `module` captured and `workflows` loaded, an engine and a job
// runner; `longtext` columns widened first so that the megabyte fits (an admin may have).
struct Harness : testing::DbFixture {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("crmflow_injection_test_" + name());
  std::vector<Workflow> workflows;
  std::unique_ptr<Engine> engine;
  std::unique_ptr<JobRunner> jobs;
  // The CRM's own connection: the engine labels its session with the chain depth of what it
  // writes (@crmflow_depth), so a save made there would count as the engine's.
  std::unique_ptr<soci::session> crm_session = connect_again();

  Harness(const std::string& module, const std::vector<std::string>& longtext,
          const std::vector<std::string>& texts, PluginRegistry& registry) {
    BOOST_REQUIRE(configure_clock("UTC", std::chrono::seconds(0)).has_value());
    for (const std::string& column : longtext) {
      const auto dot = column.find('.');
      db() << "ALTER TABLE `" + column.substr(0, dot) + "` MODIFY `" + column.substr(dot + 1) +
                  "` LONGTEXT";
    }
    BOOST_REQUIRE(reintrospect().empty());
    workflows = testing::load_workflow_texts(dir, texts, registry, &map());
    const auto installed = install_capture(db(), *map().find(module));
    if (!installed) throw std::runtime_error(installed.error());
    EngineOptions options;
    options.owner = "injection_test";
    engine = std::make_unique<Engine>(db(), map(), workflows, options);
    JobOptions job_options;
    job_options.owner = "injection_test";
    job_options.max_attempts = 1;
    jobs = std::make_unique<JobRunner>(db(), map(), workflows, job_options);
  }
  ~Harness() { std::filesystem::remove_all(dir); }

  soci::session& crm() { return *crm_session; }
  void drain() {
    if (!testing::drain_events(*engine, db())) BOOST_FAIL("the event queue did not drain");
  }
  long long count(const std::string& sql) { return testing::query_count(db(), sql); }
  // The newest job's column as text.
  std::string job(const std::string& column) {
    std::string value;
    soci::indicator ind = soci::i_ok;
    db() << "SELECT CAST(" + column + " AS CHAR) FROM crmflow_job ORDER BY id DESC LIMIT 1",
        soci::into(value, ind);
    return ind == soci::i_ok ? value : std::string();
  }
  // Runs every pending job once (max_attempts 1: each ends done or dead).
  void run_jobs() {
    for (int i = 0; i < 20 && count("SELECT COUNT(*) FROM crmflow_job WHERE state = 'pending'");
         ++i) {
      jobs->step();
    }
  }
};

// The case's name for a value: the value itself, or "long" for the megabyte, which the name's
// VARCHAR(255) cannot hold (the description takes it).
std::string case_name(const Hostile& value) {
  return value.bytes.size() > 255 ? "long" : value.bytes;
}

// Saves the value into kCase's description and name as the CRM would (bound parameters).
// MariaDB itself refuses invalid UTF-8: then the refusal is counted, checked to be nothing
// else, the host settles, and the answer is false — the value never reached the host.
bool save_case(Harness& h, const Hostile& value, Tally& tally) {
  std::string refusal;
  if (write(h.crm(), "cases", kCase, {{"description", value.bytes}, {"name", case_name(value)}},
            &refusal)) {
    return true;
  }
  ++tally.refused_by_db;
  BOOST_TEST(!valid_utf8(value.bytes), "only invalid UTF-8 is refused: " << refusal);
  h.drain();
  h.run_jobs();
  return false;
}

// The bytes behind text Python decoded as Latin-1 (code points below 256), given as UTF-8.
std::string latin1_bytes(std::string_view utf8) {
  std::string out;
  for (size_t i = 0; i < utf8.size(); ++i) {
    const auto c = static_cast<unsigned char>(utf8[i]);
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (i + 1 < utf8.size()) {
      out += static_cast<char>(((c & 0x03) << 6) | (static_cast<unsigned char>(utf8[++i]) & 0x3F));
    }
  }
  return out;
}

// A port nothing listens on now, for the whole process: send_email's settings are fixed when
// the registry loads it.
int smtp_port() {
  static const int port = testing::free_port();
  return port;
}

// The plugins with send_email set to the sink on smtp_port(), in clear.
PluginRegistry& mail_plugins() {
  const Json settings = {{"smtp_url", "smtp://127.0.0.1:" + std::to_string(smtp_port())},
                         {"from", "crm@demo.example"},
                         {"starttls", "off"},
                         {"timeout_seconds", 5},
                         {"connect_timeout_seconds", 2}};
  return testing::build_plugins({"compare", "changes", "create_record", "update_record"},
                                "send_email", settings.dump());
}

std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

// Capture, conditions and templates: the lead's description takes each value (the captured
// event's image is checked before the engine takes it); a workflow per value whose conditions
// are `description equals <value>` and `contains <value>` marks the lead, and a copy workflow
// creates a note whose description is "{{record.description}}". Only the value's own workflow
// may match, the note holds the stored bytes exactly, and no other row or table changes.
BOOST_AUTO_TEST_CASE(capture_conditions_and_templates_keep_each_value_in_its_field) {
  std::vector<std::string> texts = {
      Json{{"id", "copy"},
           {"module", "Leads"},
           {"conditions", {{"field", "description"}, {"op", "changed"}}},
           {"actions", Json::array({{{"plugin", "create_record"},
                                     {"params",
                                      {{"module", "Notes"},
                                       {"fields",
                                        {{"name", "copy of {{record.id}}"},
                                         {"description", "{{record.description}}"}}}}}}})}}
          .dump()};
  for (size_t i = 0; i < corpus().size(); ++i) {
    // A workflow file is JSON, which holds only UTF-8: invalid bytes cannot be a condition's
    // literal (the file is refused with its line and column; bad_input_test shows the message).
    if (!valid_utf8(corpus()[i].bytes)) continue;
    texts.push_back(
        Json{{"id", fmt::format("match-{}", i)},
             {"module", "Leads"},
             {"fire", "on_change"},
             {"conditions",
              {{"all",
                {{{"field", "description"}, {"op", "equals"}, {"value", corpus()[i].bytes}},
                 {{"field", "description"}, {"op", "contains"}, {"value", corpus()[i].bytes}}}}}},
             {"actions",
              Json::array({{{"plugin", "update_record"},
                            {"params", {{"fields", {{"title", fmt::format("matched {}", i)}}}}}}})}}
            .dump());
  }
  Harness h("Leads", {"leads.description", "notes.description"}, texts, plugins());
  const std::string schema = h.name();
  const auto tables_before = checksums(h.db(), schema, {"leads", "notes"});
  const std::string leads_before = other_rows(h.db(), schema, "leads", kLead);
  const std::string notes_before = other_rows(h.db(), schema, "notes", "(none)");
  const auto lead_rest = [&] {
    return read(h.db(),
                "SELECT CONCAT_WS('|', first_name, last_name, status, email1, account_id, "
                "assigned_user_id, deleted) FROM leads WHERE id = :id",
                kLead);
  };
  const auto rest_before = lead_rest();

  Tally tally{"capture+conditions+templates"};
  for (size_t i = 0; i < corpus().size(); ++i) {
    const Hostile& value = corpus()[i];
    BOOST_TEST_CONTEXT("value " << value.name) {
      ++tally.tried;
      const long long notes = h.count("SELECT COUNT(*) FROM notes");
      h.crm() << "UPDATE leads SET title = NULL WHERE id = :id", soci::use(kLead);
      h.drain();
      std::string refusal;
      if (!write(h.crm(), "leads", kLead, {{"description", value.bytes}}, &refusal)) {
        ++tally.refused_by_db;
        BOOST_TEST_MESSAGE(value.name << ": MariaDB refused the write: " << refusal);
        BOOST_TEST(!valid_utf8(value.bytes), "only invalid UTF-8 is refused: " << refusal);
        continue;
      }
      const auto stored = read(h.db(), "SELECT description FROM leads WHERE id = :id", kLead);
      BOOST_TEST_REQUIRE(stored.has_value());
      BOOST_TEST((*stored == value.bytes), "MariaDB stored other bytes");
      // The event the capture trigger wrote, before the engine takes it: its new image holds
      // the value as a JSON string of exactly the stored bytes.
      const auto image = read(h.db(),
                              "SELECT new_image FROM crmflow_event WHERE record_id = :id ORDER BY "
                              "id DESC LIMIT 1",
                              kLead);
      BOOST_TEST_REQUIRE(image.has_value(), "the save was captured");
      const Json event = Json::parse(*image, nullptr, false);
      BOOST_TEST((!event.is_discarded() && event.value("description", Json()) == Json(*stored)),
                 "the captured image holds the stored bytes");
      h.drain();
      const auto note = read(h.db(),
                             "SELECT description FROM notes WHERE name = CONCAT('copy of ', :id) "
                             "ORDER BY date_entered DESC, id LIMIT 1",
                             kLead);
      BOOST_TEST(h.count("SELECT COUNT(*) FROM notes") == notes + 1, "one note per save");
      BOOST_TEST((note == stored), "the note's description is the stored bytes exactly");
      BOOST_TEST(read(h.db(), "SELECT IFNULL(title, '(none)') FROM leads WHERE id = :id", kLead)
                         .value_or("(no lead)") == fmt::format("matched {}", i),
                 "the value's own conditions, and only they, held");
      if (note == stored) ++tally.verbatim;
      h.crm() << "DELETE FROM notes WHERE name = CONCAT('copy of ', :id)", soci::use(kLead);
    }
  }
  BOOST_TEST(h.count("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '" +
                     schema + "' AND table_name = 'leads'") == 1,
             "the leads table still exists");
  BOOST_TEST((checksums(h.db(), schema, {"leads", "notes"}) == tables_before),
             "no other table changed");
  BOOST_TEST(other_rows(h.db(), schema, "leads", kLead) == leads_before, "no other lead changed");
  BOOST_TEST(other_rows(h.db(), schema, "notes", "(none)") == notes_before,
             "no other note changed");
  BOOST_TEST((lead_rest() == rest_before), "the lead's other fields are as they were");
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_run WHERE error IS NOT NULL") == 0,
             "no run failed");
}

// send_email: the case's name goes into the subject and the HTML body, its description into the
// plain text. A line break or NUL bound for the subject is refused naming the subject, and then
// nothing is sent; otherwise the subject and the plain text arrive verbatim and the HTML body
// has & < > " ' escaped.
BOOST_AUTO_TEST_CASE(send_email_refuses_header_breaks_and_escapes_html) {
  const int port = smtp_port();
  PluginRegistry& mailing = mail_plugins();
  const std::string workflow = R"({"id": "mail", "module": "Cases", "trigger": "saved",
      "actions": [{"plugin": "send_email", "params": {"to": ["inbox@demo.example"],
        "subject": "Case {{record.name}}", "text": "Text {{record.description}}",
        "html": "<p>{{record.name}}</p>"}}]})";
  Harness h("Cases", {"cases.description", "emails.description"}, {workflow}, mailing);
  const std::filesystem::path mail = h.dir / "mail";
  std::filesystem::create_directories(mail);
  testing::PeerProcess sink(
      {"/usr/bin/python3", (testing::source_dir() / "tests/scripts/smtp_sink.py").string(),
       "--port", std::to_string(port), "--dir", mail.string()},
      mail / "ready");
  const auto tables_before = checksums(h.db(), h.name(), {"cases", "emails"});

  Tally tally{"send_email"};
  int sent = 0;
  for (const Hostile& value : corpus()) {
    BOOST_TEST_CONTEXT("value " << value.name) {
      ++tally.tried;
      const long long jobs_before = h.count("SELECT COUNT(*) FROM crmflow_job");
      const std::string name = case_name(value);
      if (!save_case(h, value, tally)) continue;
      h.drain();
      BOOST_TEST_REQUIRE(h.count("SELECT COUNT(*) FROM crmflow_job") > jobs_before);
      h.run_jobs();
      if (has_break(name)) {
        BOOST_TEST(h.job("state") == "dead");
        const std::string error = h.job("last_error");
        BOOST_TEST(error.find("subject") != std::string::npos, error);
        BOOST_TEST(std::filesystem::exists(mail / (std::to_string(sent + 1) + ".json")) == false,
                   "nothing sent");
        if (error.find("subject") != std::string::npos) ++tally.refused_named;
        continue;
      }
      BOOST_TEST(h.job("state") == "done", h.job("last_error"));
      ++sent;
      const auto decoded_file = mail / (std::to_string(sent) + ".json");
      BOOST_TEST_REQUIRE(std::filesystem::exists(decoded_file));
      const Json got = Json::parse(read_file(decoded_file));
      BOOST_TEST(got["subject"].get<std::string>() == "Case " + name);
      std::string text = got["text"].get<std::string>();
      for (size_t at = text.find("\r\n"); at != std::string::npos; at = text.find("\r\n", at)) {
        text.erase(at, 1);
      }
      if (!text.empty() && text.back() == '\n' && value.bytes.back() != '\n') text.pop_back();
      std::string expected_text = "Text " + value.bytes;
      for (size_t at = expected_text.find("\r\n"); at != std::string::npos;
           at = expected_text.find("\r\n", at)) {
        expected_text.erase(at, 1);
      }
      BOOST_TEST((text == expected_text), "the plain text is verbatim (line ends as LF)");
      std::string html = got["html"].get<std::string>();
      while (!html.empty() && (html.back() == '\n' || html.back() == '\r')) html.pop_back();
      BOOST_TEST(html == "<p>" + html_escaped(name) + "</p>");
      BOOST_TEST(got["rcpt_tos"] == Json::array({"inbox@demo.example"}), "no added recipient");
      BOOST_TEST(!got["headers"].contains("Bcc"));
      if (html_escaped(name) != name) {
        ++tally.escaped;
      } else {
        ++tally.verbatim;
      }
    }
  }
  BOOST_TEST(h.count("SELECT COUNT(*) FROM emails WHERE message_id LIKE '%@crmflow>'") == sent);
  BOOST_TEST((checksums(h.db(), h.name(), {"cases", "emails"}) == tables_before));
}

// Recipients: a line break or NUL in an address, from a template or from a related record's
// field, is refused naming the recipient (to[0]) and no message is sent.
BOOST_AUTO_TEST_CASE(send_email_refuses_header_breaks_in_addresses) {
  const std::string contact = "con00002-0000-4000-8000-000000000000";  // the case's contact
  Tally tally{"send_email recipients"};
  for (const std::string& to : {std::string(R"(["{{record.name}}"])"),
                                std::string(R"([{"relation": "contact", "field": "email1"}])")}) {
    Harness h("Cases", {},
              {R"({"id": "mail", "module": "Cases", "trigger": "saved", "actions": [{"plugin":
                  "send_email", "params": {"to": )" +
               to + R"(, "subject": "Hi", "text": "Hello"}}]})"},
              mail_plugins());
    const std::filesystem::path mail = h.dir / "mail";
    std::filesystem::create_directories(mail);
    testing::PeerProcess sink(
        {"/usr/bin/python3", (testing::source_dir() / "tests/scripts/smtp_sink.py").string(),
         "--port", std::to_string(smtp_port()), "--dir", mail.string()},
        mail / "ready");
    for (const Hostile& value : corpus()) {
      // Only the values with a break that an address column (varchar 100) holds.
      if (!has_break(value.bytes) || value.bytes.size() > 80) continue;
      BOOST_TEST_CONTEXT("recipients " << to << ", value " << value.name) {
        ++tally.tried;
        const std::string address = value.bytes + "@demo.example";
        std::string refusal;
        const bool written =
            to.find("relation") == std::string::npos
                ? write(h.crm(), "cases", kCase, {{"name", address}}, &refusal)
                : write(h.crm(), "contacts", contact, {{"email1", address}}, &refusal) &&
                      write(h.crm(), "cases", kCase, {{"name", "ask " + value.name}}, &refusal);
        BOOST_TEST_REQUIRE(written, refusal);
        h.drain();
        h.run_jobs();
        BOOST_TEST(h.job("state") == "dead");
        const std::string error = h.job("last_error");
        BOOST_TEST(error.find("to[0]: ") != std::string::npos, error);
        // The message itself stays one printable line: a NUL would cut it short.
        const bool printable = std::ranges::none_of(
            error, [](const char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; });
        BOOST_TEST(printable, error);
        BOOST_TEST((error.ends_with("refused in a header") ||
                    error.ends_with("a line break is refused in a recipient") ||
                    error.ends_with("holds a space or control character")),
                   error);
        if (error.find("to[0]: ") != std::string::npos) ++tally.refused_named;
      }
    }
    size_t sent = 0;
    for (const auto& entry : std::filesystem::directory_iterator(mail)) {
      sent += entry.path().extension() == ".eml";
    }
    BOOST_TEST(sent == 0u, "no message was sent");
    BOOST_TEST(!std::filesystem::exists(mail / "refused"), "not even a RCPT reached the sink");
  }
}

// call_remote_api: the name goes into the URL's path and query, a header, and the JSON body
// (with the description). Path and query values are percent-encoded, body values JSON-escaped,
// and a line break or NUL bound for a header is refused naming the header, with no request.
BOOST_AUTO_TEST_CASE(call_remote_api_encodes_each_place_and_refuses_header_breaks) {
  // Removed however the test ends, after the peer (declared later) has stopped.
  struct ScratchDir {
    std::filesystem::path path = std::filesystem::temp_directory_path() /
                                 ("crmflow_injection_peer_" + std::to_string(::getpid()));
    ScratchDir() {
      std::filesystem::remove_all(path);
      std::filesystem::create_directories(path);
    }
    ~ScratchDir() { std::filesystem::remove_all(path); }
  } scratch;
  const std::filesystem::path& peer_dir = scratch.path;
  testing::PeerProcess peer(
      {"/usr/bin/python3", (testing::source_dir() / "tests/scripts/http_peer.py").string(), "--log",
       (peer_dir / "requests.jsonl").string(), "--port-file", (peer_dir / "port").string(),
       "--plan", "200"},
      peer_dir / "port");
  const std::string base = "http://127.0.0.1:" + peer.ready_text();
  const std::string workflow =
      Json{{"id", "call"},
           {"module", "Cases"},
           {"trigger", "saved"},
           {"actions",
            Json::array(
                {{{"plugin", "call_remote_api"},
                  {"params",
                   {{"url", base + "/cases/{{record.name}}?q={{record.name}}"},
                    {"headers", {{"X-Case", "{{record.name}}"}}},
                    {"body",
                     {{"name", "{{record.name}}"}, {"text", "{{record.description}}"}}}}}}})}}
          .dump();
  Harness h("Cases", {"cases.description"}, {workflow}, plugins());
  const auto requests = [&] {
    std::vector<Json> out;
    std::ifstream in(peer_dir / "requests.jsonl");
    for (std::string line; std::getline(in, line);) out.push_back(Json::parse(line));
    return out;
  };

  Tally tally{"call_remote_api"};
  for (const Hostile& value : corpus()) {
    BOOST_TEST_CONTEXT("value " << value.name) {
      ++tally.tried;
      const size_t before = requests().size();
      const std::string name = case_name(value);
      if (!save_case(h, value, tally)) continue;
      h.drain();
      h.run_jobs();
      if (has_break(name)) {
        BOOST_TEST(h.job("state") == "dead");
        const std::string error = h.job("last_error");
        BOOST_TEST(error.find("X-Case") != std::string::npos, error);
        BOOST_TEST(requests().size() == before, "no request was sent");
        if (error.find("X-Case") != std::string::npos) ++tally.refused_named;
        continue;
      }
      BOOST_TEST(h.job("state") == "done", h.job("last_error"));
      const auto all = requests();
      BOOST_TEST_REQUIRE(all.size() == before + 1);
      const Json& request = all.back();
      BOOST_TEST(request["path"].get<std::string>() ==
                 "/cases/" + percent_encoded(name) + "?q=" + percent_encoded(name));
      std::optional<std::string> header;
      for (const Json& pair : request["headers"]) {
        if (pair[0].get<std::string>() == "X-Case") header = pair[1].get<std::string>();
      }
      // http.server reads header bytes as Latin-1: back to bytes to compare.
      const std::string header_bytes = header ? latin1_bytes(*header) : "(no header)";
      BOOST_TEST((header_bytes == name), "the header value is the name, on its one line");
      const Json body = Json::parse(request["body"].get<std::string>(), nullptr, false);
      BOOST_TEST_REQUIRE(!body.is_discarded());
      BOOST_TEST((body == Json{{"name", name}, {"text", value.bytes}}),
                 "the body's values are JSON strings holding the bytes");
      ++tally.escaped;
    }
  }
}
