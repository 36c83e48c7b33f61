// The fault tests (tests/faults): the crmflow binary under crashes, kills, poison events, two
// hosts, CRM load, a restarted database and schema drift. Each test case gets a fresh demo
// database of the private MariaDB (eval "$(scripts/mariadb.sh env)").
#define BOOST_TEST_MODULE crmflow fault tests
#include <boost/test/unit_test.hpp>
