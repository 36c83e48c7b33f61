#define BOOST_TEST_MODULE config_test
#include <boost/test/unit_test.hpp>
BOOST_AUTO_TEST_CASE(placeholder_replaced_below) {}
