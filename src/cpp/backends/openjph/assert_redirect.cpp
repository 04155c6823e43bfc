#include "backends/openjph/assert_redirect.hpp"

#include <cstring>
#include <map>
#include <mutex>
#include <string>

#include "core/errors.hpp"

#if defined(__linux__) && defined(__GLIBC__)
#include <elf.h>
#include <link.h>
#include <sys/mman.h>
#include <unistd.h>

namespace htj2k {
namespace {

[[noreturn]] void throw_on_failed_assert(const char* expr, const char* file, unsigned int line, const char*) {
  const char* base = std::strrchr(file, '/');
  // Only OpenJPH is ever redirected (assert_hook.hpp): OpenJPEG keeps glibc's.
  throw InvalidCodestream(std::string("OpenJPH internal assertion failed (") + expr + " at " +
                          (base ? base + 1 : file) + ":" + std::to_string(line) +
                          "): the codestream is corrupt or uses something OpenJPH cannot decode");
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

struct Target {
  uintptr_t anchor = 0;   // an address inside the object to patch (one of its functions)
  int slots = 0;          // __assert_fail relocations found
  int patched = 0;        // of which redirected
  bool found = false;
  std::string name;
};

// The one object whose loaded segments contain target->anchor; every other
// object in the process (another copy of the library, someone else's build) is
// left alone.
int patch_library(struct dl_phdr_info* info, size_t, void* data) {
  Target& target = *static_cast<Target*>(data);
  bool contains = false;
  for (int i = 0; i < info->dlpi_phnum && !contains; ++i) {
    const auto& ph = info->dlpi_phdr[i];
    const uintptr_t lo = info->dlpi_addr + ph.p_vaddr;
    contains = ph.p_type == PT_LOAD && target.anchor >= lo && target.anchor < lo + ph.p_memsz;
  }
  if (!contains) return 0;
  target.found = true;
  target.name = info->dlpi_name && *info->dlpi_name ? info->dlpi_name : "(main program)";
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
  if (!symtab || !strtab) return 1;
  int& patched = target.patched;
  auto scan = [&](const ElfW(Rela)* r, size_t bytes) {
    if (!r) return;
    for (size_t i = 0; i < bytes / sizeof(ElfW(Rela)); ++i) {
      const ElfW(Sym)& sym = symtab[ELF64_R_SYM(r[i].r_info)];
      if (std::strcmp(strtab + sym.st_name, "__assert_fail") != 0) continue;
      ++target.slots;
      if (patch_slot(reinterpret_cast<void**>(base + r[i].r_offset),
                     reinterpret_cast<void*>(&throw_on_failed_assert),
                     base + r[i].r_offset >= relro_lo && base + r[i].r_offset < relro_hi))
        ++patched;
    }
  };
  scan(jmprel, jmprel_size);  // lazy/PLT imports
  scan(rela, rela_size);      // GLOB_DAT imports (-fno-plt builds)
  return 1;  // found: stop iterating
}

std::mutex g_mutex;
std::map<std::string, AssertRedirect>& registry() {
  static std::map<std::string, AssertRedirect> r;
  return r;
}

}  // namespace

AssertRedirect redirect_asserts_in_object(const void* anchor, const char* library) {
  std::lock_guard<std::mutex> lock(g_mutex);
  auto it = registry().find(library);
  if (it != registry().end()) return it->second;
  Target target;
  target.anchor = reinterpret_cast<uintptr_t>(anchor);
  dl_iterate_phdr(&patch_library, &target);
  AssertRedirect r;
  r.object = target.name;
  if (!target.found) {
    r.state = "failed: no loaded object contains the " + std::string(library) + " symbol";
  } else if (target.slots == 0) {
    r.state = "not needed: " + target.name + " imports no __assert_fail (built with NDEBUG)";
  } else if (target.patched < target.slots) {
    // some slots may be redirected: a failed assertion may still abort the process
    r.state = "failed: mprotect refused " + std::to_string(target.slots - target.patched) + " of " +
              std::to_string(target.slots) + " __assert_fail GOT slots in " + target.name;
  } else {
    r.installed = true;
    r.state = "installed in " + target.name;
  }
  registry()[library] = r;
  return r;
}

AssertRedirect assert_redirect_state(const char* library) {
  std::lock_guard<std::mutex> lock(g_mutex);
  auto it = registry().find(library);
  if (it != registry().end()) return it->second;
  AssertRedirect r;
  r.state = "not installed yet";
  return r;
}

}  // namespace htj2k
#else
namespace htj2k {
AssertRedirect redirect_asserts_in_object(const void*, const char*) {
  AssertRedirect r;
  r.state = "unsupported platform (needs Linux/glibc)";
  return r;
}
AssertRedirect assert_redirect_state(const char* library) { return redirect_asserts_in_object(nullptr, library); }
}  // namespace htj2k
#endif
