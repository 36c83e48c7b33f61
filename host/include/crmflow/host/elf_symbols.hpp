// Reading a shared object's exported symbols without loading it.
#pragma once

#include <expected>
#include <filesystem>
#include <string>
#include <vector>

namespace crmflow {

// Names of the symbols a 64-bit little-endian ELF file defines in its dynamic symbol table
// (.dynsym) — the table a stripped library keeps. Boost 1.74's library_info reads only
// .symtab, which `strip` removes. Fails with a message when the file is not such an ELF.
std::expected<std::vector<std::string>, std::string> elf_dynamic_symbols(
    const std::filesystem::path& file);

}  // namespace crmflow
