#include "codestream/markers.hpp"

namespace htj2k {

std::string hex16(uint16_t v) {
  static const char* hex = "0123456789ABCDEF";
  std::string s = "0x";
  for (int shift = 12; shift >= 0; shift -= 4) s += hex[(v >> shift) & 0xF];
  return s;
}

std::string marker_name(uint16_t m) {
  switch (m) {
    case kSOC: return "SOC";  case kCAP: return "CAP";  case kSIZ: return "SIZ";
    case kCOD: return "COD";  case kCOC: return "COC";  case kTLM: return "TLM";
    case kPRF: return "PRF";  case kPLM: return "PLM";  case kPLT: return "PLT";
    case kCPF: return "CPF";  case kQCD: return "QCD";  case kQCC: return "QCC";
    case kRGN: return "RGN";  case kPOC: return "POC";  case kPPM: return "PPM";
    case kPPT: return "PPT";  case kCRG: return "CRG";  case kCOM: return "COM";
    case kSOT: return "SOT";  case kSOP: return "SOP";  case kEPH: return "EPH";
    case kSOD: return "SOD";  case kEOC: return "EOC";
    default: return hex16(m);
  }
}

bool is_lengthless(uint16_t m) {
  return (m >= 0xFF30 && m <= 0xFF3F) || m == kSOC || m == kSOD || m == kEOC ||
         m == kEPH || m == kSOP;
}

}  // namespace htj2k
