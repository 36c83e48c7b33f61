# crmflow_add_plugin(<name> <sources>...)
#
# Builds a crmflow plugin: a shared library named exactly <name>.so (no "lib" prefix, as
# the host looks plugins up by name), hidden visibility so only the entry point is
# exported, and never stripped (the host reads its symbols before loading it).
function(crmflow_add_plugin name)
  add_library(${name} MODULE ${ARGN})
  target_link_libraries(${name} PRIVATE crmflow::sdk)
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(NOT DEFINED CMAKE_CXX_STANDARD OR CMAKE_CXX_STANDARD LESS 17)
    target_compile_features(${name} PRIVATE cxx_std_17)
  endif()
  if(DEFINED CRMFLOW_PLUGIN_OUTPUT_DIR)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${CRMFLOW_PLUGIN_OUTPUT_DIR})
  endif()
endfunction()
