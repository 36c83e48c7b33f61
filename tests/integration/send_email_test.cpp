// The send_email action against a real SMTP server on loopback (tests/scripts/smtp_sink.py,
// aiosmtpd) and the demo 1CRM database: a saved case mails its contact through the job runner.
// What a recipient sees is read back through Python's email package (the sink's <n>.json),
// an implementation independent of the plugin's encoders.
#define BOOST_TEST_MODULE send_email_test
#include <netinet/in.h>
#include <signal.h>
#include <soci/soci.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "crmflow/host/capture.hpp"
#include "crmflow/host/engine.hpp"
#include "crmflow/host/host_clock.hpp"
#include "crmflow/host/jobs.hpp"
#include "crmflow/host/workflow.hpp"
#include "db_fixture.hpp"

using namespace crmflow;
using namespace std::chrono_literals;

namespace {

const std::string kCase = "cas00001-0000-4000-8000-000000000000";
const std::string kContact = "con00002-0000-4000-8000-000000000000";  // the case's contact
const std::string kMaria = "usr00002-0000-4000-8000-000000000000";
const std::string kLastName = "O'Brien & Söhne";

// A port nothing listens on now, for the whole process: the plugin's settings are fixed
// when the registry loads it, and each test starts (or does not start) its own sink there.
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  BOOST_REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  socklen_t length = sizeof address;
  BOOST_REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  ::close(fd);
  return ntohs(address.sin_port);
}

int smtp_port() {
  static const int port = free_port();
  return port;
}

PluginRegistry& plugins() {
  static PluginRegistry registry;
  if (registry.components().empty()) {
    const nlohmann::json settings = {
        {"smtp_url", "smtp://127.0.0.1:" + std::to_string(smtp_port())},
        {"from", "crm@demo.example"},
        {"from_name", "Démo CRM"},
        {"starttls", "off"},
        {"timeout_seconds", 5},
        {"connect_timeout_seconds", 2}};
    for (const char* name : {"compare", "changes", "create_record", "update_record"}) {
      const auto problems =
          registry.load(std::filesystem::path(CRMFLOW_PLUGIN_DIR) / (std::string(name) + ".so"));
      if (!problems.empty()) throw std::runtime_error(problems.front());
    }
    const auto problems = registry.load(std::filesystem::path(CRMFLOW_PLUGIN_DIR) / "send_email.so",
                                        {}, settings.dump());
    if (!problems.empty()) throw std::runtime_error(problems.front());
  }
  return registry;
}

// The SMTP sink as a child process, stopped (SIGTERM, then SIGKILL) when destroyed.
class SmtpSink {
 public:
  SmtpSink(const std::filesystem::path& dir, std::vector<std::string> extra = {}) {
    std::filesystem::remove(dir / "ready");
    std::vector<std::string> args = {
        "/usr/bin/python3",
        (testing::source_dir() / "tests/scripts/smtp_sink.py").string(),
        "--port",
        std::to_string(smtp_port()),
        "--dir",
        dir.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    pid_ = ::fork();
    BOOST_REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (std::string& arg : args) argv.push_back(arg.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    for (int i = 0; i < 100 && !std::filesystem::exists(dir / "ready"); ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        BOOST_FAIL("the SMTP sink exited at start (is python3-aiosmtpd installed?)");
      }
      std::this_thread::sleep_for(100ms);
    }
    BOOST_REQUIRE_MESSAGE(std::filesystem::exists(dir / "ready"),
                          "the SMTP sink did not start within 10 s");
  }
  ~SmtpSink() { stop(); }
  SmtpSink(const SmtpSink&) = delete;
  SmtpSink& operator=(const SmtpSink&) = delete;

  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 50; ++i) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(100ms);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
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

  explicit Harness(const std::string& params) {
    BOOST_REQUIRE(configure_clock("UTC", std::chrono::seconds(0)).has_value());
    std::filesystem::create_directories(dir / "workflows");
    std::filesystem::create_directories(mail);
    std::ofstream(dir / "workflows/mail.json")
        << R"({"id": "case-mail", "module": "Cases", "trigger": "saved",
               "run_as": "triggering_user",
               "actions": [{"plugin": "send_email", "params": )"
        << params << "}]}";
    auto loaded = load_workflows(dir / "workflows", plugins(), &map());
    if (!loaded) throw std::runtime_error(loaded.error().front());
    workflows = std::move(*loaded);
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
    for (int i = 0; i < 100; ++i) {
      engine->step();
      if (count("SELECT COUNT(*) FROM crmflow_event") == 0) {
        BOOST_REQUIRE(count("SELECT COUNT(*) FROM crmflow_job WHERE state = 'pending'") == 1);
        return;
      }
    }
    BOOST_FAIL("the event queue did not drain");
  }

  // Steps the job runner until the job leaves 'pending' (backoff included), at most 10 s.
  void run_job_to_end() {
    for (int i = 0; i < 100 && job("state") == "pending"; ++i) {
      jobs->step();
      if (job("state") == "pending") std::this_thread::sleep_for(100ms);
    }
  }

  long long count(const std::string& sql) {
    long long n = 0;
    db() << sql, soci::into(n);
    return n;
  }

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
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "mail.json")
        << R"({"id": "m", "module": "Cases", "trigger": "saved", "actions": [{"plugin":
              "send_email", "params": {"subject": "s", "text": "t", "to": [")"
        << to << R"("]}}]})";
    auto workflows = load_workflows(dir, plugins(), nullptr);
    std::filesystem::remove_all(dir);
    return workflows ? std::string() : workflows.error().front();
  };
  BOOST_TEST(loaded("ok@example.com") == "");
  const std::string error = loaded("two@at@example.com");
  BOOST_TEST(error.find("to[0]") != std::string::npos, error);
  BOOST_TEST(error.find("not an email address") != std::string::npos, error);
}
