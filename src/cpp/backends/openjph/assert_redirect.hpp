// OpenJPH release builds keep assert() on (Debian builds it without NDEBUG), and
// OpenJPH 0.9.0 asserts on corrupt data no header check foresees (bb_read_bits
// "num_bits <= 32" in its packet-header parser; the HT MEL decoder's "unstuff"
// check on damaged code-block bytes). An assert aborts the whole process. We
// redirect the __assert_fail import (its GOT slot) of exactly the libopenjph object
// our extension calls into -- found from the address of one of its functions
// (ojph::configure_error), never by name -- to a function that throws
// htj2k::InvalidCodestream, so a failed assertion unwinds like any other decode
// error through OpenJPH's C++ frames. No other object in the process is touched:
// another copy of OpenJPH, and every OpenJPEG (libopenjp2, ours included, and the
// ones Pillow, GDAL or OpenCV load) keep glibc's __assert_fail.
//
// OpenJPEG is deliberately not hooked: an exception thrown through its C frames
// would leave its state torn and leak, and the library is shared with the rest of
// the process. Its crash-safety rests on our own checks instead: every OpenJPEG
// assert() reachable from decoding a codestream in memory (2.5.0 and 2.5.3) is
// listed in codestream/ht_checks.hpp with the check that keeps its input away.
//
// The state is reported by htj2k.features()["assert_redirect"]: "installed in
// <path>", "failed: <why>" or "unsupported platform ..." for "openjph", and the
// fixed policy string for "openjpeg".
#pragma once
#include <string>

namespace htj2k {

struct AssertRedirect {
  bool installed = false;
  std::string state;   // "installed in <path>", "failed: <why>", "not installed yet", ...
  std::string object;  // path of the patched object ("" when none was found)
};

// Patches the object whose loaded segments contain `anchor` (an address of one of
// its functions), once per `library` label ("OpenJPH"); later calls return the
// first result.
AssertRedirect install_assert_redirect(const void* anchor, const char* library);
// The result of install_assert_redirect for `library`, or "not installed yet".
AssertRedirect assert_redirect_state(const char* library);

// The libopenjph htj2k decodes with (defined where its headers are included).
AssertRedirect install_openjph_assert_hook();
// What features()["assert_redirect"]["openjpeg"] says: OpenJPEG is never hooked
// ("not built with OpenJPEG" when htj2k has none).
std::string openjpeg_assert_policy();

}  // namespace htj2k
