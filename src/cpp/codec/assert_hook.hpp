// OpenJPH and OpenJPEG release builds keep assert() on (Debian builds them without
// NDEBUG), and both assert on corrupt data no header check foresees (OpenJPH 0.9.0:
// bb_read_bits "num_bits <= 32" in its packet-header parser; both: the HT MEL
// decoder's "unstuff" check on damaged code-block bytes). An assert aborts the whole
// process. We redirect the __assert_fail import (its GOT slot) of exactly the object
// our extension calls into -- found from the address of one of its functions, never
// by name -- to a function that throws htj2k::InvalidCodestream, so a failed
// assertion unwinds like any other decode error. Any other copy of either library
// in the process (loaded by Pillow, GDAL, a second OpenJPEG build) is not touched.
// The state is reported by htj2k.features()["assert_redirect"].
#pragma once
#include <string>

namespace htj2k {

struct AssertRedirect {
  bool installed = false;
  std::string state;   // "installed in <path>", "failed: <why>", "not installed yet", ...
  std::string object;  // path of the patched object ("" when none was found)
};

// Patches the object whose loaded segments contain `anchor` (an address of one of
// its functions), once per `library` label ("OpenJPH", "OpenJPEG"); later calls
// return the first result.
AssertRedirect install_assert_redirect(const void* anchor, const char* library);
// The result of install_assert_redirect for `library`, or "not installed yet".
AssertRedirect assert_redirect_state(const char* library);

// The two objects htj2k decodes with (defined where their headers are included).
AssertRedirect install_openjph_assert_hook();
AssertRedirect install_openjpeg_assert_hook();

}  // namespace htj2k
