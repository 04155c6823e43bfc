// OpenJPH release builds keep assert() on (Debian builds them without NDEBUG),
// and 0.9.0 asserts on corrupt packet data that no header check can foresee
// (e.g. bb_read_bits "num_bits <= 32" in the packet-header parser). An assert
// aborts the whole process. We redirect libopenjph's own import of
// __assert_fail (its GOT slot) to a function that throws htj2k::InvalidCodestream
// instead, so a failed OpenJPH assertion unwinds like any other decode error.
#pragma once

namespace htj2k {

// Patches the GOT of every loaded libopenjph and libopenjp2 (OpenJPEG). Idempotent; returns true when the
// hook is in place (false: library not found or not patchable on this platform).
bool install_openjph_assert_hook();

}  // namespace htj2k
