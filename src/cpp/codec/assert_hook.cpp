#include "codec/assert_hook.hpp"

#include <cstring>
#include <mutex>
#include <string>

#include "codec/errors.hpp"

#if defined(__linux__) && defined(__GLIBC__)
#include <elf.h>
#include <link.h>
#include <sys/mman.h>
#include <unistd.h>

namespace htj2k {
namespace {

[[noreturn]] void ojph_assert_fail(const char* expr, const char* file, unsigned int line, const char*) {
  const char* base = std::strrchr(file, '/');
  // OpenJPEG's sources live under src/lib/openjp2; everything else hooked is OpenJPH.
  const char* lib = std::strstr(file, "openjp2") ? "OpenJPEG" : "OpenJPH";
  throw InvalidCodestream(std::string(lib) + " internal assertion failed (" + expr + " at " +
                          (base ? base + 1 : file) + ":" + std::to_string(line) +
                          "): the codestream is corrupt or uses something " + lib + " cannot decode");
}

bool patch_slot(void** slot, void* target, bool read_only_after) {
  const long page = sysconf(_SC_PAGESIZE);
  auto start = reinterpret_cast<uintptr_t>(slot) & ~uintptr_t(page - 1);
  // A GOT inside the RELRO segment is read-only after relocation: make it
  // writable briefly and restore. Outside RELRO (no BIND_NOW) the page also
  // holds writable data and must stay writable.
  if (mprotect(reinterpret_cast<void*>(start), size_t(page), PROT_READ | PROT_WRITE) != 0) return false;
  *slot = target;
  if (read_only_after) mprotect(reinterpret_cast<void*>(start), size_t(page), PROT_READ);
  return true;
}

template <typename T>
T dyn_ptr(ElfW(Addr) base, ElfW(Addr) value) {
  // glibc relocates these .dynamic entries in place on most targets; not on all.
  return reinterpret_cast<T>(value < base ? base + value : value);
}

int patch_library(struct dl_phdr_info* info, size_t, void* data) {
  // libopenjp2 (OpenJPEG, C) too: Debian's x86-64 build has unwind tables
  // (.eh_frame), so the exception unwinds through its frames; it decodes on the
  // calling thread (opj_codec_set_threads(.., 1)). Its HT decoder asserts on
  // damaged code-block bytes (ht_dec.c mel_init).
  if (!info->dlpi_name || (!std::strstr(info->dlpi_name, "libopenjph") && !std::strstr(info->dlpi_name, "libopenjp2")))
    return 0;
  const ElfW(Addr) base = info->dlpi_addr;
  const ElfW(Dyn)* dyn = nullptr;
  uintptr_t relro_lo = 0, relro_hi = 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const auto& ph = info->dlpi_phdr[i];
    if (ph.p_type == PT_DYNAMIC) dyn = reinterpret_cast<const ElfW(Dyn)*>(base + ph.p_vaddr);
    if (ph.p_type == PT_GNU_RELRO) {
      // the loader protects whole pages, rounding the end down
      const long page = sysconf(_SC_PAGESIZE);
      relro_lo = (base + ph.p_vaddr) & ~uintptr_t(page - 1);
      relro_hi = (base + ph.p_vaddr + ph.p_memsz) & ~uintptr_t(page - 1);
    }
  }
  if (!dyn) return 0;
  const ElfW(Sym)* symtab = nullptr;
  const char* strtab = nullptr;
  const ElfW(Rela)* jmprel = nullptr;
  const ElfW(Rela)* rela = nullptr;
  size_t jmprel_size = 0, rela_size = 0;
  for (const ElfW(Dyn)* d = dyn; d->d_tag != DT_NULL; ++d) {
    switch (d->d_tag) {
      case DT_SYMTAB: symtab = dyn_ptr<const ElfW(Sym)*>(base, d->d_un.d_ptr); break;
      case DT_STRTAB: strtab = dyn_ptr<const char*>(base, d->d_un.d_ptr); break;
      case DT_JMPREL: jmprel = dyn_ptr<const ElfW(Rela)*>(base, d->d_un.d_ptr); break;
      case DT_PLTRELSZ: jmprel_size = d->d_un.d_val; break;
      case DT_RELA: rela = dyn_ptr<const ElfW(Rela)*>(base, d->d_un.d_ptr); break;
      case DT_RELASZ: rela_size = d->d_un.d_val; break;
      default: break;
    }
  }
  if (!symtab || !strtab) return 0;
  int& patched = *static_cast<int*>(data);
  auto scan = [&](const ElfW(Rela)* r, size_t bytes) {
    if (!r) return;
    for (size_t i = 0; i < bytes / sizeof(ElfW(Rela)); ++i) {
      const ElfW(Sym)& sym = symtab[ELF64_R_SYM(r[i].r_info)];
      if (std::strcmp(strtab + sym.st_name, "__assert_fail") == 0 &&
          patch_slot(reinterpret_cast<void**>(base + r[i].r_offset),
                     reinterpret_cast<void*>(&ojph_assert_fail),
                     base + r[i].r_offset >= relro_lo && base + r[i].r_offset < relro_hi))
        ++patched;
    }
  };
  scan(jmprel, jmprel_size);  // lazy/PLT imports
  scan(rela, rela_size);      // GLOB_DAT imports (-fno-plt builds)
  return 0;
}

}  // namespace

bool install_openjph_assert_hook() {
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] {
    int patched = 0;
    dl_iterate_phdr(&patch_library, &patched);
    ok = patched > 0;
  });
  return ok;
}

}  // namespace htj2k
#else
namespace htj2k {
bool install_openjph_assert_hook() { return false; }
}  // namespace htj2k
#endif
