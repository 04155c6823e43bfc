// Wall-clock seconds of each stage of one encode with our encoder: the test-only
// per-stage profile (htj2k_testing.encode_stage_times, benches/test_encode_stages.py)
// asks for them through EncodeOptions::stage_times. Unasked (nullptr), a mark is one
// test of a pointer: no clock is read.
#pragma once
#include <chrono>

namespace htj2k {

struct EncodeStageTimes {
  double checks = 0;   // option checks and the sample range check (encode_image)
  double header = 0;   // main header written, read back, tile layouts
  double load = 0;     // samples widened, DC shift, colour transform (a whole-plane load:
                       // with the colour transform only; otherwise the DWT reads the image)
  double dwt = 0;      // forward 5/3 DWT of every tile-component (level checksums when asked)
  double blocks = 0;   // code-block plan and HT block coding
  double packets = 0;  // packet headers and bodies, tile-parts (Tier-2)
  double finish = 0;   // decodability check, tile-parts per resolution, TLM, PLT, JPH
};

// Adds the time since the previous mark (or construction, or restart) to a stage.
class StageClock {
 public:
  explicit StageClock(EncodeStageTimes* times) : times_(times) { restart(); }
  void restart() {
    if (times_) last_ = Clock::now();
  }
  void mark(double EncodeStageTimes::*stage) {
    if (!times_) return;
    const Clock::time_point now = Clock::now();
    times_->*stage += std::chrono::duration<double>(now - last_).count();
    last_ = now;
  }

 private:
  using Clock = std::chrono::steady_clock;
  EncodeStageTimes* times_;
  Clock::time_point last_{};
};

}  // namespace htj2k
