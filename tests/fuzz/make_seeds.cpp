// Writes seed inputs for the fuzz targets from real sessions: the op batches that the
// demo apps' first frames produce, their tiles in every codec, the hellos, and whole
// server streams built from them. Run once; the output is checked in under corpus/.
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "codecs/op_batch.hpp"
#include "codecs/tile_cache.hpp"
#include "codecs/tile_codec.hpp"
#include "protocol/handshake.hpp"
#include "server/apps/app.hpp"
#include "server/canvas.hpp"
#include "server/ops_planner.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds OUT_DIR\n");
    return 2;
  }
  std::filesystem::path out = argv[1];
  for (const char* t : {"op_batch", "messages", "handshake", "tile_codec", "viewer_stream"}) std::filesystem::create_directories(out / t);
  auto write = [&](const std::string& target, const std::string& name, const rd::Bytes& b) {
    std::ofstream(out / target / name, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  };
  auto body_of = [](const rd::Bytes& msg) { return rd::Bytes(msg.begin() + rd::kHeaderSize, msg.end()); };
  {
    rd::ClientHello c;
    c.encoding = rd::Encoding::Auto;
    c.codecs = rd::kAllCodecs;
    c.cache_kib = 65536;
    c.name = "seed viewer";
    write("handshake", "client-hello", body_of(rd::encode(c)));
    rd::ServerHello h;
    h.width = 128;
    h.height = 80;
    h.capabilities = rd::kCapsV1;
    h.session_name = "seed";
    write("handshake", "server-hello", body_of(rd::encode(h)));
  }
  // Whole streams at the viewer_stream target's 128x80: each app's first screen in every
  // codec, stored in the tile cache and referenced back, a scroll, ops, and the rest.
  for (const auto& a : rd::list_apps()) {
    rd::Surface s(128, 80);
    rd::FontCache fonts(rd::default_font_dir());
    rd::Canvas canvas(s, fonts);
    auto app = rd::make_app(a.name, 128, 80);
    canvas.start_recording();
    app->start(canvas);
    auto ops = canvas.take_ops();
    rd::GlyphCacheModel mirror(64 * 1024);
    rd::Bytes stream;
    auto add = [&](const rd::Bytes& m) { stream.insert(stream.end(), m.begin(), m.end()); };
    add(rd::encode(rd::CursorShape{1, 1, 2, 2, rd::Bytes(16, 0xFF)}));
    add(rd::encode(rd::FrameBegin{1, 1000}));
    rd::Bytes batch_msg;
    rd::append_ops_batch(batch_msg, rd::encode_ops_batch(rd::serialize_for_viewer(ops, std::vector<char>(ops.size(), 1), mirror)));
    add(batch_msg);
    add(rd::encode(rd::FrameEnd{1, {1, 2}}));
    add(rd::encode(rd::FrameBegin{2, 2000}));
    std::uint64_t stored_key = 0;
    std::array<bool, rd::kTileCodecCount> seeded{};
    int i = 0;
    for (int y = 0; y < 80; y += 64)
      for (int x = 0; x < 128; x += 64, ++i) {
        rd::Rect r{x, y, std::min(64, 128 - x), std::min(64, 80 - y)};
        auto codec = static_cast<rd::TileCodec>(i % rd::kTileCodecCount);
        rd::EncodeParams params;
        rd::Bytes payload;
        if (codec == rd::TileCodec::Palette) {
          auto p = rd::encode_palette(s.view(r), 1);
          if (!p) codec = rd::TileCodec::Zstd;
          else payload = *p;
        }
        if (payload.empty()) payload = rd::encode_tile(codec, s.view(r), params);
        bool store = i == 0;
        if (store) stored_key = rd::tile_cache_key(s.view(r));
        add(rd::encode(rd::TileUpdate{r, codec, payload, store}));
        rd::Bytes tile_seed(3 + payload.size());
        tile_seed[0] = static_cast<std::uint8_t>(codec);
        tile_seed[1] = static_cast<std::uint8_t>(r.w - 1);
        tile_seed[2] = static_cast<std::uint8_t>(r.h - 1);
        std::copy(payload.begin(), payload.end(), tile_seed.begin() + 3);
        if (!seeded[static_cast<std::size_t>(codec)]) write("tile_codec", a.name + "-" + rd::tile_codec_name(codec), tile_seed);
        seeded[static_cast<std::size_t>(codec)] = true;
      }
    add(rd::encode(rd::FrameEnd{2, {}}));
    add(rd::encode(rd::FrameBegin{3, 3000}));
    add(rd::encode(rd::CopyRectMsg{{0, 0, 128, 60}, 0, 20}));
    add(rd::encode(rd::CacheRefMsg{{64, 0, 64, 64}, stored_key}));
    add(rd::encode(rd::FrameEnd{3, {3}}));
    add(rd::encode(rd::ClipboardText{"seed \u00e9"}));
    add(rd::encode(rd::Ping{1, 5}));
    add(rd::encode(rd::Resize{100, 60}));
    add(rd::encode(rd::FrameBegin{4, 4000}));
    add(rd::encode(rd::TileUpdate{{0, 0, 64, 50}, rd::TileCodec::Solid, rd::encode_solid(0xFF336699), false}));
    if (auto p = rd::encode_palette(s.view({0, 0, 64, 40}), 1)) {
      add(rd::encode(rd::TileUpdate{{0, 10, 64, 40}, rd::TileCodec::Palette, *p, false}));
      rd::Bytes tile_seed(3 + p->size());
      tile_seed[0] = static_cast<std::uint8_t>(rd::TileCodec::Palette);
      tile_seed[1] = 63;
      tile_seed[2] = 39;
      std::copy(p->begin(), p->end(), tile_seed.begin() + 3);
      write("tile_codec", a.name + "-palette", tile_seed);
    }
    // A 64x40 JPEG without its tables, Huffman- and arithmetic-coded.
    for (rd::TileCodec codec : {rd::TileCodec::JpegAbbrev, rd::TileCodec::JpegArith}) {
      const auto px = s.view({0, 0, 64, 40});
      rd::Bytes j = codec == rd::TileCodec::JpegAbbrev ? rd::encode_jpeg_abbrev(px, 85, rd::Subsampling::S420)
                                                       : rd::encode_jpeg_arith(px, 85, rd::Subsampling::S420);
      add(rd::encode(rd::TileUpdate{{0, 20, 64, 40}, codec, j, false}));
      rd::Bytes tile_seed(3 + j.size());
      tile_seed[0] = static_cast<std::uint8_t>(codec);
      tile_seed[1] = 63;
      tile_seed[2] = 39;
      std::copy(j.begin(), j.end(), tile_seed.begin() + 3);
      write("tile_codec", a.name + "-" + rd::tile_codec_name(codec), tile_seed);
    }
    add(rd::encode(rd::FrameEnd{4, {}}));
    add(rd::encode(rd::Bye{"seed over"}));
    write("viewer_stream", a.name, stream);
    // The same bytes and the viewer's own messages, for the message decoders.
    rd::Bytes both = stream;
    for (const rd::Bytes& m : {rd::encode(rd::KeyEvent{'a', true, {1, 2}}), rd::encode(rd::PointerEvent{3, 4, 1, {}}),
                               rd::encode(rd::WheelEvent{3, 4, 0, 1, {}}), rd::encode(rd::FrameAck{1, 10}),
                               rd::encode(rd::RefreshRequest{{0, 0, 0, 0}}), rd::encode(rd::Pong{1, 5}),
                               rd::encode(rd::ResizeRequestMsg{800, 600}), rd::encode(rd::CacheAnnounce{{{stored_key, 64, 64}}}),
                               rd::encode(rd::ErrorMsg{rd::ErrorCode::Malformed, "x"})})
      both.insert(both.end(), m.begin(), m.end());
    write("messages", a.name, both);
  }

  for (const auto& a : rd::list_apps()) {
    rd::Surface s(160, 100);
    rd::FontCache fonts(rd::default_font_dir());
    rd::Canvas canvas(s, fonts);
    auto app = rd::make_app(a.name, 160, 100);
    rd::GlyphCacheModel mirror(1 << 20);
    for (int f = -1; f < 3; ++f) {
      canvas.start_recording();
      if (f < 0) app->start(canvas);
      else app->frame(canvas, f);
      auto ops = canvas.take_ops();
      rd::Bytes raw = rd::serialize_for_viewer(ops, std::vector<char>(ops.size(), 1), mirror);
      rd::Bytes batch = rd::encode_ops_batch(raw);
      std::ofstream(out / "op_batch" / (a.name + "-" + std::to_string(f + 1)), std::ios::binary)
          .write(reinterpret_cast<const char*>(batch.data()), static_cast<std::streamsize>(batch.size()));
    }
  }
  return 0;
}
