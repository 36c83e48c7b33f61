// The call_remote_api action against a real HTTP peer on loopback (tests/scripts/http_peer.py)
// and a fresh demo database: a case saved in the CRM schedules the request as a job; the job
// runner sends it, retries what a retry can fix and gives up at once on what it cannot.
#define BOOST_TEST_MODULE call_remote_api_test
#include <soci/soci.h>
#include <unistd.h>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "crmflow/host/capture.hpp"
#include "crmflow/host/engine.hpp"
#include "crmflow/host/host_clock.hpp"
#include "crmflow/host/jobs.hpp"
#include "crmflow/host/workflow.hpp"
#include "db_fixture.hpp"
#include "peer_process.hpp"
#include "workflow_harness.hpp"

using namespace crmflow;
using Json = nlohmann::json;

namespace {

const std::string kCase = "cas00001-0000-4000-8000-000000000000";
const std::string kToken = "s3cret-Token-4711";

// The plugins, with the call_remote_api file's settings from the host config.
PluginRegistry& plugins(const std::string& settings = "{}") {
  return testing::build_plugins({"compare", "changes", "create_record", "update_record"},
                                "call_remote_api", settings);
}

// http_peer.py on a free loopback port, answering by `plan` (see the script); stopped when
// destroyed.
class HttpPeer {
 public:
  explicit HttpPeer(const std::string& plan, const std::string& body = "{}")
      : dir_(fresh_dir()),
        process_(
            {"/usr/bin/python3", (testing::source_dir() / "tests/scripts/http_peer.py").string(),
             "--log", (dir_ / "requests.jsonl").string(), "--port-file", (dir_ / "port").string(),
             "--plan", plan, "--body", body},
            dir_ / "port"),
        port_(process_.ready_text()) {}
  ~HttpPeer() {
    process_.stop();
    std::filesystem::remove_all(dir_);
  }
  HttpPeer(const HttpPeer&) = delete;
  HttpPeer& operator=(const HttpPeer&) = delete;

  std::string base_url() const { return "http://127.0.0.1:" + port_; }

  // The requests received so far, in order.
  std::vector<Json> requests() const {
    std::vector<Json> out;
    std::ifstream in(dir_ / "requests.jsonl");
    for (std::string line; std::getline(in, line);) out.push_back(Json::parse(line));
    return out;
  }

 private:
  static std::filesystem::path fresh_dir() {
    static int counter = 0;
    const auto dir =
        std::filesystem::temp_directory_path() /
        ("crmflow_http_peer_" + std::to_string(::getpid()) + "_" + std::to_string(++counter));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
  }

  std::filesystem::path dir_;
  testing::PeerProcess process_;
  std::string port_;
};

// A request's header by name (case-insensitive), as the peer received it.
std::optional<std::string> header(const Json& request, std::string name) {
  const auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  for (const Json& pair : request["headers"]) {
    if (lower(pair[0].get<std::string>()) == lower(name)) return pair[1].get<std::string>();
  }
  return std::nullopt;
}

// A fresh demo database with capture on Cases, the workflows, an engine and a job runner.
struct Harness : testing::DbFixture {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("crmflow_call_remote_api_test_" + name());
  std::vector<Workflow> workflows;
  std::unique_ptr<Engine> engine;
  std::unique_ptr<JobRunner> jobs;

  explicit Harness(const std::vector<std::string>& workflow_texts,
                   const std::string& settings = "{}") {
    BOOST_REQUIRE(configure_clock("Europe/Vienna", std::chrono::seconds(0)).has_value());
    ::setenv("CRMFLOW_TEST_TICKET_TOKEN", kToken.c_str(), 1);
    workflows = testing::load_workflow_texts(dir, workflow_texts, plugins(settings), &map());
    const auto installed = install_capture(db(), *map().find("Cases"));
    if (!installed) throw std::runtime_error(installed.error());
    EngineOptions options;
    options.owner = "call_remote_api_test";
    engine = std::make_unique<Engine>(db(), map(), workflows, options);
    JobOptions job_options;
    job_options.owner = "call_remote_api_test";
    job_options.max_attempts = 3;
    job_options.backoff_cap = std::chrono::seconds(1);
    jobs = std::make_unique<JobRunner>(db(), map(), workflows, job_options);
  }
  ~Harness() {
    (void)configure_clock("UTC", std::chrono::seconds(0));
    std::filesystem::remove_all(dir);
  }

  void drain_events() {
    if (!testing::drain_events(*engine, db())) BOOST_FAIL("the event queue did not drain");
  }

  // Saves one column of the case as a CRM user would, and lets the engine schedule its jobs.
  void save_case(const std::string& column, const std::string& value) {
    db() << "UPDATE cases SET " + column +
                " = :v, modified_user_id = 'usr00002-0000-4000-8000-000000000000' WHERE id = :id",
        soci::use(value), soci::use(kCase);
    drain_events();
  }

  // Runs the job runner until the job is no longer pending (backoff is at most 1 s).
  void run_jobs_until_finished() {
    for (int i = 0; i < 60 && job("state") == "pending"; ++i) {
      jobs->step();
      if (job("state") != "pending") return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  long long count(const std::string& sql) { return testing::query_count(db(), sql); }

  // A column of the (only) job, as text ("" for NULL).
  std::string job(const std::string& column) {
    std::string value;
    soci::indicator ind = soci::i_ok;
    db() << "SELECT CAST(" + column + " AS CHAR) FROM crmflow_job", soci::into(value, ind);
    return ind == soci::i_ok ? value : "";
  }

  std::string case_field(const std::string& column) {
    std::string value;
    soci::indicator ind = soci::i_ok;
    db() << "SELECT " + column + " FROM cases WHERE id = '" + kCase + "'", soci::into(value, ind);
    return ind == soci::i_ok ? value : "";
  }
};

// A workflow on every save of a case that calls the peer with `params` (a JSON object's text,
// without the url) and `url`.
std::string workflow(const std::string& url, const std::string& params) {
  Json parsed = Json::parse(params);
  parsed["url"] = url;
  return Json{{"id", "ticket"},
              {"module", "Cases"},
              {"trigger", "saved"},
              {"actions", Json::array({{{"plugin", "call_remote_api"}, {"params", parsed}}})}}
      .dump();
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_request_carries_the_record_encoded_for_each_place) {
  HttpPeer peer("201", R"({"ok": true})");
  Harness h({workflow(peer.base_url() + "/cases/{{record.name}}?priority={{record.priority}}&x=a+b",
                      R"({"method": "PUT",
                          "headers": {"X-Case-Status": "{{record.status}}", "X-Source": "crmflow"},
                          "secret_headers": {"Authorization": {"env": "CRMFLOW_TEST_TICKET_TOKEN",
                                                               "prefix": "Bearer "}},
                          "body": {"title": "Case: {{record.name}}",
                                   "case": {"priority": "{{record.priority}}", "seats": 7,
                                            "urgent": true, "closed": null},
                                   "tags": ["crm", "{{record.status}}"]}})")});
  const std::string name = "He said \"hi\" \\ then\nleft";
  h.save_case("name", name);
  BOOST_REQUIRE(h.case_field("name") == name);
  BOOST_TEST(h.job("state") == "pending");

  BOOST_TEST(h.jobs->step() == 1u);
  BOOST_TEST(h.job("state") == "done");
  const auto requests = peer.requests();
  BOOST_REQUIRE(requests.size() == 1u);
  const Json& request = requests[0];
  BOOST_TEST(request["method"] == "PUT");
  BOOST_TEST(request["path"].get<std::string>() ==
                 "/cases/He%20said%20%22hi%22%20%5C%20then%0Aleft?priority=P1&x=a+b",
             "placeholder values percent-encoded, the template's own text kept");
  BOOST_TEST(header(request, "X-Case-Status").value_or("(none)") == "Active - Assigned");
  BOOST_TEST(header(request, "X-Source").value_or("(none)") == "crmflow");
  BOOST_TEST(header(request, "Authorization").value_or("(none)") == "Bearer " + kToken);
  BOOST_TEST(header(request, "Content-Type").value_or("(none)") == "application/json");
  BOOST_TEST(header(request, "Idempotency-Key").value_or("(none)") == h.job("idempotency_key"));
  BOOST_TEST(!h.job("idempotency_key").empty());
  const Json body = Json::parse(request["body"].get<std::string>(), nullptr, false);
  BOOST_REQUIRE(!body.is_discarded());
  const Json expected = {
      {"title", "Case: " + name},
      {"case", {{"priority", "P1"}, {"seats", 7}, {"urgent", true}, {"closed", nullptr}}},
      {"tags", {"crm", "Active - Assigned"}}};
  BOOST_TEST(body == expected,
             "the body is JSON; the name's quotes, backslash and line break are inside one "
             "string");
}

BOOST_AUTO_TEST_CASE(a_server_error_is_retried_with_the_same_idempotency_key) {
  HttpPeer peer("500,200", R"({"status": "busy or fine"})");
  Harness h({workflow(peer.base_url() + "/tickets", R"({"body": {"case": "{{record.id}}"}})")});
  h.save_case("status", "Active - Escalated");

  BOOST_TEST(h.jobs->step() == 1u, "one attempt");
  BOOST_TEST(h.job("state") == "pending");
  BOOST_TEST(h.job("attempts") == "1");
  BOOST_TEST(h.job("last_error").find("HTTP 500") != std::string::npos, h.job("last_error"));
  h.run_jobs_until_finished();
  BOOST_TEST(h.job("state") == "done");
  BOOST_TEST(h.job("attempts") == "2");
  const auto requests = peer.requests();
  BOOST_REQUIRE(requests.size() == 2u);
  BOOST_TEST(requests[0]["method"] == "POST", "POST unless the workflow says otherwise");
  BOOST_TEST(header(requests[0], "Idempotency-Key").value_or("first") ==
             header(requests[1], "Idempotency-Key").value_or("second"));
  BOOST_TEST(header(requests[1], "Idempotency-Key").value_or("") == h.job("idempotency_key"));
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_run WHERE outcome = 'failed' AND error LIKE "
                     "'%HTTP 500%'") == 1);
}

BOOST_AUTO_TEST_CASE(a_timeout_is_retried) {
  HttpPeer peer("sleep:3,200");
  Harness h({workflow(peer.base_url() + "/slow", R"({"timeout_ms": 500})")});
  h.save_case("status", "Active - Escalated");

  const auto started = std::chrono::steady_clock::now();
  BOOST_TEST(h.jobs->step() == 1u);
  const bool bounded = std::chrono::steady_clock::now() - started < std::chrono::seconds(2);
  BOOST_TEST(bounded, "timeout_ms bounds the wait, not the peer's 3 s");
  BOOST_TEST(h.job("state") == "pending", "retried later");
  BOOST_TEST(h.job("last_error").find("timed out after 500 ms") != std::string::npos,
             h.job("last_error"));
  h.run_jobs_until_finished();
  BOOST_TEST(h.job("state") == "done", "the next attempt is answered in time");
  BOOST_TEST(peer.requests().size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_not_found_is_not_retried) {
  HttpPeer peer("404", "no ticket queue named support-eu");
  Harness h({workflow(peer.base_url() + "/queues/support-eu/tickets", R"({"body": {}})")});
  h.save_case("status", "Active - Escalated");

  BOOST_TEST(h.jobs->step() == 1u, "one attempt");
  BOOST_TEST(h.job("state") == "dead");
  BOOST_TEST(h.job("attempts") == "1");
  const std::string error = h.job("last_error");
  BOOST_TEST(error.find("HTTP 404") != std::string::npos, error);
  BOOST_TEST(error.find("no ticket queue named support-eu") != std::string::npos, error);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // past any backoff
  BOOST_TEST(h.jobs->step() == 0u);
  BOOST_TEST(peer.requests().size() == 1u, "one request only");
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_run WHERE outcome = 'dead' AND error LIKE "
                     "'%no ticket queue named support-eu%'") == 1);
}

BOOST_AUTO_TEST_CASE(the_response_is_written_back_into_the_record) {
  HttpPeer peer(R"([{"status": 201, "body": {"ticket": {"id": "T-42", "rank": 3}}}])");
  // Only when the status changes, so the write-back (a save too) calls no one again.
  Harness h({Json{
      {"id", "ticket"},
      {"module", "Cases"},
      {"trigger", "saved"},
      {"conditions",
       {{"all",
         Json::array(
             {{{"field", "status"}, {"op", "changed_to"}, {"value", "Active - Escalated"}}})}}},
      {"actions",
       Json::array(
           {{{"plugin", "call_remote_api"},
             {"params",
              {{"url", peer.base_url() + "/tickets"},
               {"body", {{"subject", "{{record.name}}"}}},
               {"response", {{"/ticket/id", "description"}, {"/ticket/rank", "resolution"}}}}}}})}}
                 .dump()});
  h.save_case("status", "Active - Escalated");
  BOOST_TEST(h.jobs->step() == 1u);
  BOOST_TEST(h.job("state") == "done", h.job("last_error"));
  BOOST_TEST(h.case_field("description") == "T-42");
  BOOST_TEST(h.case_field("resolution") == "3");
  h.drain_events();
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_job") == 1, "no second call for the write-back");
}

BOOST_AUTO_TEST_CASE(a_host_outside_allowed_hosts_is_refused) {
  HttpPeer peer("200");
  const std::string settings = R"({"allowed_hosts": ["localhost"]})";
  // A fixed host: the workflow does not load.
  BOOST_CHECK_EXCEPTION(
      Harness({workflow(peer.base_url() + "/x", "{}")}, settings), std::runtime_error,
      [](const std::runtime_error& e) {
        BOOST_TEST_MESSAGE(e.what());
        return std::string(e.what()).find("'127.0.0.1' is not in the allowed_hosts setting") !=
               std::string::npos;
      });
  // A host from the record: refused when the job runs, for good, before any request.
  const std::string port = peer.base_url().substr(peer.base_url().rfind(':'));
  Harness h({workflow("http://{{record.type}}" + port + "/x", "{}")}, settings);
  h.save_case("type", "127.0.0.1");
  BOOST_TEST(h.jobs->step() == 1u);
  BOOST_TEST(h.job("state") == "dead");
  BOOST_TEST(h.job("last_error").find("not in the allowed_hosts setting") != std::string::npos,
             h.job("last_error"));
  BOOST_TEST(peer.requests().empty());
}

BOOST_FIXTURE_TEST_CASE(parameters_a_request_cannot_use_are_refused_at_load, testing::DbFixture) {
  const auto problems = [this](const std::string& params) {
    const auto dir = std::filesystem::temp_directory_path() / ("crmflow_call_remote_api_" + name());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "w.json") << workflow("https://api.example.com/x", params);
    const auto loaded = load_workflows(dir, plugins(), &map());
    std::filesystem::remove_all(dir);
    std::string text;
    if (!loaded) {
      for (const std::string& line : loaded.error()) text += line + "\n";
    }
    return text;
  };
  BOOST_TEST(problems(R"({"method": "DELETE", "headers": {"X-Case": "{{record.id}}"},
                          "response": {"/ticket/id": "description"}})")
                 .empty());
  BOOST_TEST(problems(R"({"method": "GET", "body": {"a": 1}})").find("body") != std::string::npos);
  BOOST_TEST(problems(R"({"method": "FETCH"})").find("method") != std::string::npos);
  BOOST_TEST(problems(R"({"headers": {"X Case": "1"}})").find("not a valid header name") !=
             std::string::npos);
  BOOST_TEST(problems(R"({"headers": {"Idempotency-Key": "1"}})").find("set by the request") !=
             std::string::npos);
  BOOST_TEST(
      problems(R"({"secret_headers": {"Authorization": {"prefix": "Bearer "}}})").find("env") !=
      std::string::npos);
  BOOST_TEST(problems(R"({"response": {"ticket/id": "description"}})").find("JSON pointer") !=
             std::string::npos);
  BOOST_TEST(problems(R"({"timeout_ms": 0})").find("timeout_ms") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_secret_header_is_never_quoted_in_an_error) {
  HttpPeer peer("200");
  Harness h({workflow(peer.base_url() + "/x",
                      R"({"secret_headers": {"Authorization": {"env": "CRMFLOW_TEST_TICKET_TOKEN",
                                                               "prefix": "Bearer "}}})")});
  ::setenv("CRMFLOW_TEST_TICKET_TOKEN", "tok-123\r\nX-Injected: yes", 1);
  h.save_case("status", "Active - Escalated");
  BOOST_TEST(h.jobs->step() == 1u);
  BOOST_TEST(h.job("state") == "dead", "a line break in a header cannot be fixed by a retry");
  const std::string error = h.job("last_error");
  BOOST_TEST(error.find("CRMFLOW_TEST_TICKET_TOKEN holds a line break") != std::string::npos,
             error);
  BOOST_TEST(error.find("tok-123") == std::string::npos, error);
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_run WHERE error LIKE '%tok-123%'") == 0);
  BOOST_TEST(peer.requests().empty());
  ::setenv("CRMFLOW_TEST_TICKET_TOKEN", kToken.c_str(), 1);
}
