// The send_email action against a real SMTP server on loopback (tests/scripts/smtp_sink.py,
// aiosmtpd) and the demo 1CRM database: a saved case mails its contact through the job runner.
// What a recipient sees is read back through Python's email package (the sink's <n>.json),
// an implementation independent of the plugin's encoders. STARTTLS and AUTH run against the
// same sink with a certificate made for the test run.
#define BOOST_TEST_MODULE send_email_test
#include <soci/soci.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
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

namespace {

const std::string kCase = "cas00001-0000-4000-8000-000000000000";
const std::string kContact = "con00002-0000-4000-8000-000000000000";  // the case's contact
const std::string kMaria = "usr00002-0000-4000-8000-000000000000";
const std::string kLastName = "O'Brien & Söhne";

// A port nothing listens on now, for the whole process: the plugin's settings are fixed
// when the registry loads it, and each test starts (or does not start) its own sink there.
int smtp_port() {
  static const int port = testing::free_port();
  return port;
}

// The host's settings for send_email: the sink on smtp_port(), in clear, no AUTH.
nlohmann::json clear_settings() {
  return {{"smtp_url", "smtp://127.0.0.1:" + std::to_string(smtp_port())},
          {"from", "crm@demo.example"},
          {"from_name", "Démo CRM"},
          {"starttls", "off"},
          {"timeout_seconds", 5},
          {"connect_timeout_seconds", 2}};
}

PluginRegistry& plugins(const nlohmann::json& settings = clear_settings()) {
  return testing::build_plugins({"compare", "changes", "create_record", "update_record"},
                                "send_email", settings.dump());
}

// A self-signed certificate for 127.0.0.1 (subjectAltName IP, which libcurl checks), made
// once per test run by the openssl CLI and removed at exit.
struct TestCertificate {
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("crmflow_send_email_tls_" + std::to_string(::getpid()));
  std::filesystem::path cert = dir / "cert.pem";
  std::filesystem::path key = dir / "key.pem";

  TestCertificate() {
    std::filesystem::create_directories(dir);
    const std::string command =
        "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 "
        "-addext subjectAltName=IP:127.0.0.1 -days 1 -keyout '" +
        key.string() + "' -out '" + cert.string() + "' 2>/dev/null";
    if (std::system(command.c_str()) != 0 || !std::filesystem::exists(cert)) {
      throw std::runtime_error("openssl could not make a test certificate: " + command);
    }
  }
  ~TestCertificate() { std::filesystem::remove_all(dir); }
};

const TestCertificate& certificate() {
  static const TestCertificate made;
  return made;
}

const std::string kSmtpUser = "crm-mailer";
const std::string kSmtpPassword = "Right-Pass-0815";
const char* const kPasswordEnv = "CRMFLOW_TEST_SMTP_PASSWORD";

// STARTTLS required, AUTH as kSmtpUser with the password from kPasswordEnv, and the test
// certificate trusted.
nlohmann::json tls_settings() {
  nlohmann::json settings = clear_settings();
  settings["starttls"] = "require";
  settings["username"] = kSmtpUser;
  settings["password_env"] = kPasswordEnv;
  settings["ca_file"] = certificate().cert.string();
  return settings;
}

// The SMTP sink (smtp_sink.py) on smtp_port(), writing to `dir`, with `extra` options.
struct SmtpSink : testing::PeerProcess {
  explicit SmtpSink(const std::filesystem::path& dir, const std::vector<std::string>& extra = {})
      : PeerProcess(arguments(dir, extra), dir / "ready") {}

  static std::vector<std::string> arguments(const std::filesystem::path& dir,
                                            const std::vector<std::string>& extra) {
    std::vector<std::string> args = {
        "/usr/bin/python3",
        (testing::source_dir() / "tests/scripts/smtp_sink.py").string(),
        "--port",
        std::to_string(smtp_port()),
        "--dir",
        dir.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
};

// Everything the host logs while it lives, at every level; the previous logger after.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto logger = std::make_shared<spdlog::logger>(
        "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(text_));
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  std::string text() const { return text_.str(); }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream text_;
};

// A decoded body part with LF line ends (Python keeps what the wire had, CRLF).
std::string lines(const nlohmann::json& part) {
  std::string text = part.get<std::string>();
  for (size_t at = text.find("\r\n"); at != std::string::npos; at = text.find("\r\n", at)) {
    text.erase(at, 1);
  }
  return text;
}

std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A fresh demo database with capture on Cases, the workflow, an engine, a job runner
// (backoff of at most 1 s, three attempts) and an empty mail directory.
struct Harness : testing::DbFixture {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("crmflow_send_email_test_" + name());
  std::filesystem::path mail = dir / "mail";
  std::vector<Workflow> workflows;
  std::unique_ptr<Engine> engine;
  std::unique_ptr<JobRunner> jobs;

  explicit Harness(const std::string& params, const nlohmann::json& settings = clear_settings()) {
    BOOST_REQUIRE(configure_clock("UTC", std::chrono::seconds(0)).has_value());
    std::filesystem::create_directories(mail);
    workflows =
        testing::load_workflow_texts(dir / "workflows",
                                     {R"({"id": "case-mail", "module": "Cases", "trigger": "saved",
             "run_as": "triggering_user",
             "actions": [{"plugin": "send_email", "params": )" +
                                      params + "}]}"},
                                     plugins(settings), &map());
    const auto installed = install_capture(db(), *map().find("Cases"));
    if (!installed) throw std::runtime_error(installed.error());
    EngineOptions options;
    options.owner = "send_email_test";
    engine = std::make_unique<Engine>(db(), map(), workflows, options);
    JobOptions job_options;
    job_options.owner = "send_email_test";
    job_options.max_attempts = 3;
    job_options.backoff_cap = std::chrono::seconds(1);
    jobs = std::make_unique<JobRunner>(db(), map(), workflows, job_options);
    db() << "UPDATE contacts SET last_name = :n WHERE id = :id", soci::use(kLastName),
        soci::use(kContact);
  }
  ~Harness() { std::filesystem::remove_all(dir); }

  // Maria saves the case under a new name; the event's job is scheduled once drained.
  void save_case(const std::string& case_name) {
    db() << "UPDATE cases SET name = :n, modified_user_id = :u WHERE id = :id",
        soci::use(case_name), soci::use(kMaria), soci::use(kCase);
    if (!testing::drain_events(*engine, db())) BOOST_FAIL("the event queue did not drain");
    BOOST_REQUIRE(count("SELECT COUNT(*) FROM crmflow_job WHERE state = 'pending'") == 1);
  }

  // Steps the job runner until the job leaves 'pending' (backoff included), at most 10 s.
  void run_job_to_end() {
    for (int i = 0; i < 100 && job("state") == "pending"; ++i) {
      jobs->step();
      if (job("state") == "pending") std::this_thread::sleep_for(100ms);
    }
  }

  long long count(const std::string& sql) { return testing::query_count(db(), sql); }

  // A column of the one job, as text ('' for NULL).
  std::string job(const std::string& column) {
    std::string value;
    soci::indicator ind = soci::i_ok;
    db() << "SELECT CAST(" + column + " AS CHAR) FROM crmflow_job", soci::into(value, ind);
    return ind == soci::i_ok ? value : std::string();
  }

  size_t messages() const {
    size_t n = 0;
    for (const auto& entry : std::filesystem::directory_iterator(mail)) {
      n += entry.path().extension() == ".eml";
    }
    return n;
  }

  nlohmann::json decoded(int n) const {
    return nlohmann::json::parse(read_file(mail / (std::to_string(n) + ".json")));
  }

  // The sink's record of AUTH attempts, one object per attempt.
  std::vector<nlohmann::json> auth_attempts() const {
    std::vector<nlohmann::json> out;
    std::ifstream in(mail / "auth.jsonl");
    for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
    return out;
  }
};

const std::string kGreeting = R"({
  "to": [{"relation": "contact", "field": "email1"}, "{{user.email1}}"],
  "cc": ["{{account.email1}}", "audit@demo.example"],
  "subject": "Grüße: {{record.name}} für {{contact.last_name}}, bitte prüfen Sie die Angaben",
  "text": "Dear {{contact.last_name}},\nyour case {{record.name}} for {{account.name}}.\n.{{record.name}}: a line longer than 76 characters, which quoted-printable breaks softly — äöü\n{{user.full_name}}",
  "html": "<p>Dear {{contact.last_name}},</p><p>{{record.name}}</p>"})";

}  // namespace

BOOST_AUTO_TEST_CASE(placeholders_render_and_a_unicode_subject_is_encoded) {
  Harness h(kGreeting);
  SmtpSink sink(h.mail);
  h.save_case("Login fails");
  BOOST_TEST(h.jobs->step() == 1u);
  BOOST_TEST(h.job("state") == "done", h.job("last_error"));
  BOOST_REQUIRE(h.messages() == 1u);

  const nlohmann::json mail = h.decoded(1);
  BOOST_TEST(mail["subject"].get<std::string>() ==
                 "Grüße: Login fails für O'Brien & Söhne, bitte prüfen Sie die Angaben",
             "the subject decodes back, the apostrophe as written");
  const std::string raw = read_file(h.mail / "1.eml");
  BOOST_TEST(raw.find("\r\nSubject: =?UTF-8?B?") != std::string::npos,
             "the subject travels RFC 2047 encoded");
  BOOST_TEST(raw.find("?=\r\n =?UTF-8?B?") != std::string::npos,
             "a long subject is several encoded words on folded lines");
  BOOST_TEST(raw.find("=\r\n") != std::string::npos, "a long body line has a soft line break");
  BOOST_TEST(raw.find("\r\n=2ELogin fails") != std::string::npos, "a leading dot is encoded");
  BOOST_TEST(raw.find("Grüße") == std::string::npos, "no raw UTF-8 in the headers or bodies");
  BOOST_TEST(mail["defects"].empty(), mail["defects"].dump());
  BOOST_TEST(mail["content_type"].get<std::string>() == "multipart/alternative");
  BOOST_TEST(lines(mail["text"]) ==
             "Dear O'Brien & Söhne,\nyour case Login fails for Alpenblick Software GmbH.\n"
             ".Login fails: a line longer than 76 characters, which quoted-printable breaks softly "
             "— äöü\nMaria Huber");
  BOOST_TEST(lines(mail["html"]) == "<p>Dear O&#39;Brien &amp; Söhne,</p><p>Login fails</p>");

  const std::set<std::string> envelope(mail["rcpt_tos"].begin(), mail["rcpt_tos"].end());
  BOOST_TEST((envelope ==
              std::set<std::string>{"julia@berger-beratung.example", "maria.huber@demo.example",
                                    "office@alpenblick.example", "audit@demo.example"}));
  BOOST_TEST(mail["mail_from"].get<std::string>() == "crm@demo.example");
  const nlohmann::json& headers = mail["headers"];
  BOOST_TEST(headers["From"].get<std::string>() == "Démo CRM <crm@demo.example>");
  BOOST_TEST(headers["To"].get<std::string>() ==
             "julia@berger-beratung.example, maria.huber@demo.example");
  BOOST_TEST(headers["Cc"].get<std::string>() == "office@alpenblick.example, audit@demo.example");
  BOOST_TEST(headers["Message-ID"].get<std::string>() ==
             "<" + h.job("idempotency_key") + "@crmflow>");
  BOOST_TEST(headers.contains("Date"));
  BOOST_TEST(headers["MIME-Version"].get<std::string>() == "1.0");

  BOOST_TEST(
      h.count(
          "SELECT COUNT(*) FROM emails WHERE parent_type = 'Cases' AND parent_id = '" + kCase +
          "' AND name = 'Grüße: Login fails für O''Brien & Söhne, bitte prüfen Sie die Angaben' "
          "AND status = 'sent' "
          "AND type = 'out' AND from_addr = 'crm@demo.example' AND to_addrs = "
          "'julia@berger-beratung.example, maria.huber@demo.example' AND "
          "description LIKE 'Dear O''Brien & Söhne,%' AND date_sent IS NOT NULL AND "
          "assigned_user_id = '" +
          kMaria + "'") == 1,
      "the Emails record, filed on the case as Maria");
}

BOOST_AUTO_TEST_CASE(a_server_that_is_down_is_retried_then_the_mail_goes_out_once) {
  Harness h(kGreeting);
  h.save_case("Login fails");
  BOOST_TEST(h.jobs->step() == 1u);
  BOOST_TEST(h.job("state") == "pending", "retried later: the server is down");
  BOOST_TEST(h.job("attempts") == "1");
  BOOST_TEST(h.job("last_error").find("SMTP smtp://127.0.0.1:" + std::to_string(smtp_port())) !=
                 std::string::npos,
             h.job("last_error"));
  BOOST_TEST(h.count("SELECT COUNT(*) FROM emails WHERE parent_id = '" + kCase + "'") == 0);

  SmtpSink sink(h.mail);
  h.run_job_to_end();
  BOOST_TEST(h.job("state") == "done", h.job("last_error"));
  BOOST_TEST(h.job("attempts") == "2");
  BOOST_TEST(h.jobs->step() == 0u, "a done job does not run again");
  BOOST_TEST(h.messages() == 1u, "delivered exactly once");
  const std::string message_id = "<" + h.job("idempotency_key") + "@crmflow>";
  BOOST_TEST(h.decoded(1)["headers"]["Message-ID"].get<std::string>() == message_id);
  BOOST_TEST(h.count("SELECT COUNT(*) FROM emails WHERE parent_type = 'Cases' AND parent_id = '" +
                     kCase + "' AND message_id = '" + message_id + "'") == 1);
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_run WHERE outcome = 'failed'") == 1);
}

BOOST_AUTO_TEST_CASE(a_temporary_refusal_is_retried_with_the_same_message_id) {
  Harness h(kGreeting);
  SmtpSink sink(h.mail, {"--fail-code", "451", "--fail-count", "1"});
  h.save_case("Login fails");
  BOOST_TEST(h.jobs->step() == 1u);
  BOOST_TEST(h.job("state") == "pending");
  BOOST_TEST(h.job("last_error").find("RCPT failed: 451 (server: 451 4.3.0 try again later)") !=
                 std::string::npos,
             h.job("last_error"));
  h.run_job_to_end();
  BOOST_TEST(h.job("state") == "done", h.job("last_error"));
  BOOST_TEST(h.messages() == 1u);
  BOOST_TEST(read_file(h.mail / "refused") == "1");
}

BOOST_AUTO_TEST_CASE(a_permanent_refusal_makes_the_job_dead_at_once) {
  Harness h(kGreeting);
  SmtpSink sink(h.mail, {"--fail-code", "550", "--fail-count", "-1"});
  h.save_case("Login fails");
  BOOST_TEST(h.jobs->step() == 1u);
  BOOST_TEST(h.job("state") == "dead");
  BOOST_TEST(h.job("attempts") == "1", "dead at the first attempt, not retried");
  BOOST_TEST(h.job("last_error").find("RCPT failed: 550") != std::string::npos,
             h.job("last_error"));
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_job WHERE state = 'dead'") == 1);
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_run WHERE outcome = 'dead' AND error LIKE "
                     "'%550%'") == 1);
  BOOST_TEST(h.messages() == 0u);
  BOOST_TEST(h.count("SELECT COUNT(*) FROM emails WHERE parent_id = '" + kCase + "'") == 0);
}

BOOST_AUTO_TEST_CASE(a_line_break_in_the_subject_is_refused_and_nothing_is_sent) {
  Harness h(kGreeting);
  SmtpSink sink(h.mail);
  h.save_case("Hello\r\nBcc: evil@x.example");
  BOOST_TEST(h.jobs->step() == 1u);
  BOOST_TEST(h.job("state") == "dead");
  const std::string error = h.job("last_error");
  BOOST_TEST(error.find("subject: ") != std::string::npos, error);
  BOOST_TEST(error.find("line break") != std::string::npos, error);
  BOOST_TEST(h.messages() == 0u);
  BOOST_TEST(!std::filesystem::exists(h.mail / "refused"), "not even a RCPT reached the server");
  BOOST_TEST(h.count("SELECT COUNT(*) FROM emails WHERE message_id LIKE '%@crmflow>'") == 0);
}

BOOST_AUTO_TEST_CASE(no_recipient_after_rendering_is_a_permanent_failure) {
  Harness h(R"({"to": ["{{contact.email1}}"], "subject": "Hi", "text": "Hello"})");
  SmtpSink sink(h.mail);
  h.db() << "UPDATE contacts SET email1 = NULL WHERE id = :id", soci::use(kContact);
  h.save_case("Login fails");
  BOOST_TEST(h.jobs->step() == 1u);
  BOOST_TEST(h.job("state") == "dead");
  BOOST_TEST(h.job("last_error").find("no recipient") != std::string::npos, h.job("last_error"));
  BOOST_TEST(h.messages() == 0u);
}

BOOST_AUTO_TEST_CASE(a_bad_fixed_address_is_refused_when_the_workflow_loads) {
  const auto loaded = [](const std::string& to) {
    const auto dir = std::filesystem::temp_directory_path() / "crmflow_send_email_test_load";
    std::string problem;
    try {
      (void)testing::load_workflow_texts(
          dir,
          {R"({"id": "m", "module": "Cases", "trigger": "saved", "actions": [{"plugin":
              "send_email", "params": {"subject": "s", "text": "t", "to": [")" +
           to + R"("]}}]})"},
          plugins(), nullptr);
    } catch (const std::runtime_error& e) {
      problem = e.what();
    }
    std::filesystem::remove_all(dir);
    return problem;
  };
  BOOST_TEST(loaded("ok@example.com") == "");
  const std::string error = loaded("two@at@example.com");
  BOOST_TEST(error.find("to[0]") != std::string::npos, error);
  BOOST_TEST(error.find("not an email address") != std::string::npos, error);
}

// The sink wants STARTTLS before anything else and AUTH before MAIL; the plugin trusts the
// test certificate through ca_file (self-signed, so without it the handshake fails).
BOOST_AUTO_TEST_CASE(starttls_and_auth_with_the_password_from_the_environment_deliver) {
  Harness h(kGreeting, tls_settings());
  ::setenv(kPasswordEnv, kSmtpPassword.c_str(), 1);
  SmtpSink sink(h.mail, {"--starttls", certificate().cert.string(), certificate().key.string(),
                         "--auth", kSmtpUser + ":" + kSmtpPassword});
  h.save_case("Login fails");
  BOOST_TEST(h.jobs->step() == 1u);
  BOOST_TEST(h.job("state") == "done", h.job("last_error"));
  BOOST_REQUIRE(h.messages() == 1u);
  const nlohmann::json mail = h.decoded(1);
  BOOST_TEST(mail["tls"].get<bool>(), "the message came over TLS");
  BOOST_TEST(mail["auth_login"] == kSmtpUser, mail["auth_login"].dump());
  const auto attempts = h.auth_attempts();
  BOOST_REQUIRE(attempts.size() == 1u);
  BOOST_TEST(attempts[0]["accepted"].get<bool>());
  BOOST_TEST(attempts[0]["tls"].get<bool>(), "the credentials went over TLS only");
}

// 535 (RFC 4954: credentials invalid) is classified permanent: every retry would send the
// same password, and repeated failed logins get accounts locked and hosts banned.
BOOST_AUTO_TEST_CASE(a_wrong_password_is_dead_at_once_and_never_shown) {
  const std::string wrong = "Wrong-Pass-4711";
  Harness h(kGreeting, tls_settings());
  ::setenv(kPasswordEnv, wrong.c_str(), 1);
  SmtpSink sink(h.mail, {"--starttls", certificate().cert.string(), certificate().key.string(),
                         "--auth", kSmtpUser + ":" + kSmtpPassword});
  h.save_case("Login fails");
  std::string log;
  {
    LogCapture capture;
    BOOST_TEST(h.jobs->step() == 1u);
    log = capture.text();
  }
  BOOST_TEST(h.job("state") == "dead");
  BOOST_TEST(h.job("attempts") == "1", "not retried");
  const std::string error = h.job("last_error");
  BOOST_TEST(error.find("535") != std::string::npos, error);
  BOOST_TEST(h.messages() == 0u);
  const auto attempts = h.auth_attempts();
  BOOST_TEST_REQUIRE(attempts.size() == 1u, "the wrong password was tried once");
  BOOST_TEST(!attempts[0]["accepted"].get<bool>());

  BOOST_TEST(log.find("535") != std::string::npos, "the host logged the failure: " + log);
  // AUTH PLAIN carries "\0user\0password" in base64 (curl picks PLAIN here).
  const std::string plain_b64 = "AGNybS1tYWlsZXIAV3JvbmctUGFzcy00NzEx";
  for (const std::string& secret : {wrong, plain_b64}) {
    BOOST_TEST(error.find(secret) == std::string::npos, error);
    BOOST_TEST(log.find(secret) == std::string::npos, log);
    BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_run WHERE INSTR(CONCAT_WS(' ', reason, "
                       "error), '" +
                       secret + "') > 0") == 0);
  }
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_run WHERE outcome = 'dead' AND error LIKE "
                     "'%535%'") == 1);
}

// A sink that offers no STARTTLS but would take AUTH and mail in clear: with "require" the
// plugin stops after EHLO, sends neither the password nor the message, and retries (a server
// may get its TLS back) until the job is dead.
BOOST_AUTO_TEST_CASE(required_starttls_never_falls_back_to_clear_text) {
  Harness h(kGreeting, tls_settings());
  ::setenv(kPasswordEnv, kSmtpPassword.c_str(), 1);
  SmtpSink sink(h.mail, {"--auth", kSmtpUser + ":" + kSmtpPassword, "--auth-without-tls"});
  h.save_case("Login fails");
  BOOST_TEST(h.jobs->step() == 1u);
  BOOST_TEST(h.job("state") == "pending");
  BOOST_TEST(h.job("last_error").find("STARTTLS") != std::string::npos, h.job("last_error"));
  h.run_job_to_end();
  BOOST_TEST(h.job("state") == "dead");
  BOOST_TEST(h.job("attempts") == "3");
  BOOST_TEST(std::stoi(read_file(h.mail / "greetings")) >= 3, "each attempt reached the sink");
  BOOST_TEST(h.auth_attempts().empty(), "no credentials in clear");
  BOOST_TEST(h.messages() == 0u, "no message in clear");
}

BOOST_AUTO_TEST_CASE(an_unreadable_ca_file_is_refused_when_the_workflow_loads) {
  nlohmann::json settings = tls_settings();
  settings["ca_file"] = "/nonexistent/crmflow-ca.pem";
  const auto dir = std::filesystem::temp_directory_path() / "crmflow_send_email_test_ca_file";
  std::string problem;
  try {
    (void)testing::load_workflow_texts(
        dir, {R"({"id": "m", "module": "Cases", "trigger": "saved", "actions": [{"plugin":
             "send_email", "params": {"subject": "s", "text": "t", "to": ["a@example.com"]}}]})"},
        plugins(settings), nullptr);
  } catch (const std::runtime_error& e) {
    problem = e.what();
  }
  std::filesystem::remove_all(dir);
  BOOST_TEST(
      problem.find("'ca_file' (/nonexistent/crmflow-ca.pem) cannot be read") != std::string::npos,
      problem);
}
