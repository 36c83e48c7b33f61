// Seed scenario 3 end to end: the membership onboarding pack ("CRM Beitrag") as a partner
// ships it — build/packs/membership signed with the partner's key by `crmflow pack sign`,
// installed by `crmflow pack install` into a host that trusts that key — run by the real host.
// A member's contract becoming active sends the welcome email (contact persons and channels
// from the pack's settings) and creates the induction task "Einweisung"; a year after the
// start, a still active membership gets the thank-you email with the feedback link. The
// refusals of tampered and untrusted packs are tests/integration/pack_signed_install.sh.
#define BOOST_TEST_MODULE scenario_membership_test
#include <boost/test/unit_test.hpp>

#include "scenario_host.hpp"

using namespace crmflow::scenarios;

namespace {

const std::string kUser = "usr00002-0000-4000-8000-000000000000";     // Maria Huber
const std::string kContact = "con00004-0000-4000-8000-000000000000";  // Sabine Schäfer
const std::string kMembershipType = "sct00009-0000-4000-8000-000000000000";
const std::string kSupportType = "sct00001-0000-4000-8000-000000000000";

Json association() {
  return {{"association", "Sportverein Muster"},
          {"membership_types", {kMembershipType}},
          {"contact_persons",
           {{{"name", "Anna Berger"},
             {"role", "Member office"},
             {"email", "anna.berger@verein.example"},
             {"phone", "+43 1 234 56 78"}},
            {{"name", "Paul Steiner"}, {"role", "Coach"}}}},
          {"channels",
           {{{"name", "Member portal"}, {"address", "https://portal.verein.example"}},
            {{"name", "Newsletter"}, {"address", "news@verein.example"}}}},
          {"induction_days", 14},
          {"induction_topics", {"House rules", "Booking the hall"}},
          {"feedback_url", "https://verein.example/feedback"}};
}

// The partner's side and the admin's, with the real CLI: a key pair, the staged pack copied and
// signed, and installed with a config that trusts the partner's public key.
struct SignedPack {
  TempDir dir{"membership-pack"};
  std::filesystem::path packs = dir.path() / "installed";
  std::filesystem::path key = dir.path() / "partner";

  SignedPack() {
    const std::filesystem::path copy = dir.path() / "membership";
    std::filesystem::copy(std::filesystem::path(CRMFLOW_PACK_DIR), copy,
                          std::filesystem::copy_options::recursive);
    const std::filesystem::path config = dir.path() / "install.json";
    std::ofstream(config) << packs_config().dump();
    run({CRMFLOW_BINARY, "pack", "keygen", "--out", key.string(), "--comment", "partner"});
    run({CRMFLOW_BINARY, "pack", "sign", "--key", key.string() + ".key", copy.string()});
    run({CRMFLOW_BINARY, "--config", config.string(), "pack", "install", copy.string()});
  }

  Json packs_config() const {
    return {{"packs", {{"dir", packs.string()}, {"trusted_keys", {key.string() + ".pub"}}}}};
  }

  void run(const std::vector<std::string>& args) {
    std::string line;
    for (const auto& arg : args) line += "'" + arg + "' ";
    const std::filesystem::path out = dir.path() / "cli.log";
    if (std::system((line + ">>'" + out.string() + "' 2>&1").c_str()) != 0) {
      throw std::runtime_error("failed: " + line + "\n" + read_file(out));
    }
  }
};

struct Membership {
  ScenarioDb db{one_crm()};
  SmtpSink mail;
  SignedPack pack;
  ScenarioHost host{db, options()};

  ScenarioOptions options() {
    ScenarioOptions o;
    o.use(mail);
    o.plugins["membership"] = {{"enabled", true}, {"settings", association()}};
    o.config = pack.packs_config();
    return o;
  }

  // A contract the CRM creates inactive (the member signed; nothing is active yet).
  void contract(const std::string& id, const std::string& name, const std::string& type) {
    db.exec(
        "INSERT INTO service_subcontracts (id, name, date_entered, date_modified, "
        "modified_user_id, created_by, assigned_user_id, deleted, account_id, "
        "customer_contact_id, contract_type_id, date_start, status) VALUES ('" +
        id + "', '" + name + "', UTC_TIMESTAMP(), UTC_TIMESTAMP(), '1', '1', '" + kUser +
        "', 0, 'acc00003-0000-4000-8000-000000000000', '" + kContact + "', '" + type +
        "', UTC_DATE(), 'Inactive')");
  }
  void set_status(const std::string& id, const std::string& status) {
    db.exec("UPDATE service_subcontracts SET status = '" + status + "', modified_user_id = '" +
            kUser + "', date_modified = UTC_TIMESTAMP() WHERE id = '" + id + "'");
  }
};

const std::string kMember = "ssc00091-0000-4000-8000-000000000000";
const std::string kLeaver = "ssc00092-0000-4000-8000-000000000000";
const std::string kSupport = "ssc00093-0000-4000-8000-000000000000";

}  // namespace

BOOST_AUTO_TEST_CASE(an_active_membership_gets_the_welcome_email_and_the_induction_task) {
  Membership m;
  m.contract(kMember, "Sabine Schäfer - Membership 2026", kMembershipType);
  m.contract(kSupport, "Rheinwerk - Premium Support", kSupportType);
  m.host.start();
  const auto plugins = m.host.command({"plugins"});
  BOOST_TEST(plugins.output.find("membership_welcome_email") != std::string::npos, plugins.output);

  m.set_status(kMember, "Active");
  m.set_status(kSupport, "Active");  // no membership: the pack leaves it alone
  BOOST_REQUIRE_MESSAGE(m.host.settle(), m.host.log_tail());
  BOOST_REQUIRE_MESSAGE(m.mail.wait_for(1), m.host.log_tail());

  const auto mails = m.mail.messages();
  BOOST_TEST_REQUIRE(mails.size() == 1u);
  BOOST_TEST(mails[0]["rcpt_tos"] == Json::array({"sabine.schaefer@rheinwerk.example"}));
  BOOST_TEST(mails[0]["subject"].get<std::string>() == "Welcome to Sportverein Muster");
  BOOST_TEST(lines(mails[0]["text"]) ==
             "Dear Sabine Schäfer,\n\n"
             "welcome to Sportverein Muster! Your membership \"Sabine Schäfer - Membership 2026\" "
             "is active.\n\n"
             "Your contact persons:\n"
             "  - Anna Berger, Member office, anna.berger@verein.example, +43 1 234 56 78\n"
             "  - Paul Steiner, Coach\n\n"
             "Where you find us:\n"
             "  - Member portal: https://portal.verein.example\n"
             "  - Newsletter: news@verein.example\n\n"
             "We look forward to seeing you.\nSportverein Muster\n");

  // The induction task: linked to the contract, for the user who activated it, due in 14 days
  // of the host's clock, its agenda from the settings.
  BOOST_TEST(m.db.rows("SELECT name, parent_type, assigned_user_id, "
                       "CAST(DATEDIFF(date_due, UTC_TIMESTAMP()) AS CHAR) FROM tasks "
                       "WHERE parent_id = '" +
                       kMember + "' AND deleted = 0") ==
             std::vector<std::string>({"Einweisung | ServiceSubcontracts | " + kUser + " | 14"}));
  BOOST_TEST(m.db.value("SELECT description FROM tasks WHERE parent_id = '" + kMember + "'") ==
             "Induction of the new member into Sportverein Muster.\nAgenda:\n"
             "  - House rules\n  - Booking the hall\n\nContact persons:\n"
             "  - Anna Berger, Member office, anna.berger@verein.example, +43 1 234 56 78\n"
             "  - Paul Steiner, Coach\n");
  BOOST_TEST(m.db.count("SELECT COUNT(*) FROM tasks WHERE parent_id = '" + kSupport + "'") == 0);
  // The email is filed at the contract, as send_email does for every email it sends.
  BOOST_TEST(m.db.count("SELECT COUNT(*) FROM emails WHERE parent_id = '" + kMember +
                        "' AND name = 'Welcome to Sportverein Muster'") == 1);

  // Saved again while active: on_change, so nothing new.
  m.db.exec("UPDATE service_subcontracts SET description = 'paid' WHERE id = '" + kMember + "'");
  BOOST_REQUIRE(m.host.settle());
  BOOST_TEST(m.mail.messages().size() == 1u);
  BOOST_TEST(m.db.count("SELECT COUNT(*) FROM tasks WHERE parent_id = '" + kMember + "'") == 1);
}

BOOST_AUTO_TEST_CASE(a_year_later_only_the_still_active_member_is_thanked) {
  Membership m;
  m.contract(kMember, "Sabine Schäfer - Membership 2026", kMembershipType);
  m.contract(kLeaver, "Sabine Schäfer - Trial membership", kMembershipType);
  m.host.start();
  m.set_status(kMember, "Active");
  m.set_status(kLeaver, "Active");
  BOOST_REQUIRE(m.host.settle());
  BOOST_REQUIRE_MESSAGE(m.mail.wait_for(2), m.host.log_tail());
  // The one-year trigger has ticked once now, so the year from here on is its window.
  BOOST_REQUIRE(m.host.wait_for_count(
      "SELECT COUNT(*) FROM crmflow_tick WHERE trigger_id = 'member-first-year' AND ticks > 0", 1));
  m.set_status(kLeaver, "Inactive");  // cancelled within the year
  BOOST_REQUIRE(m.host.settle());

  m.host.restart(200 * kDay);  // half a year on: not yet
  BOOST_REQUIRE(m.host.wait_for_count(
      "SELECT COUNT(*) FROM crmflow_tick WHERE trigger_id = 'member-first-year' AND ticks > 1", 1));
  BOOST_REQUIRE(m.host.settle());
  BOOST_TEST(m.mail.messages().size() == 2u);

  m.host.restart(366 * kDay);
  BOOST_REQUIRE_MESSAGE(m.mail.wait_for(3), m.host.log_tail());
  BOOST_REQUIRE(m.host.settle());
  const auto mails = m.mail.messages();
  BOOST_TEST_REQUIRE(mails.size() == 3u);
  BOOST_TEST(mails[2]["subject"].get<std::string>() ==
             "One year with Sportverein Muster: thank you");
  BOOST_TEST(lines(mails[2]["text"]) ==
             "Dear Sabine Schäfer,\n\n"
             "thank you for a year as a member of Sportverein Muster.\n\n"
             "How was it? Tell us in two minutes:\n"
             "https://verein.example/feedback?member=" +
                 kMember +
                 "\n\n"
                 "Your contact persons:\n"
                 "  - Anna Berger, Member office, anna.berger@verein.example, +43 1 234 56 78\n"
                 "  - Paul Steiner, Coach\n\nSportverein Muster\n");
  BOOST_TEST(m.db.count("SELECT COUNT(*) FROM crmflow_run WHERE workflow_id = 'member-first-year' "
                        "AND record_id = '" +
                        kMember + "' AND outcome = 'done' AND job_id IS NOT NULL") == 1);
  BOOST_TEST(m.db.count("SELECT COUNT(*) FROM crmflow_run WHERE workflow_id = 'member-first-year' "
                        "AND record_id = '" +
                        kLeaver + "'") == 0);
}
