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

// Redirects the __assert_fail GOT slots of the one loaded object whose segments
// contain `anchor` (an address of one of its functions) to a function that throws
// InvalidCodestream; once per `library` label ("OpenJPH"), later calls return the
// first result.
AssertRedirect redirect_asserts_in_object(const void* anchor, const char* library);
// The result of redirect_asserts_in_object for `library`, or "not installed yet".
AssertRedirect assert_redirect_state(const char* library);

// redirect_asserts_in_object for the libopenjph object htj2k calls into, and only
// that one (defined in messages.cpp, where the OpenJPH headers are included).
AssertRedirect redirect_openjph_asserts();
// What features()["assert_redirect"]["openjpeg"] says: OpenJPEG is never hooked
// ("not built with OpenJPEG" when htj2k has none).
std::string openjpeg_assert_policy();

}  // namespace htj2k
