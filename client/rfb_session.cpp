#include "client/rfb_session.hpp"

#include "client/password_prompt.hpp"

#include <linux/tcp.h>  // the kernel's tcp_info: glibc's lacks tcpi_bytes_received
#include <netinet/in.h>
#include <rfb/rfbclient.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <cstdarg>
#include <cstring>
#include <stdexcept>

#include "client/connect_error.hpp"
#include "common/percentile.hpp"
#include "common/printf_line.hpp"
#include "protocol/keysym.hpp"

namespace rd {

namespace {

int kTag;  // address used as the tag of our client data

RfbSession* self_of(rfbClient* cl) { return static_cast<RfbSession*>(rfbClientGetClientData(cl, &kTag)); }

// libvncclient reports through two global function pointers; keep what it says while
// connecting, to turn a failed connection into one sentence.
std::mutex g_log_mu;
std::string g_log;
void client_log(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::string line = printf_line(fmt, ap);
  va_end(ap);
  std::lock_guard lk(g_log_mu);
  if (g_log.size() < 16384) g_log += line + "\n";
}


}  // namespace

RfbSession::RfbSession(RfbOptions opts) : opts_(std::move(opts)) {
  rfbClientLog = client_log;
  rfbClientErr = client_log;
  {
    std::lock_guard lk(g_log_mu);
    g_log.clear();
  }
  cl_ = rfbGetClient(8, 3, 4);
  if (!cl_) throw ConnectError("libvncclient: cannot create a client");
  // Ask for our own layout: 32-bit B, G, R, X in memory.
  cl_->format.redShift = 16;
  cl_->format.greenShift = 8;
  cl_->format.blueShift = 0;
  cl_->format.redMax = cl_->format.greenMax = cl_->format.blueMax = 255;
  cl_->canHandleNewFBSize = TRUE;
  cl_->appData.useRemoteCursor = TRUE;
  cl_->appData.shareDesktop = TRUE;
  // libvncclient keeps the pointer and never frees it: it points into opts_.
  if (!opts_.encodings.empty()) cl_->appData.encodingsString = opts_.encodings.c_str();
  if (opts_.quality < 100) {
    cl_->appData.enableJPEG = TRUE;
    cl_->appData.qualityLevel = std::clamp(opts_.quality / 10, 0, 9);
  } else {
    cl_->appData.enableJPEG = FALSE;
  }
  cl_->serverHost = strdup(opts_.host.c_str());  // rfbInitClient frees it
  cl_->serverPort = opts_.port;
  rfbClientSetClientData(cl_, &kTag, this);
  cl_->MallocFrameBuffer = [](rfbClient* c) -> rfbBool { return self_of(c)->on_resize() ? TRUE : FALSE; };
  cl_->GotFrameBufferUpdate = [](rfbClient* c, int x, int y, int w, int h) { self_of(c)->on_rect(x, y, w, h); };
  cl_->FinishedFrameBufferUpdate = [](rfbClient* c) { self_of(c)->on_update_done(); };
  cl_->GotCursorShape = [](rfbClient* c, int xh, int yh, int w, int h, int) { self_of(c)->on_cursor(xh, yh, w, h); };
  cl_->GotXCutText = [](rfbClient* c, const char* t, int n) { self_of(c)->on_cut_text(t, n); };
  cl_->GetPassword = [](rfbClient* c) { return self_of(c)->on_password(); };

  int argc = 0;
  if (!rfbInitClient(cl_, &argc, nullptr)) {
    cl_ = nullptr;  // rfbInitClient freed it
    std::string err;
    {
      std::lock_guard lk(g_log_mu);
      err = g_log;
    }
    std::string where = "vnc://" + opts_.host + ":" + std::to_string(opts_.port);
    if (err.find("password check failed") != std::string::npos || err.find("authentication failed") != std::string::npos)
      throw ConnectError(where + ": wrong password (the server may refuse further attempts for a while)");
    if (err.find("Reading password failed") != std::string::npos)
      throw ConnectError(where + " asks for a password: pass --password-file FILE, or run in a terminal to be asked");
    if (err.find("onnection refused") != std::string::npos || err.find("Unable to connect") != std::string::npos)
      throw ConnectError("cannot connect to " + where + ": connection refused; is a VNC server listening there?");
    // The last line libvncclient wrote says most.
    while (!err.empty() && (err.back() == '\n' || err.back() == '\r')) err.pop_back();
    std::string last = err.substr(err.find_last_of('\n') == std::string::npos ? 0 : err.find_last_of('\n') + 1);
    throw ConnectError("cannot open " + where + (last.empty() ? std::string() : ": " + last));
  }
  name_ = cl_->desktopName ? cl_->desktopName : "";
  width_ = cl_->width;
  height_ = cl_->height;
}

RfbSession::~RfbSession() {
  stop(false);
  if (cl_) rfbClientCleanup(cl_);  // leaves frameBuffer alone: it is fb_
}

bool RfbSession::on_resize() {
  fb_ = Surface(cl_->width, cl_->height);
  cl_->frameBuffer = fb_.data();
  width_ = cl_->width;
  height_ = cl_->height;
  dirty_.clear();
  if (store_) store_->reset(cl_->width, cl_->height);
  return true;
}

void RfbSession::on_rect(int x, int y, int w, int h) {
  if (!in_update_) {
    in_update_ = true;
    update_start_ = std::chrono::steady_clock::now();
  }
  dirty_.add(Rect{x, y, w, h}.intersect(fb_.bounds()));
  ++rects_;
}

void RfbSession::on_update_done() {
  if (!store_) return;
  // The server's padding byte lands where our alpha is: make it opaque.
  for (const Rect& r : dirty_.rects())
    for (int y = r.y; y < r.bottom(); ++y) {
      std::uint32_t* p = fb_.row32(y) + r.x;
      for (int x = 0; x < r.w; ++x) p[x] |= 0xFF000000u;
    }
  if (!dirty_.empty()) {
    store_->publish(fb_, dirty_);
    ++frames_;
    auto now = std::chrono::steady_clock::now();
    if (frames_ == 1) first_update_ = now;
    else interval_us_.push_back(static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(now - last_update_).count()));
    last_update_ = now;
    if (in_update_)
      update_us_.push_back(static_cast<std::uint32_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - update_start_).count()));
  }
  in_update_ = false;
  dirty_.clear();
}

void RfbSession::on_cursor(int xhot, int yhot, int w, int h) {
  if (!store_ || w <= 0 || h <= 0 || w > 256 || h > 256 || !cl_->rcSource || !cl_->rcMask) return;
  CursorShape c;
  c.hot_x = static_cast<std::int16_t>(xhot);
  c.hot_y = static_cast<std::int16_t>(yhot);
  c.w = static_cast<std::uint16_t>(w);
  c.h = static_cast<std::uint16_t>(h);
  c.bgra.resize(static_cast<std::size_t>(w) * h * 4);
  for (int i = 0; i < w * h; ++i) {
    std::memcpy(&c.bgra[static_cast<std::size_t>(i) * 4], cl_->rcSource + static_cast<std::size_t>(i) * 4, 3);
    c.bgra[static_cast<std::size_t>(i) * 4 + 3] = cl_->rcMask[i] ? 255 : 0;
  }
  store_->set_cursor(std::move(c));
}

void RfbSession::on_cut_text(const char* text, int len) {
  if (!store_) return;
  std::string utf8;
  for (int i = 0; i < len; ++i) utf8_append(utf8, static_cast<unsigned char>(text[i]));  // RFB cut text is Latin-1
  store_->set_clipboard(std::move(utf8));
}

char* RfbSession::on_password() {
  std::string p = opts_.password;
  if (p.empty() && opts_.prompt_password) p = prompt_password("vnc://" + opts_.host + ":" + std::to_string(opts_.port));
  return p.empty() ? nullptr : strdup(p.c_str());  // libvncclient frees it
}

void RfbSession::start(FrameStore& store) {
  store_ = &store;
  store.reset(width_, height_);
  thread_ = std::thread([this] { run(); });
}

void RfbSession::run() {
  // The first picture: libvncclient asked for a full update during rfbInitClient.
  while (!stopping_) {
    int n = WaitForMessage(cl_, 50000);
    if (stopping_) break;
    if (n < 0) {
      store_->finish("connection to the VNC server lost", true);
      return;
    }
    if (n == 0 && !cl_->buffered) continue;
    if (!HandleRFBServerMessage(cl_)) {
      store_->finish("the VNC server closed the connection", true);
      return;
    }
  }
}

void RfbSession::stop(bool /*say_goodbye*/) {
  stopping_ = true;
  if (cl_ && cl_->sock != RFB_INVALID_SOCKET) ::shutdown(cl_->sock, SHUT_RDWR);  // unblocks a read
  if (thread_.joinable()) thread_.join();
}

// libvncclient writes the socket without a lock, also from the network thread (update
// requests). Our sends are serialised among themselves; each is one small write(),
// which Linux does not interleave with another small write on the same TCP socket.
void RfbSession::send_key(std::uint32_t keysym, bool down) {
  if (opts_.view_only) return;
  std::lock_guard lk(send_mu_);
  SendKeyEvent(cl_, keysym, down ? TRUE : FALSE);
  bytes_sent_ += 8;
}

void RfbSession::send_pointer(int x, int y, std::uint32_t buttons) {
  if (opts_.view_only) return;
  std::lock_guard lk(send_mu_);
  buttons_ = buttons & 7;
  SendPointerEvent(cl_, std::clamp(x, 0, 65535), std::clamp(y, 0, 65535), static_cast<int>(buttons_));
  bytes_sent_ += 6;
}

void RfbSession::send_wheel(int x, int y, int dx, int dy) {
  if (opts_.view_only) return;
  std::lock_guard lk(send_mu_);
  // RFB has no wheel: buttons 4/5 (vertical) and 6/7 (horizontal), pressed and released.
  auto click = [&](int bit, int n) {
    for (int i = 0; i < n; ++i) {
      SendPointerEvent(cl_, x, y, static_cast<int>(buttons_) | bit);
      SendPointerEvent(cl_, x, y, static_cast<int>(buttons_));
      bytes_sent_ += 12;
    }
  };
  click(dy > 0 ? 8 : 16, std::abs(dy));
  click(dx > 0 ? 64 : 32, std::abs(dx));
}

void RfbSession::send_clipboard(const std::string& utf8) {
  if (opts_.view_only) return;
  std::string latin1;  // this libvncclient speaks only the classic, Latin-1 cut text
  for (char32_t cp : utf8_decode(utf8)) latin1.push_back(cp <= 0xff ? static_cast<char>(cp) : '?');
  // One write: libvncclient's SendClientCutText writes the header and the text apart, and
  // an update request from the network thread could land between them.
  std::string msg(8, '\0');
  msg[0] = static_cast<char>(rfbClientCutText);
  const auto n = static_cast<std::uint32_t>(latin1.size());
  for (int i = 0; i < 4; ++i) msg[4 + static_cast<std::size_t>(i)] = static_cast<char>(n >> (24 - 8 * i));  // big-endian
  msg += latin1;
  std::lock_guard lk(send_mu_);
  WriteToRFBServer(cl_, msg.data(), static_cast<unsigned int>(msg.size()));
  bytes_sent_ += msg.size();
}

std::uint64_t RfbSession::bytes_received() const {
  // libvncclient keeps no count; the kernel does.
  struct tcp_info ti{};
  socklen_t len = sizeof ti;
  if (!cl_ || getsockopt(cl_->sock, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0) return 0;
  return ti.tcpi_bytes_received;
}

std::uint64_t RfbSession::bytes_sent() const { return bytes_sent_; }

nlohmann::json RfbSession::stats() const {
  double span = std::chrono::duration<double>(last_update_ - first_update_).count();
  double median_ms = percentile(interval_us_, 50) / 1000.0;
  return {{"frames", frames_},
          {"fps", span > 0 && frames_ > 1 ? static_cast<double>(frames_ - 1) / span : 0.0},
          {"fps_median", median_ms > 0 ? 1000.0 / median_ms : 0.0},
          {"rects", rects_},
          {"update_ms", {{"p50", percentile(update_us_, 50) / 1000.0}, {"p99", percentile(update_us_, 99) / 1000.0}}},
          {"encodings", opts_.encodings.empty() ? "libvncclient default" : opts_.encodings}};
}

}  // namespace rd
