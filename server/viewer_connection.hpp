#pragma once
#include <asio.hpp>
#include <deque>
#include <functional>
#include <optional>
#include <memory>
#include <vector>

#include "codecs/glyph_cache.hpp"
#include "codecs/tile_classifier.hpp"
#include "codecs/tile_codec.hpp"
#include "common/worker_pool.hpp"
#include "protocol/framing.hpp"
#include "protocol/handshake.hpp"
#include "server/bulk_lane.hpp"
#include "server/jpeg_coding_gate.hpp"
#include "server/native_config.hpp"
#include "server/session.hpp"
#include "server/viewer_stats.hpp"
#include "server/viewer_stream.hpp"

namespace rd {

// One native viewer. Everything here runs on the server's single I/O thread (the
// dispatcher); only tile encoding goes to the worker pool, and its result comes back
// to the I/O thread as a posted handler.
class ViewerConnection : public std::enable_shared_from_this<ViewerConnection> {
 public:
  using ClosedFn = std::function<void(const ViewerStats& final_stats)>;
  ViewerConnection(asio::ip::tcp::socket socket, int id, Session& session, WorkerPool& pool,
                   const NativeServerConfig& config, std::shared_ptr<BulkLane> bulk, ClosedFn on_closed);

  // Reads the hello itself (TLS connections: after the TLS handshake).
  void start();
  // The front door read the hello already.
  void start_with_hello(RawMessage hello);
  // The session changed: send an update if the flow window allows.
  void wake();
  // Ends the connection with a Bye (server shutdown) once the viewer holds the final
  // screen: updates still owed are sent and acknowledged first, for at most `grace`.
  void say_goodbye(const std::string& reason, std::chrono::milliseconds grace);
  ViewerStats stats();  // on the I/O thread
  int id() const { return stats_.id; }
  bool in_handshake() const { return state_ == State::Hello || state_ == State::Auth; }
  bool awaits_input_answer() const { return !stamps_waiting_.empty(); }
  // Someone is typing into this viewer (input in the last second, or an answer owed):
  // its steps run at once; every other viewer's go through the bulk lane.
  bool interactive() const;
  // wake(), through the bulk lane: at most one such step waits there per viewer, however
  // many acknowledgements and wake-ups arrive meanwhile.
  void wake_in_bulk();

 private:
  enum class State { Hello, Auth, Streaming, Closing, Closed };

  void begin();
  void start_tls();
  void read_header();
  void on_body(Header h);
  void read_body(Header h);
  void handle(std::uint8_t type, std::uint8_t flags, ByteView body);
  void handle_hello(ByteView body);
  void handle_auth(ByteView body);
  void complete_hello(const ClientHello& hello, const Negotiated& n);
  void fail(ErrorCode code, const std::string& why);  // Error to the viewer, log, close
  void close(const std::string& reason);

  void maybe_send_update();
  bool up_to_date();  // nothing owed: no changed tile unsent, no frame unacknowledged
  void maybe_finish_goodbye();
  void send_bye();
  void on_encoded(std::shared_ptr<struct EncodedUpdate> u);

  void queue(Bytes msg);
  void queue(std::vector<Bytes> parts);
  void write_next();
  void schedule_ping();
  void schedule_lossless_refresh();

  ViewerStream stream_;
  bool tls_ready_ = false;  // TLS handshake done: messages can go out
  Bytes tls_out_;           // the parts of the entry being written, joined (TLS only)
  asio::steady_timer handshake_timer_;
  asio::steady_timer ping_timer_;
  asio::steady_timer write_timer_;
  asio::steady_timer refresh_timer_;
  asio::steady_timer first_frame_timer_;
  Session& session_;
  WorkerPool& pool_;
  const NativeServerConfig& config_;
  std::shared_ptr<BulkLane> bulk_;
  bool bulk_step_queued_ = false;
  ClosedFn on_closed_;
  State state_ = State::Hello;
  bool streamed_ = false;
  // Password authentication: the hello waiting for the answer to the challenge, and
  // whether the password given allows input.
  ClientHello pending_hello_;
  Negotiated pending_negotiated_;
  AuthChallenge challenge_;
  bool view_only_ = false;  // got past the handshake (its end is always logged)

  std::array<std::uint8_t, kHeaderSize> header_buf_{};
  Bytes body_buf_;

  // Negotiated.
  std::uint32_t caps_ = 0;
  std::uint32_t max_out_message_ = kDefaultMaxMessage;
  CodecPolicy policy_;
  JpegCodingGate jpeg_coding_;
  EncodeParams params_;

  // Command encoding: the next op of the session's log this viewer needs, and its
  // glyph cache as mirrored here.
  Encoding encoding_mode_ = Encoding::Pixels;
  std::uint64_t ops_pos_ = 0;
  // Whether the viewer holds the screen exactly as the log leaves it at ops_pos_; when
  // not (a late join, a refresh), the next update is pixels whatever the log says.
  bool ops_in_step_ = false;
  std::shared_ptr<GlyphCacheModel> glyph_mirror_;
  // The viewer's tile cache as mirrored here (with kCapTileCache). Changed only on this
  // thread between updates, read by the encode jobs of one update at a time.
  std::shared_ptr<TileCacheModel> tile_mirror_;
  bool awaiting_announce_ = false;  // no update before the viewer said what its cache holds
  bool joined_ = false;
  // Pixel viewers that take CopyRect: their screen as the server knows it.
  std::shared_ptr<class HeldScreen> held_;
  // Latency stamps: inputs waiting for a frame that shows them (serials increase), and
  // the ids the frame being made answers.
  struct StampWaiting {
    std::uint32_t id = 0;
    std::uint64_t serial = 0;
    std::uint64_t received_us = 0;
  };
  static constexpr std::size_t kMaxStampsWaiting = 4096;
  std::deque<StampWaiting> stamps_waiting_;
  std::vector<std::uint32_t> frame_input_ids_;
  std::vector<std::uint64_t> frame_input_received_us_;  // when each of those ids arrived
  // `received_us`: when the input was read, before the source handled it (a source may
  // apply it right away, on this thread).
  void note_input(const InputStamp& stamp, std::uint64_t serial, std::uint64_t received_us);
  void send_input_answer();
  // A frame with no pixels: answers inputs that changed nothing, or is the first frame.
  void send_empty_frame();
  void note_answered();
  std::uint64_t last_input_us_ = 0;
  static constexpr std::uint64_t kInteractiveUs = 1'000'000;  // the frame being queued answers frame_input_ids_: server-side latency
  // An input's answer of at most this many changed tiles is encoded on the I/O thread.
  static constexpr int kInlineTiles = 4;
  std::vector<Rect> pending_doubt_;  // refreshes asked for while an update was being planned

  // Update state.
  std::vector<std::uint64_t> sent_versions_;
  std::uint64_t sent_geometry_epoch_ = ~0ull;
  std::uint64_t sent_cursor_epoch_ = 0;
  std::uint64_t sent_clipboard_epoch_ = 0;
  bool encoding_ = false;
  std::optional<std::string> goodbye_;  // set while draining before a Bye
  std::uint32_t next_seq_ = 1;
  std::uint32_t acked_seq_ = 0;

  // Outgoing queue: each entry is written with one gather write.
  std::deque<std::vector<Bytes>> out_;
  bool writing_ = false;
  std::uint64_t queued_bytes_ = 0;
  std::uint32_t ping_id_ = 0;

  ViewerStats stats_;
};

}  // namespace rd
