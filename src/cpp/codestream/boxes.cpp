// The JP2-family box walker (15444-1 Annex I, 15444-15 for JPH): finds the
// codestream in a JPH/JP2 file (header.hpp: locate_codestream).
#include <cstring>
#include <string>

#include "codestream/header.hpp"
#include "codestream/markers.hpp"
#include "core/bytes.hpp"
#include "core/errors.hpp"

namespace htj2k {
namespace {

[[noreturn]] void fail(const std::string& msg) { throw InvalidCodestream(msg); }

const uint8_t kSocSiz[4] = {0xFF, 0x4F, 0xFF, 0x51};

// Box type as printable text (escaped: it ends up in messages read as UTF-8).
std::string box_type(const uint8_t* p) {
  std::string type;
  for (int i = 0; i < 4; ++i) {
    const uint8_t ch = p[i];
    if (ch >= 0x20 && ch < 0x7F) {
      type += char(ch);
    } else {
      static const char* hex = "0123456789abcdef";
      type += "\\x";
      type += hex[ch >> 4];
      type += hex[ch & 15];
    }
  }
  return type;
}

// The first bytes of a codestream (SOC SIZ) or of a JP2 signature box, cut short:
// the first bytes of a frame, too few to tell anything.
void refuse_cut_signature(const uint8_t* data, size_t size, const uint8_t* signature) {
  if (!data || size == 0) return;
  if ((size < 4 && std::memcmp(data, kSocSiz, size) == 0) || (size < 12 && std::memcmp(data, signature, size) == 0))
    throw IncompleteCodestream("codestream incomplete: the data ends after " + std::to_string(size) +
                                   " bytes, inside the " + (data[0] == 0xFF ? "SOC/SIZ markers" : "JP2 signature box"),
                               0);
}

}  // namespace

const char* container_name(Container c) {
  switch (c) {
    case Container::Codestream: return "j2c";
    case Container::JPH: return "jph";
    case Container::JP2: return "jp2";
  }
  return "?";
}

CodestreamSpan locate_codestream(const uint8_t* data, size_t size) {
  if (data && size >= 4 && be16(data) == kSOC && be16(data + 2) == kSIZ)
    return CodestreamSpan{0, size, Container::Codestream};
  static const uint8_t kSignature[12] = {0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50,
                                         0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A};
  refuse_cut_signature(data, size, kSignature);
  if (!data || size < 12 || std::memcmp(data, kSignature, 12) != 0)
    fail("not a JPEG 2000 codestream or JP2-family file");

  Container container = Container::JP2;
  size_t pos = 12;
  while (pos < size) {
    const size_t left = size - pos;
    if (left < 8)
      throw IncompleteCodestream("codestream incomplete: box header at offset " + std::to_string(pos) +
                                     " runs past end of file", 0);
    uint64_t len = be32(data + pos);
    const std::string type = box_type(data + pos + 4);
    size_t header = 8;
    if (len == 1) {  // 64-bit XLBox follows
      if (left < 16)
        fail("box '" + type + "' at offset " + std::to_string(pos) + ": XLBox runs past end of file");
      len = be64(data + pos + 8);
      header = 16;
      if (len < 16)
        fail("box '" + type + "' at offset " + std::to_string(pos) + ": invalid length " +
             std::to_string(len));
    } else if (len == 0) {  // box runs to the end of the file
      len = left;
    } else if (len < 8) {
      fail("box '" + type + "' at offset " + std::to_string(pos) + ": invalid length " +
           std::to_string(len));
    }
    const bool is_jp2c = type == "jp2c";
    // A jp2c box cut short is kept (clipped): the codestream parser then reports the
    // truncation precisely. Any other box must fit.
    if (len > left) {
      if (!is_jp2c)
        throw IncompleteCodestream("codestream incomplete: box '" + type + "' at offset " + std::to_string(pos) +
                                       ": length " + std::to_string(len) + " runs past end of file (" +
                                       std::to_string(size) + " bytes)",
                                   0);
      len = left;
    }
    if (type == "ftyp") {
      if (len - header < 4)
        fail("box 'ftyp' at offset " + std::to_string(pos) + ": too short for a brand");
      container = std::memcmp(data + pos + header, "jph ", 4) == 0 ? Container::JPH : Container::JP2;
    } else if (is_jp2c) {
      const size_t payload = pos + header;
      const size_t n = size_t(len) - header;
      if (n < 4 && std::memcmp(data + payload, kSocSiz, n) == 0)
        throw IncompleteCodestream("codestream incomplete: the data ends " + std::to_string(n) +
                                       " bytes into the jp2c box at offset " + std::to_string(pos), 0);
      if (n < 4 || be16(data + payload) != kSOC || be16(data + payload + 2) != kSIZ)
        fail("jp2c box at offset " + std::to_string(pos) +
             ": payload does not start with SOC and SIZ");
      return CodestreamSpan{payload, n, container};
    }
    pos += size_t(len);
  }
  // A prefix of a JPH file may end before its codestream starts.
  throw IncompleteCodestream("codestream incomplete: the data ends (" + std::to_string(size) +
                                 " bytes) before a jp2c (codestream) box",
                             0);
}

}  // namespace htj2k
