// The host's database session killed with KILL CONNECTION, again and again, while it works
// through a few thousand qualifying saves (follow_up_workflow). Each kill is aimed at the
// host's session while INNODB_TRX shows it inside a transaction (a claim or a batch with its
// effects written, not committed). The server rolls that transaction back; the host must notice,
// reconnect, give its leases back and go on: every event handled once, nothing stuck, nothing
// quarantined (a lost connection is not the event's fault).
#include <optional>
#include <random>

#include "fault_support.hpp"

namespace crmflow::faults {
namespace {

const std::string kPrefix = "kil";

// A session of the host (not one of the test's) as INNODB_TRX and PROCESSLIST show it.
struct HostSession {
  long long thread = 0;
  bool in_transaction = false;
  long long rows_modified = 0;  // rows the transaction has written so far
};

// The host's session inside a transaction right now, if any. InnoDB refreshes INNODB_TRX only
// when it was not read for 100 ms, so callers poll it more slowly than that.
std::optional<HostSession> host_in_transaction(soci::session& db, const std::string& own_ids) {
  soci::rowset<soci::row> rows =
      db.prepare
      << "SELECT CAST(t.trx_mysql_thread_id AS SIGNED), CAST(t.trx_rows_modified AS SIGNED) FROM "
         "information_schema.INNODB_TRX t JOIN information_schema.PROCESSLIST p ON "
         "p.ID = t.trx_mysql_thread_id WHERE p.DB = DATABASE() AND p.ID NOT IN (" +
             own_ids + ") LIMIT 1";
  for (const soci::row& row : rows) {
    return HostSession{row.get<long long>(0), true, row.get<long long>(1)};
  }
  return std::nullopt;
}

// The host's session whatever it does (between transactions, waiting for work).
std::optional<HostSession> host_session(soci::session& db, const std::string& own_ids) {
  soci::rowset<soci::row> rows =
      db.prepare
      << "SELECT CAST(ID AS SIGNED) FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND "
         "COMMAND <> 'Killed' AND ID NOT IN (" +
             own_ids + ") LIMIT 1";
  for (const soci::row& row : rows) {
    return HostSession{row.get<long long>(0), false, 0};
  }
  return std::nullopt;
}

long long connection_id(soci::session& db) {
  long long id = 0;
  db << "SELECT CONNECTION_ID()", soci::into(id);
  return id;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(kill_connection)

BOOST_AUTO_TEST_CASE(host_reconnects_after_its_session_is_killed_mid_transaction) {
  const int leads = soak_or(3000, 30000);
  const int kills_wanted = soak_or(12, 100);
  testing::DbFixture fixture;
  HostFiles files("kill-connection");
  files.add_workflow(follow_up_workflow("follow-up"));
  DumpLogsOnFailure dump({files.log()});

  const auto crm = fixture.connect_again();       // the CRM's saves
  const auto observer = fixture.connect_again();  // looks for the host's session, kills it
  const std::string own_ids = std::to_string(connection_id(fixture.db())) + ", " +
                              std::to_string(connection_id(*crm)) + ", " +
                              std::to_string(connection_id(*observer));
  insert_leads(*crm, kPrefix, leads);
  install_capture(files.config_file(), fixture.settings(), files.log());

  HostProcess host(files.config_file(), fixture.settings(), files.log());
  BOOST_REQUIRE(host.wait_for_log("handling events as", 30s));

  // The saves come in chunks, one before each kill, so the host has work at every kill.
  const int chunk = (leads + kills_wanted - 1) / kills_wanted;
  int qualified = 0;
  const auto qualify_next_chunk = [&] {
    const int first = qualified + 1;
    const int last = std::min(leads, qualified + chunk);
    if (first > last) return;
    *crm << "UPDATE leads SET status = 'Qualified', modified_user_id = '" + kThomas +
                "', date_modified = UTC_TIMESTAMP() WHERE id BETWEEN '" + lead_id(kPrefix, first) +
                "' AND '" + lead_id(kPrefix, last) + "'";
    qualified = last;
  };

  std::mt19937 random(20261127);
  std::uniform_int_distribution<int> pause_ms(50, 400);
  int kills = 0, in_transaction = 0, with_writes = 0, unknown_thread = 0;
  const auto started = Clock::now();
  const auto give_up = started + 120s;
  while (kills < kills_wanted && Clock::now() < give_up) {
    // Right after a chunk of saves the host is surely busy: look for its transaction then.
    qualify_next_chunk();
    std::optional<HostSession> target;
    wait_until(
        [&] {
          target = host_in_transaction(*observer, own_ids);
          return target.has_value();
        },
        3s, 110ms);
    if (!target) target = host_session(*observer, own_ids);
    if (!target) continue;  // the host is between a kill and its reconnect
    const size_t reconnects = count_occurrences(host.output(), "reconnected");
    try {
      *observer << "KILL CONNECTION " + std::to_string(target->thread);
    } catch (const std::exception& e) {
      ++unknown_thread;  // the session ended between the look and the kill (1094)
      BOOST_TEST_MESSAGE("  kill " << target->thread << ": " << e.what());
      continue;
    }
    ++kills;
    if (target->in_transaction) ++in_transaction;
    if (target->rows_modified > 0) ++with_writes;
    BOOST_TEST(
        wait_until([&] { return count_occurrences(host.output(), "reconnected") > reconnects; },
                   30s, 20ms),
        "no reconnect within 30 s after kill " << kills);
    BOOST_REQUIRE(host.running());
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(random)));
  }
  while (qualified < leads) qualify_next_chunk();
  const double killing = seconds_since(started);

  BOOST_REQUIRE(wait_for_empty_queue(*crm, 90s));
  const double total = seconds_since(started);
  BOOST_TEST(host.running(), "crmflow ended with " << host.describe_status());
  host.terminate();
  BOOST_TEST(host.wait(15s).has_value());
  BOOST_TEST(host.exited_cleanly(), "crmflow ended with " << host.describe_status());

  const std::string output = host.output();
  const Oracle oracle = tally_follow_ups(*crm, "kill connection", kPrefix, leads);
  oracle.report();
  BOOST_TEST_MESSAGE("  kill connection: " << kills << " kills in " << killing << " s, "
                                           << in_transaction << " of them inside a transaction ("
                                           << with_writes << " after it wrote rows), "
                                           << unknown_thread << " missed (session gone); host "
                                           << count_occurrences(output,
                                                                "lost the database "
                                                                "connection")
                                           << " connection losses, "
                                           << count_occurrences(output, "reconnected")
                                           << " reconnects; " << leads << " events handled "
                                           << total << " s after the first save");
  BOOST_TEST(kills >= kills_wanted);
  BOOST_TEST(in_transaction > 0, "no kill hit the host inside a transaction");
  BOOST_TEST(count_occurrences(output, "reconnected") >= static_cast<size_t>(kills));
  oracle.check();
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace crmflow::faults
