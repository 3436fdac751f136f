#pragma once
#include <array>
#include <cstdint>
#include <string>

#include "protocol/bytes.hpp"
#include "protocol/messages.hpp"

namespace rd {

constexpr char kMagic[4] = {'R', 'D', 'S', 'P'};
constexpr std::uint16_t kVersionMajor = 1;
constexpr std::uint16_t kVersionMinor = 0;

// Capability bits: each side lists what it supports; the server grants the intersection.
enum Capability : std::uint32_t {
  kCapCursor = 1u << 0,  // Cursor messages; the viewer draws the pointer itself
  kCapResize = 1u << 1,  // Resize messages
  kCapPing = 1u << 2,    // Ping/Pong keepalive and round-trip measurement
  kCapClipboard = 1u << 3,  // Clipboard messages both ways
  kCapCopyRect = 1u << 4,   // CopyRect messages (scrolls and moves found in the pixels)
  kCapTileCache = 1u << 5,  // the tile cache: TileUpdate store flag, CacheRef, CacheAnnounce
  kCapViewOnly = 1u << 6,   // granted only: the password given is a view-only one, input is ignored
};
constexpr std::uint32_t kCapsV1 = kCapCursor | kCapResize | kCapPing | kCapClipboard | kCapCopyRect | kCapTileCache;

enum class Encoding : std::uint8_t { Pixels = 0, Ops = 1, Auto = 2 };
const char* encoding_name(Encoding e);

enum class Subsampling : std::uint8_t { S444 = 0, S420 = 1 };

constexpr std::uint8_t kLossless = 100;   // quality 100 means: never a lossy codec
constexpr std::uint8_t kAnyCodec = 0xFF;  // no forced codec
enum class PixelFormat : std::uint8_t { BGRA8888 = 1 };

struct ClientHello {
  std::uint16_t version_major = kVersionMajor;
  std::uint16_t version_minor = kVersionMinor;
  std::uint32_t capabilities = kCapsV1;
  Encoding encoding = Encoding::Pixels;
  std::uint8_t quality = kLossless;  // 1..99 allows JPEG at that quality
  Subsampling subsampling = Subsampling::S420;
  std::uint8_t forced_codec = kAnyCodec;  // a TileCodec id: every non-solid tile in it
  std::uint32_t codecs = 0;               // bit per TileCodec the viewer decodes
  std::uint32_t cache_kib = 0;                     // the viewer's tile cache (with kCapTileCache)
  std::uint32_t glyph_cache_kib = 4096;            // command encoding: the viewer's glyph cache
  std::uint32_t max_message = kDefaultMaxMessage;  // largest body the viewer accepts
  std::uint8_t auth = 0;                           // 0: none
  std::string name;                                // the viewer's name, for logs
};

// The largest screen side either end accepts (hello, Resize): a hostile server cannot make
// a viewer allocate more than 8192 x 8192 x 4 bytes (256 MiB) for its screen.
constexpr int kMaxScreenSide = 8192;

struct ServerHello {
  std::uint16_t version_major = kVersionMajor;
  std::uint16_t version_minor = kVersionMinor;
  std::uint32_t capabilities = 0;  // granted
  std::uint16_t width = 0, height = 0;
  PixelFormat format = PixelFormat::BGRA8888;
  Encoding encoding = Encoding::Pixels;  // granted
  std::uint32_t max_message = kDefaultMaxViewerMessage;  // largest body the server accepts
  std::string session_name;
};

Bytes encode(const ClientHello&);
Bytes encode(const ServerHello&);
// Both throw DecodeError on a bad magic or a short body (version checks are the
// receiver's: see negotiate()).
ClientHello decode_client_hello(ByteView body);
ServerHello decode_server_hello(ByteView body);

// The server's answer to a hello: the granted parameters, or an error to send back.
struct Negotiated {
  bool ok = false;
  ErrorMsg error;
  std::uint16_t minor = 0;
  std::uint32_t capabilities = 0;
  Encoding encoding = Encoding::Pixels;
};
Negotiated negotiate(const ClientHello& hello, std::uint32_t server_caps);

// Password authentication (docs/protocol.md, "Authentication"): the server answers a
// ClientHello with a challenge; the viewer proves it knows a password without sending
// it: HMAC-SHA256 keyed with the password over kAuthContext followed by the nonce.
constexpr std::uint8_t kAuthHmacSha256 = 1;
constexpr std::size_t kAuthNonceSize = 32, kAuthMacSize = 32;
constexpr char kAuthContext[] = "rdisplay-auth-1";

struct AuthChallenge {
  std::uint8_t method = kAuthHmacSha256;
  std::array<std::uint8_t, kAuthNonceSize> nonce{};
};
struct AuthResponse {
  std::array<std::uint8_t, kAuthMacSize> mac{};
};
Bytes encode(const AuthChallenge&);
Bytes encode(const AuthResponse&);
AuthChallenge decode_auth_challenge(ByteView body);  // rejects unknown methods
AuthResponse decode_auth_response(ByteView body);
// What HMAC-SHA256 is computed over: the context string, then the nonce.
Bytes auth_message(const AuthChallenge& c);

}  // namespace rd
