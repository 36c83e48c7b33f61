// crmflow: the workflow host for CRMs of the SugarCRM lineage.
#include <CLI/CLI.hpp>

#include <iostream>

#include "commands.hpp"

int main(int argc, char** argv) {
  using namespace crmflow::cli;
  CLI::App app{
      "crmflow — if-then workflows on a CRM's records: record events from the CRM's MySQL "
      "database run through trigger, condition and action plugins."};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("crmflow 0.1.0 (plugin ABI ") +
                                        std::to_string(CRMFLOW_ABI_MAJOR) + "." +
                                        std::to_string(CRMFLOW_ABI_MINOR) + ")");

  GlobalOptions global;
  app.add_option("-c,--config", global.config, "Host config file (JSON, comments allowed)")
      ->envname("CRMFLOW_CONFIG")
      ->capture_default_str();
  app.add_option("--plugin-dir", global.plugin_dirs,
                 "Directory to search for plugin files before the config's plugin_dirs "
                 "(repeatable)");
  app.add_option("--log-level", global.log_level, "trace, debug, info, warn or error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  app.add_option("--log-format", global.log_format, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  app.add_option("--clock-offset", global.clock_offset_seconds,
                 "Seconds the host's clock runs ahead of the database's (overrides "
                 "clock_offset_seconds; for demos and tests, never for production)");

  bool as_json = false;
  auto* plugins = app.add_subcommand(
      "plugins", "List every enabled component: pack, kind, name, version, ABI, effect, file");
  plugins->add_flag("--json", as_json, "Print JSON instead of a table");

  auto* check = app.add_subcommand(
      "check",
      "Validate the config and load every enabled plugin; print all problems, exit 1 "
      "if there is any");

  bool once = false;
  auto* run = app.add_subcommand(
      "run",
      "Start the host: load plugins, connect to the CRM database, serve until SIGINT "
      "or SIGTERM");
  run->add_flag("--once", once, "Start, report what was loaded, and exit");

  std::string capture_action;
  auto* capture = app.add_subcommand(
      "capture", "Manage the triggers that capture the CRM's changes for the watched modules");
  capture
      ->add_option("action", capture_action,
                   "install (or repair), status (exit 1 unless all installed), remove")
      ->required()
      ->check(CLI::IsMember({"install", "status", "remove"}));

  auto* status = app.add_subcommand(
      "status", "Show the event backlog, the age of the oldest pending event, quarantined events");

  bool explain = false;
  auto* triggers = app.add_subcommand(
      "triggers", "The time triggers (inactivity, date_reached, schedule): last tick, firings");
  triggers->add_flag("--explain", explain,
                     "Also print the query each trigger's next tick runs and its plan");

  RunsOptions runs_options;
  auto* runs = app.add_subcommand(
      "runs", "The audit: what each workflow did with each event, or why it did not run");
  runs->add_option("--record", runs_options.record, "Only the runs of this record (its id)");
  runs->add_option("--workflow", runs_options.workflow, "Only the runs of this workflow (its id)");
  runs->add_option("--limit", runs_options.limit, "How many of the newest runs")
      ->capture_default_str();

  AlertsOptions alerts_options;
  auto* alerts = app.add_subcommand(
      "alerts", "Warnings crmflow raised for users (show_warning), newest first");
  alerts->add_option("--user", alerts_options.user, "Only the alerts for this user (its id)");
  alerts->add_option("--record", alerts_options.record,
                     "Only the alerts about this record (its id)");
  alerts->add_option("--limit", alerts_options.limit, "How many of the newest alerts")
      ->capture_default_str();

  JobsOptions jobs_options;
  auto* jobs = app.add_subcommand(
      "jobs", "Delayed actions and external effects (email, HTTP): pending, running, done, dead");
  jobs->add_option("--record", jobs_options.record, "Only the jobs of this record (its id)");
  jobs->add_option("--state", jobs_options.state, "Only jobs in this state")
      ->check(CLI::IsMember({"pending", "running", "done", "skipped", "cancelled", "dead"}));
  jobs->add_option("--limit", jobs_options.limit, "How many jobs, latest due first")
      ->capture_default_str();
  uint64_t job_id = 0;
  auto* retry = app.add_subcommand("retry", "Run a dead or pending job now, with all its attempts");
  retry->add_option("job", job_id, "The job's id")->required();
  auto* cancel = app.add_subcommand("cancel", "Cancel a pending job");
  cancel->add_option("job", job_id, "The job's id")->required();

  std::string quarantine_action = "list";
  uint64_t quarantine_id = 0;
  auto* quarantine = app.add_subcommand(
      "quarantine", "List events that failed too often, or put one back into the queue");
  quarantine->add_option("action", quarantine_action, "list or replay")
      ->check(CLI::IsMember({"list", "replay"}))
      ->capture_default_str();
  quarantine->add_option("event", quarantine_id, "The event to replay");

  TryOptions try_options;
  auto* try_cmd = app.add_subcommand(
      "try",
      "Call one condition or action on a record given as JSON, without a database "
      "(for plugin authors)");
  try_cmd->add_option("component", try_options.component, "Component name")->required();
  try_cmd->add_option("--params", try_options.params, "Parameters as a JSON object")
      ->capture_default_str();
  try_cmd
      ->add_option("--record", try_options.record,
                   R"(Record as JSON: {"module":"Leads","id":"1","fields":{...},"old":{...}})")
      ->required();

  PackOptions pack_options;
  auto* pack = app.add_subcommand(
      "pack", "Signed extension packs: make a key, sign, verify, install, list installed packs");
  pack->require_subcommand(1);
  auto* pack_keygen = pack->add_subcommand(
      "keygen", "Make an Ed25519 key pair: <base>.key (secret, 0600) and <base>.pub");
  pack_keygen->add_option("--out", pack_options.out, "<base> of the two files (never overwritten)")
      ->required();
  pack_keygen->add_option("--comment", pack_options.comment,
                          "Text ending the .pub line, e.g. the publisher");
  auto* pack_sign = pack->add_subcommand(
      "sign", "Hash the files a pack's manifest.json lists into it and sign it (manifest.sig)");
  pack_sign->add_option("--key", pack_options.key, "The secret key file (<base>.key)")->required();
  pack_sign->add_option("dir", pack_options.dir, "The pack directory")->required();
  auto* pack_verify = pack->add_subcommand(
      "verify", "Check a pack's signature against trusted keys and every file's hash");
  pack_verify->add_option("--trusted", pack_options.trusted,
                          "A trusted public key file (repeatable); default: the config's "
                          "packs.trusted_keys");
  pack_verify->add_option("dir", pack_options.dir, "The pack directory")->required();
  auto* pack_install = pack->add_subcommand(
      "install", "Verify a pack with the config's trusted keys and install it into packs.dir");
  pack_install->add_option("dir", pack_options.dir, "The pack directory")->required();
  auto* pack_list = pack->add_subcommand(
      "list", "The installed packs: id, version, publisher, signer, ok or why refused");

  CLI11_PARSE(app, argc, argv);

  if (plugins->parsed()) return plugins_command(global, as_json);
  if (check->parsed()) return check_command(global);
  if (run->parsed()) return run_command(global, once);
  if (capture->parsed()) return capture_command(global, capture_action);
  if (status->parsed()) return status_command(global);
  if (runs->parsed()) return runs_command(global, runs_options);
  if (triggers->parsed()) return triggers_command(global, explain);
  if (alerts->parsed()) return alerts_command(global, alerts_options);
  if (jobs->parsed()) return jobs_command(global, jobs_options);
  if (retry->parsed()) return job_action_command(global, "retry", job_id);
  if (cancel->parsed()) return job_action_command(global, "cancel", job_id);
  if (pack->parsed()) {
    for (const auto& [sub, name] : {std::pair{pack_keygen, "keygen"},
                                    {pack_sign, "sign"},
                                    {pack_verify, "verify"},
                                    {pack_install, "install"},
                                    {pack_list, "list"}}) {
      if (sub->parsed()) pack_options.action = name;
    }
    return pack_command(global, pack_options);
  }
  if (quarantine->parsed()) {
    if (quarantine_action == "replay" && quarantine_id == 0) {
      std::cerr << "quarantine replay needs the event's id\n";
      return 2;
    }
    return quarantine_command(global, quarantine_action, quarantine_id);
  }
  return try_command(global, try_options);
}
