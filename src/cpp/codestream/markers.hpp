// Marker codes and names (15444-1 Table A.2, 15444-15 for CAP, 15444-1 Amd for PRF/CPF).
#pragma once
#include <cstdint>
#include <string>

namespace htj2k {

enum : uint16_t {
  kSOC = 0xFF4F, kCAP = 0xFF50, kSIZ = 0xFF51, kCOD = 0xFF52, kCOC = 0xFF53,
  kTLM = 0xFF55, kPRF = 0xFF56, kPLM = 0xFF57, kPLT = 0xFF58, kCPF = 0xFF59,
  kQCD = 0xFF5C, kQCC = 0xFF5D, kRGN = 0xFF5E, kPOC = 0xFF5F, kPPM = 0xFF60,
  kPPT = 0xFF61, kCRG = 0xFF63, kCOM = 0xFF64, kSOT = 0xFF90, kSOP = 0xFF91,
  kEPH = 0xFF92, kSOD = 0xFF93, kEOC = 0xFFD9,
};

// "0x1234"
std::string hex16(uint16_t v);
// "COD", or hex16(m) for a code without a name.
std::string marker_name(uint16_t m);
// Markers that carry no segment: SOC, SOD, EOC, EPH, SOP's marker itself, and the
// reserved 0xFF30..0xFF3F (15444-1 A.1.4).
bool is_lengthless(uint16_t m);

}  // namespace htj2k
