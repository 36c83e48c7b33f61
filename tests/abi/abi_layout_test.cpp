// The v1 ABI's layout, written down as numbers (x86_64, LP64). A plugin built years ago
// relies on these exact offsets: if one changes, old plugins break. Never update a number
// here to make this test pass; append new members at the end of a struct instead.
#define BOOST_TEST_MODULE abi_layout_test
#include <crmflow/abi.h>

#include <boost/test/unit_test.hpp>
#include <cstddef>

BOOST_AUTO_TEST_CASE(version_and_entry_point) {
  BOOST_TEST(CRMFLOW_ABI_MAJOR == 1);
  BOOST_TEST(std::string(CRMFLOW_ENTRY_POINT) == "crmflow_plugin_query");
}

BOOST_AUTO_TEST_CASE(constants) {
  BOOST_TEST(CRMFLOW_OK == 0);
  BOOST_TEST(CRMFLOW_ERROR == 1);
  BOOST_TEST(CRMFLOW_NOT_FOUND == 2);
  BOOST_TEST(CRMFLOW_INCOMPATIBLE == 3);
  BOOST_TEST(CRMFLOW_DEADLINE == 4);
  BOOST_TEST(CRMFLOW_KIND_TRIGGER == 1);
  BOOST_TEST(CRMFLOW_KIND_CONDITION == 2);
  BOOST_TEST(CRMFLOW_KIND_ACTION == 3);
  BOOST_TEST(CRMFLOW_EFFECT_NONE == 0);
  BOOST_TEST(CRMFLOW_EFFECT_DATABASE == 1);
  BOOST_TEST(CRMFLOW_EFFECT_EXTERNAL == 2);
  BOOST_TEST(CRMFLOW_IMAGE_CURRENT == 0);
  BOOST_TEST(CRMFLOW_IMAGE_NEW == 1);
  BOOST_TEST(CRMFLOW_IMAGE_OLD == 2);
  BOOST_TEST(CRMFLOW_VALUE_NULL == 0);
  BOOST_TEST(CRMFLOW_VALUE_TEXT == 1);
  BOOST_TEST(CRMFLOW_LOG_DEBUG == 0);
  BOOST_TEST(CRMFLOW_LOG_INFO == 1);
  BOOST_TEST(CRMFLOW_LOG_WARN == 2);
  BOOST_TEST(CRMFLOW_LOG_ERROR == 3);
}

BOOST_AUTO_TEST_CASE(crmflow_str_layout) {
  BOOST_TEST(sizeof(crmflow_str) == 16u);
  BOOST_TEST(offsetof(crmflow_str, ptr) == 0u);
  BOOST_TEST(offsetof(crmflow_str, len) == 8u);
}

BOOST_AUTO_TEST_CASE(crmflow_value_layout) {
  BOOST_TEST(sizeof(crmflow_value) == 24u);
  BOOST_TEST(offsetof(crmflow_value, type) == 0u);
  BOOST_TEST(offsetof(crmflow_value, reserved) == 4u);
  BOOST_TEST(offsetof(crmflow_value, text) == 8u);
}

BOOST_AUTO_TEST_CASE(crmflow_host_api_v1_0_layout) {
  // The host's table only grows: v1.0 members keep these offsets in every 1.x host.
  BOOST_TEST(sizeof(crmflow_host_api) >= 64u);
  BOOST_TEST(offsetof(crmflow_host_api, struct_size) == 0u);
  BOOST_TEST(offsetof(crmflow_host_api, abi_major) == 4u);
  BOOST_TEST(offsetof(crmflow_host_api, abi_minor) == 8u);
  BOOST_TEST(offsetof(crmflow_host_api, reserved) == 12u);
  BOOST_TEST(offsetof(crmflow_host_api, log) == 16u);
  BOOST_TEST(offsetof(crmflow_host_api, set_error) == 24u);
  BOOST_TEST(offsetof(crmflow_host_api, remaining_ms) == 32u);
  BOOST_TEST(offsetof(crmflow_host_api, record_module) == 40u);
  BOOST_TEST(offsetof(crmflow_host_api, record_id) == 48u);
  BOOST_TEST(offsetof(crmflow_host_api, record_field) == 56u);
}

BOOST_AUTO_TEST_CASE(crmflow_host_api_v1_1_layout) {
  BOOST_TEST(CRMFLOW_ABI_MINOR >= 1);
  BOOST_TEST(sizeof(crmflow_host_api) >= 104u);
  BOOST_TEST(offsetof(crmflow_host_api, create_record) == 64u);
  BOOST_TEST(offsetof(crmflow_host_api, update_record) == 72u);
  BOOST_TEST(offsetof(crmflow_host_api, link_records) == 80u);
  BOOST_TEST(offsetof(crmflow_host_api, run_as_user) == 88u);
  BOOST_TEST(offsetof(crmflow_host_api, last_error) == 96u);
  BOOST_TEST(CRMFLOW_LINK_TO_RECORD == 1);
}

BOOST_AUTO_TEST_CASE(crmflow_host_api_v1_2_layout) {
  BOOST_TEST(CRMFLOW_ABI_MINOR >= 2);
  BOOST_TEST(sizeof(crmflow_host_api) >= 112u);
  BOOST_TEST(offsetof(crmflow_host_api, shift_time) == 104u);
  BOOST_TEST(CRMFLOW_UNIT_MINUTE == 1);
  BOOST_TEST(CRMFLOW_UNIT_HOUR == 2);
  BOOST_TEST(CRMFLOW_UNIT_DAY == 3);
  BOOST_TEST(CRMFLOW_UNIT_WEEK == 4);
  BOOST_TEST(CRMFLOW_UNIT_MONTH == 5);
  BOOST_TEST(CRMFLOW_UNIT_YEAR == 6);
  BOOST_TEST(CRMFLOW_TIME_START_OF_DAY == 1);
}

BOOST_AUTO_TEST_CASE(crmflow_host_api_v1_3_layout) {
  BOOST_TEST(CRMFLOW_ABI_MINOR >= 3);
  BOOST_TEST(sizeof(crmflow_host_api) >= 152u);
  BOOST_TEST(offsetof(crmflow_host_api, render) == 112u);
  BOOST_TEST(offsetof(crmflow_host_api, settings) == 120u);
  BOOST_TEST(offsetof(crmflow_host_api, related_records) == 128u);
  BOOST_TEST(offsetof(crmflow_host_api, raise_alert) == 136u);
  BOOST_TEST(offsetof(crmflow_host_api, job_key) == 144u);
  BOOST_TEST(CRMFLOW_ESCAPE_TEXT == 0);
  BOOST_TEST(CRMFLOW_ESCAPE_HTML == 1);
  BOOST_TEST(CRMFLOW_ESCAPE_URL == 2);
  BOOST_TEST(CRMFLOW_ESCAPE_HEADER == 3);
}

BOOST_AUTO_TEST_CASE(crmflow_host_api_v1_4_layout) {
  BOOST_TEST(CRMFLOW_ABI_MINOR >= 4);
  BOOST_TEST(sizeof(crmflow_host_api) >= 184u);
  BOOST_TEST(offsetof(crmflow_host_api, tick_window) == 152u);
  BOOST_TEST(offsetof(crmflow_host_api, local_time) == 160u);
  BOOST_TEST(offsetof(crmflow_host_api, utc_time) == 168u);
  BOOST_TEST(offsetof(crmflow_host_api, fire) == 176u);
}

BOOST_AUTO_TEST_CASE(crmflow_host_api_v1_5_layout) {
  BOOST_TEST(CRMFLOW_ABI_MINOR >= 5);
  BOOST_TEST(sizeof(crmflow_host_api) >= 192u);
  BOOST_TEST(offsetof(crmflow_host_api, run_action) == 184u);
}

BOOST_AUTO_TEST_CASE(crmflow_component_v1_0_layout) {
  BOOST_TEST(sizeof(crmflow_component) >= 104u);
  BOOST_TEST(offsetof(crmflow_component, struct_size) == 0u);
  BOOST_TEST(offsetof(crmflow_component, kind) == 4u);
  BOOST_TEST(offsetof(crmflow_component, effect) == 8u);
  BOOST_TEST(offsetof(crmflow_component, flags) == 12u);
  BOOST_TEST(offsetof(crmflow_component, name) == 16u);
  BOOST_TEST(offsetof(crmflow_component, version) == 32u);
  BOOST_TEST(offsetof(crmflow_component, params_schema) == 48u);
  BOOST_TEST(offsetof(crmflow_component, create) == 64u);
  BOOST_TEST(offsetof(crmflow_component, destroy) == 72u);
  BOOST_TEST(offsetof(crmflow_component, evaluate) == 80u);
  BOOST_TEST(offsetof(crmflow_component, run) == 88u);
  BOOST_TEST(offsetof(crmflow_component, tick) == 96u);
}

BOOST_AUTO_TEST_CASE(crmflow_plugin_v1_0_layout) {
  BOOST_TEST(sizeof(crmflow_plugin) >= 56u);
  BOOST_TEST(offsetof(crmflow_plugin, struct_size) == 0u);
  BOOST_TEST(offsetof(crmflow_plugin, abi_major) == 4u);
  BOOST_TEST(offsetof(crmflow_plugin, abi_minor) == 8u);
  BOOST_TEST(offsetof(crmflow_plugin, component_count) == 12u);
  BOOST_TEST(offsetof(crmflow_plugin, pack_id) == 16u);
  BOOST_TEST(offsetof(crmflow_plugin, pack_version) == 32u);
  BOOST_TEST(offsetof(crmflow_plugin, components) == 48u);
}

BOOST_AUTO_TEST_CASE(has_member_reads_struct_size) {
  crmflow_host_api small{};
  small.struct_size = 48;  // a host table that ends after record_module
  BOOST_TEST(CRMFLOW_HAS_MEMBER(&small, crmflow_host_api, record_module));
  BOOST_TEST(!CRMFLOW_HAS_MEMBER(&small, crmflow_host_api, record_id));
}
