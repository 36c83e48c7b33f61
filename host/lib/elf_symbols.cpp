#include "crmflow/host/elf_symbols.hpp"

#include <elf.h>

#include <cstring>
#include <fstream>

namespace crmflow {
namespace {

template <class T>
bool read_at(std::ifstream& in, uint64_t offset, T& out) {
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(reinterpret_cast<char*>(&out), sizeof(T));
  return static_cast<bool>(in);
}

}  // namespace

std::expected<std::vector<std::string>, std::string> elf_dynamic_symbols(
    const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::unexpected("cannot open " + file.string());

  Elf64_Ehdr header{};
  if (!read_at(in, 0, header) || std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 ||
      header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_ident[EI_DATA] != ELFDATA2LSB) {
    return std::unexpected("not a 64-bit little-endian ELF file");
  }
  if (header.e_shentsize != sizeof(Elf64_Shdr))
    return std::unexpected("unexpected section header size");

  std::vector<Elf64_Shdr> sections(header.e_shnum);
  for (uint16_t i = 0; i < header.e_shnum; ++i) {
    if (!read_at(in, header.e_shoff + uint64_t{i} * sizeof(Elf64_Shdr), sections[i])) {
      return std::unexpected("truncated section header table");
    }
  }

  std::vector<std::string> names;
  for (const Elf64_Shdr& section : sections) {
    if (section.sh_type != SHT_DYNSYM || section.sh_entsize != sizeof(Elf64_Sym)) continue;
    if (section.sh_link >= sections.size()) return std::unexpected("bad .dynsym string table link");
    const Elf64_Shdr& strtab = sections[section.sh_link];
    std::string strings(strtab.sh_size, '\0');
    in.seekg(static_cast<std::streamoff>(strtab.sh_offset));
    if (!in.read(strings.data(), static_cast<std::streamsize>(strings.size()))) {
      return std::unexpected("truncated .dynstr");
    }
    for (uint64_t i = 1; i < section.sh_size / sizeof(Elf64_Sym); ++i) {
      Elf64_Sym symbol{};
      if (!read_at(in, section.sh_offset + i * sizeof(Elf64_Sym), symbol)) {
        return std::unexpected("truncated .dynsym");
      }
      if (symbol.st_shndx == SHN_UNDEF || symbol.st_name >= strings.size()) continue;
      names.emplace_back(strings.c_str() + symbol.st_name);
    }
  }
  return names;
}

}  // namespace crmflow
