// Fields of related records ("relation.field") on a fresh demo database: each relation kind
// of the 1CRM map read from the demo data, NULL and deleted links, the name checks and the
// names a condition tree reads.
#define BOOST_TEST_MODULE related_fields_test
#include <soci/soci.h>
#include <boost/test/unit_test.hpp>

#include <stdexcept>

#include "crmflow/host/related_fields.hpp"
#include "db_fixture.hpp"

// Values print as "text" or nullopt in failure messages.
template <>
struct boost::test_tools::tt_detail::print_log_value<std::optional<std::string>> {
  void operator()(std::ostream& out, const std::optional<std::string>& value) {
    if (value) {
      out << '"' << *value << '"';
    } else {
      out << "nullopt";
    }
  }
};

using namespace crmflow;

namespace {

const std::string kAccount1 = "acc00001-0000-4000-8000-000000000000";
const std::string kAccount2 = "acc00002-0000-4000-8000-000000000000";
const std::string kAccount3 = "acc00003-0000-4000-8000-000000000000";
const std::string kContact1 = "con00001-0000-4000-8000-000000000000";
const std::string kContact2 = "con00002-0000-4000-8000-000000000000";
const std::string kLead1 = "led00001-0000-4000-8000-000000000000";
const std::string kTask1 = "tsk00001-0000-4000-8000-000000000000";
const std::string kTask3 = "tsk00003-0000-4000-8000-000000000000";

using Value = std::optional<std::string>;

struct Fixture : testing::DbFixture {
  const Module& module(const std::string& name) {
    const Module* m = map().find(name);
    BOOST_REQUIRE(m != nullptr);
    return *m;
  }

  // The record's current image as the database holds it (every column as text).
  Record load(const std::string& module_name, const std::string& id) {
    const Module& m = module(module_name);
    Record record;
    record.module = m.name;
    record.id = id;
    std::string columns;
    for (const Column& c : m.columns) {
      columns += (columns.empty() ? "" : ", ") + ("CAST(`" + c.name + "` AS CHAR)");
    }
    soci::row row;
    db() << "SELECT " + columns + " FROM `" + m.table + "` WHERE id = :id", soci::use(id),
        soci::into(row);
    BOOST_REQUIRE(db().got_data());
    for (size_t i = 0; i < m.columns.size(); ++i) {
      record.current[m.columns[i].name] =
          row.get_indicator(i) == soci::i_ok ? Value(row.get<std::string>(i)) : std::nullopt;
    }
    return record;
  }

  // Loads the record, resolves `names` and returns its current image.
  RecordImage resolve(const std::string& module_name, const std::string& id,
                      const std::vector<std::string>& names) {
    Record record = load(module_name, id);
    resolve_related_fields(db(), map(), module(module_name), names, record);
    for (const std::string& name : names) {
      BOOST_CHECK_MESSAGE(record.current.contains(name), name << " was not set");
    }
    return record.current;
  }

  std::optional<std::string> check(const std::string& module_name, std::string_view dotted) {
    return check_related_field(map(), module(module_name), dotted);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(resolve)

BOOST_FIXTURE_TEST_CASE(foreign_key_reads_the_related_account, Fixture) {
  db() << "UPDATE leads SET account_id = :a WHERE id = :l", soci::use(kAccount3), soci::use(kLead1);
  const auto image = resolve("Leads", kLead1,
                             {"account.billing_address_country", "account.name", "account.vat_id",
                              "account.date_entered"});
  BOOST_TEST(image.at("account.billing_address_country") == Value("Germany"));
  BOOST_TEST(image.at("account.name") == Value("Rheinwerk Maschinenbau AG"));
  BOOST_TEST(image.at("account.vat_id") == Value("DE123456789"));
  BOOST_TEST(image.at("account.date_entered") == Value("2024-03-05 08:45:00"));
  // The lead's own fields are untouched.
  BOOST_TEST(image.at("last_name") == Value("Wagner"));
}

BOOST_FIXTURE_TEST_CASE(foreign_key_uses_the_current_image, Fixture) {
  // The demo contact's primary account, straight from the demo data.
  auto image = resolve("Contacts", kContact1, {"account.name", "account.billing_address_city"});
  BOOST_TEST(image.at("account.name") == Value("Alpenblick Software GmbH"));
  BOOST_TEST(image.at("account.billing_address_city") == Value("Wien"));

  // The record's current image decides, not the database's row.
  Record record = load("Contacts", kContact1);
  record.current["primary_account_id"] = kAccount2;
  resolve_related_fields(db(), map(), module("Contacts"), {"account.name"}, record);
  BOOST_TEST(record.current.at("account.name") == Value("Brennerhof Handels GmbH"));
}

BOOST_FIXTURE_TEST_CASE(null_foreign_key_reads_null, Fixture) {
  // The demo leads have no account; Julia Berger has no primary account.
  const auto lead = resolve("Leads", kLead1, {"account.name", "contact.email1"});
  BOOST_TEST(!lead.at("account.name").has_value());
  BOOST_TEST(!lead.at("contact.email1").has_value());
  const auto contact = resolve("Contacts", kContact2, {"account.name"});
  BOOST_TEST(!contact.at("account.name").has_value());
}

BOOST_FIXTURE_TEST_CASE(foreign_key_to_a_missing_record_reads_null, Fixture) {
  db() << "UPDATE leads SET account_id = 'acc99999-0000-4000-8000-000000000000' WHERE id = :l",
      soci::use(kLead1);
  BOOST_TEST(!resolve("Leads", kLead1, {"account.name"}).at("account.name").has_value());
}

BOOST_FIXTURE_TEST_CASE(deleted_related_record_reads_null, Fixture) {
  db() << "UPDATE leads SET account_id = :a WHERE id = :l", soci::use(kAccount3), soci::use(kLead1);
  db() << "UPDATE accounts SET deleted = 1 WHERE id = :a", soci::use(kAccount3);
  BOOST_TEST(!resolve("Leads", kLead1, {"account.name"}).at("account.name").has_value());
}

BOOST_FIXTURE_TEST_CASE(null_value_of_a_related_record_reads_null, Fixture) {
  // Atelier Lumière has no VAT id.
  db() << "UPDATE leads SET account_id = 'acc00004-0000-4000-8000-000000000000' WHERE id = :l",
      soci::use(kLead1);
  const auto image = resolve("Leads", kLead1, {"account.vat_id", "account.name"});
  BOOST_TEST(!image.at("account.vat_id").has_value());
  BOOST_TEST(image.at("account.name") == Value("Atelier Lumière SARL"));
}

BOOST_FIXTURE_TEST_CASE(reverse_foreign_key_reads_the_primary_contact, Fixture) {
  const auto image =
      resolve("Accounts", kAccount1, {"primary_contact.email1", "primary_contact.last_name"});
  BOOST_TEST(image.at("primary_contact.email1") == Value("lukas.gruber@alpenblick.example"));
  BOOST_TEST(image.at("primary_contact.last_name") == Value("Gruber"));
  const auto rheinwerk = resolve("Accounts", kAccount3, {"primary_contact.last_name"});
  BOOST_TEST(rheinwerk.at("primary_contact.last_name") == Value("Schäfer"));
}

BOOST_FIXTURE_TEST_CASE(reverse_foreign_key_takes_the_lowest_id, Fixture) {
  // A second contact with Alpenblick as primary account: the one with the lower id counts.
  db() << "INSERT INTO contacts (id, last_name, email1, primary_account_id) VALUES "
          "('con00000-0000-4000-8000-000000000000', 'Early', 'early@x.example', :a), "
          "('con00009-0000-4000-8000-000000000000', 'Late', 'late@x.example', :a2)",
      soci::use(kAccount1), soci::use(kAccount1);
  auto image = resolve("Accounts", kAccount1, {"primary_contact.last_name"});
  BOOST_TEST(image.at("primary_contact.last_name") == Value("Early"));
  // Deleted contacts do not count.
  db() << "UPDATE contacts SET deleted = 1 WHERE id = 'con00000-0000-4000-8000-000000000000'";
  image = resolve("Accounts", kAccount1, {"primary_contact.last_name"});
  BOOST_TEST(image.at("primary_contact.last_name") == Value("Gruber"));
}

BOOST_FIXTURE_TEST_CASE(reverse_foreign_key_without_a_record_reads_null, Fixture) {
  db() << "UPDATE contacts SET deleted = 1 WHERE id = :c", soci::use(kContact1);
  const auto image = resolve("Accounts", kAccount1, {"primary_contact.email1"});
  BOOST_TEST(!image.at("primary_contact.email1").has_value());
}

BOOST_FIXTURE_TEST_CASE(join_takes_the_first_related_record_by_id, Fixture) {
  // Julia Berger is linked to Alpenblick (acc00001) and Brennerhof (acc00002).
  auto image = resolve("Contacts", kContact2, {"accounts.name", "accounts.billing_address_city"});
  BOOST_TEST(image.at("accounts.name") == Value("Alpenblick Software GmbH"));
  BOOST_TEST(image.at("accounts.billing_address_city") == Value("Wien"));

  // A deleted join row does not count.
  db() << "UPDATE accounts_contacts SET deleted = 1 WHERE id = "
          "'acx00002-0000-4000-8000-000000000000'";
  image = resolve("Contacts", kContact2, {"accounts.name"});
  BOOST_TEST(image.at("accounts.name") == Value("Brennerhof Handels GmbH"));

  // Nor does a deleted related record: then there is none left.
  db() << "UPDATE accounts SET deleted = 1 WHERE id = :a", soci::use(kAccount2);
  image = resolve("Contacts", kContact2, {"accounts.name"});
  BOOST_TEST(!image.at("accounts.name").has_value());
}

BOOST_FIXTURE_TEST_CASE(join_from_the_other_side, Fixture) {
  // Alpenblick's contacts: Lukas Gruber (con00001) and Julia Berger (con00002).
  const auto image = resolve("Accounts", kAccount1, {"contacts.last_name"});
  BOOST_TEST(image.at("contacts.last_name") == Value("Gruber"));
}

BOOST_FIXTURE_TEST_CASE(parent_link_to_a_lead, Fixture) {
  const auto image = resolve("Tasks", kTask1, {"parent.last_name", "parent.status", "parent.name"});
  BOOST_TEST(image.at("parent.last_name") == Value("Neumann"));
  BOOST_TEST(image.at("parent.status") == Value("Assigned"));
  // Leads have no `name` column: null, no error.
  BOOST_TEST(!image.at("parent.name").has_value());
}

BOOST_FIXTURE_TEST_CASE(parent_link_to_an_account, Fixture) {
  const auto image =
      resolve("Tasks", kTask3,
              {"parent.name", "parent.billing_address_city", "parent.deleted", "contact.email1"});
  BOOST_TEST(image.at("parent.name") == Value("Rheinwerk Maschinenbau AG"));
  BOOST_TEST(image.at("parent.billing_address_city") == Value("Köln"));
  BOOST_TEST(image.at("parent.deleted") == Value("0"));
  // A second relation in the same call.
  BOOST_TEST(image.at("contact.email1") == Value("sabine.schaefer@rheinwerk.example"));
}

BOOST_FIXTURE_TEST_CASE(parent_link_without_a_parent_reads_null, Fixture) {
  Record record = load("Tasks", kTask3);
  record.current["parent_type"] = "NoSuchModule";
  resolve_related_fields(db(), map(), module("Tasks"), {"parent.name"}, record);
  BOOST_TEST(!record.current.at("parent.name").has_value());

  record.current["parent_type"] = std::nullopt;
  record.current["parent.name"] = "stale";
  resolve_related_fields(db(), map(), module("Tasks"), {"parent.name"}, record);
  BOOST_TEST(!record.current.at("parent.name").has_value());

  db() << "UPDATE accounts SET deleted = 1 WHERE id = :a", soci::use(kAccount3);
  BOOST_TEST(!resolve("Tasks", kTask3, {"parent.name"}).at("parent.name").has_value());
}

BOOST_FIXTURE_TEST_CASE(quotes_and_unicode_survive, Fixture) {
  const std::string name = "O'Brien \"Ünïcødé\" 😀 \\ `x`; DROP TABLE accounts; --";
  db() << "UPDATE accounts SET name = :n WHERE id = :a", soci::use(name), soci::use(kAccount1);
  const auto image = resolve("Contacts", kContact1, {"account.name"});
  BOOST_TEST(image.at("account.name") == Value(name));
}

BOOST_FIXTURE_TEST_CASE(an_id_with_quotes_is_bound_not_spliced, Fixture) {
  Record record = load("Leads", kLead1);
  record.current["account_id"] = "x' OR '1'='1";
  resolve_related_fields(db(), map(), module("Leads"), {"account.name"}, record);
  BOOST_TEST(!record.current.at("account.name").has_value());
}

BOOST_FIXTURE_TEST_CASE(invalid_names_throw, Fixture) {
  Record record = load("Leads", kLead1);
  BOOST_CHECK_THROW(resolve_related_fields(db(), map(), module("Leads"), {"acount.name"}, record),
                    std::invalid_argument);
  BOOST_CHECK_THROW(resolve_related_fields(db(), map(), module("Leads"), {"status"}, record),
                    std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(check)

BOOST_FIXTURE_TEST_CASE(accepts_fields_of_each_relation_kind, Fixture) {
  BOOST_TEST(!check("Leads", "account.billing_address_country").has_value());
  BOOST_TEST(!check("Accounts", "primary_contact.email1").has_value());
  BOOST_TEST(!check("Contacts", "accounts.name").has_value());
  BOOST_TEST(!check("Tasks", "parent.name").has_value());
  BOOST_TEST(!check("Tasks", "parent.anything_at_all").has_value());
}

BOOST_FIXTURE_TEST_CASE(unknown_relation, Fixture) {
  BOOST_TEST(check("Leads", "acount.name") ==
             Value("module Leads has no relation 'acount'; relations: account, contact"));
  BOOST_TEST(check("Users", "account.name") ==
             Value("module Users has no relation 'account'; it has no relations"));
}

BOOST_FIXTURE_TEST_CASE(unknown_related_field, Fixture) {
  BOOST_TEST(check("Leads", "account.billing_country") ==
             Value("relation 'account' of Leads leads to Accounts, which has no field "
                   "'billing_country'"));
  BOOST_TEST(check("Contacts", "accounts.last_name") ==
             Value("relation 'accounts' of Contacts leads to Accounts, which has no field "
                   "'last_name'"));
  BOOST_TEST(check("Accounts", "primary_contact.name").has_value());
}

BOOST_FIXTURE_TEST_CASE(malformed_names, Fixture) {
  BOOST_TEST(check("Leads", "status") ==
             Value("'status' is not a related field: expected relation.field, e.g. account.name"));
  BOOST_TEST(check("Leads", "account.").has_value());
  BOOST_TEST(check("Leads", ".name").has_value());
  BOOST_TEST(check("Leads", "account.contact.name") ==
             Value("'account.contact.name': only one level of relation is supported "
                   "(relation.field, e.g. account.name)"));
  BOOST_TEST(check("Tasks", "parent.na me") ==
             Value("'parent.na me': 'na me' is not a field name (letters, digits and _ only)"));
  BOOST_TEST(check("Tasks", "parent.x`y").has_value());
}

BOOST_FIXTURE_TEST_CASE(without_introspection_only_the_relation_is_checked, Fixture) {
  ModuleMap map_copy = map();
  for (Module& m : map_copy.modules) m.columns.clear();
  const Module& leads = *map_copy.find("Leads");
  BOOST_TEST(!check_related_field(map_copy, leads, "account.billing_country").has_value());
  BOOST_TEST(check_related_field(map_copy, leads, "acount.name").has_value());
  // Reading needs the columns.
  Record record = load("Leads", kLead1);
  BOOST_CHECK_THROW(resolve_related_fields(db(), map_copy, leads, {"account.name"}, record),
                    std::logic_error);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(related_field_names_walks_the_condition_tree) {
  const auto conditions = nlohmann::ordered_json::parse(R"({
    "all": [
      {"field": "status", "op": "equals", "value": "New"},
      {"field": "account.billing_address_country", "op": "equals", "value": "Austria"},
      {"any": [
        {"not": {"field": "contact.email1", "op": "empty"}},
        {"field": "account.billing_address_country", "op": "equals", "value": "Germany"},
        {"all": [{"not": {"any": [{"field": "account.name", "op": "equals", "value": "x"}]}}]}
      ]},
      {"plugin": "some_condition", "params": {"field": "parent.name", "value": "y"}},
      {"field": 42, "op": "equals", "value": 1},
      {"field": "account.vat_id", "op": "changed"}
    ]
  })");
  const std::vector<std::string> expected = {"account.billing_address_country", "contact.email1",
                                             "account.name", "parent.name", "account.vat_id"};
  BOOST_TEST(related_field_names(conditions) == expected, boost::test_tools::per_element());
  BOOST_TEST(related_field_names(nlohmann::ordered_json::object()).empty());
  BOOST_TEST(related_field_names(nlohmann::ordered_json::parse(R"({"all": "oops"})")).empty());
}
