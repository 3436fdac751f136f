#include "server/rfb_front.hpp"

#include "server/auth_throttle.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <rfb/rfb.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdarg>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <thread>

#include "common/printf_line.hpp"
#include "protocol/keysym.hpp"

namespace rd {

namespace {

// libvncserver logs through two global function pointers: send them to our log.
void rfb_log(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  spdlog::debug("rfb: {}", printf_line(fmt, ap));
  va_end(ap);
}
void rfb_err(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  spdlog::warn("rfb: {}", printf_line(fmt, ap));
  va_end(ap);
}

// Throttling of failed VNC authentication, per client address.

std::string latin1_from_utf8(const std::string& utf8) {
  std::string out;
  for (char32_t cp : utf8_decode(utf8)) out.push_back(cp <= 0xff ? static_cast<char>(cp) : '?');
  return out;
}

std::string utf8_from_latin1(const char* s, int len) {
  std::string out;
  for (int i = 0; i < len; ++i) utf8_append(out, static_cast<unsigned char>(s[i]));
  return out;
}

}  // namespace

struct RfbFront::Impl {
  Session& session;
  RfbFrontConfig cfg;
  rfbScreenInfoPtr screen = nullptr;
  std::vector<std::uint32_t> fb;  // what the clients encode from
  std::shared_mutex fb_mu;        // clients read under shared locks; the pump writes exclusively
  int w = 0, h = 0;

  // Pump state.
  std::thread pump_thread;
  std::mutex pump_mu;
  std::condition_variable pump_cv;
  bool wake_flag = false, stopping = false, started = false;
  std::vector<std::uint64_t> sent_versions;
  std::uint64_t sent_geometry = ~0ull, sent_cursor = 0, sent_clipboard = 0;

  // The pointer shape: libvncserver never draws it (screen->cursor stays NULL) and sends
  // it through getCursorPtr. Shapes stay alive until shutdown: a client thread may be
  // sending one while a new one arrives.
  std::mutex cursor_mu;
  std::vector<rfbCursorPtr> cursors;
  rfbCursorPtr current_cursor = nullptr;

  // Clients.
  struct Client {
    int id = 0;
    int last_buttons = 0;
    int sock = -1;  // libvncserver's; shut down (never closed) here at stop
    RfbClientStats* stats = nullptr;
  };
  mutable std::mutex clients_mu;
  std::condition_variable clients_cv;  // a client went (stop waits for all to go)
  std::map<int, Client*> live;         // under clients_mu
  // RFB clients connected now: with none, the pump keeps libvncserver's framebuffer as
  // it is (copying every frame into it for nobody cost native viewers' sessions ~6 % of
  // the server's CPU) and brings it up to date when one connects.
  std::atomic<int> live_clients{0};
  int next_id = 1;
  std::map<int, RfbClientStats> client_stats;
  AuthThrottle throttle;
  std::atomic<std::uint64_t> failed_auth{0};
  std::vector<char*> passwd_list;

  Impl(Session& s, RfbFrontConfig c) : session(s), cfg(std::move(c)) {}

  static Impl* of(rfbClientPtr cl) { return static_cast<Impl*>(cl->screen->screenData); }
  static Client* client(rfbClientPtr cl) { return static_cast<Client*>(cl->clientData); }

  // --- libvncserver hooks (client threads) ---
  static enum rfbNewClientAction on_new_client(rfbClientPtr cl) {
    Impl* im = of(cl);
    auto* c = new Client;
    {
      std::lock_guard lk(im->clients_mu);
      c->id = im->next_id++;
      c->sock = cl->sock;
      im->live[c->id] = c;
      RfbClientStats& st = im->client_stats[c->id];
      st.id = c->id;
      st.peer = cl->host ? cl->host : "?";
      c->stats = &st;
    }
    cl->clientData = c;
    cl->clientGoneHook = on_client_gone;
    cl->cursorWasChanged = TRUE;
    im->session.viewer_joined(false);
    // Its first update is asked for after the RFB handshake, round trips later than the
    // pump needs to bring the framebuffer up to date (and tiles copied after that are
    // marked as modified, so it converges either way).
    if (im->live_clients++ == 0) im->wake_pump();
    spdlog::info("rfb client {} connected from {}", c->id, cl->host ? cl->host : "?");
    return RFB_CLIENT_ACCEPT;
  }

  static void on_client_gone(rfbClientPtr cl) {
    Impl* im = of(cl);
    Client* c = client(cl);
    if (!c) return;  // close() may run twice in 0.9.14
    {
      std::lock_guard lk(im->clients_mu);
      c->stats->connected = false;
      c->stats->bytes_sent = static_cast<std::uint64_t>(rfbStatGetSentBytes(cl));
      c->stats->bytes_if_raw = static_cast<std::uint64_t>(rfbStatGetSentBytesIfRaw(cl));
      im->live.erase(c->id);
    }
    im->clients_cv.notify_all();
    spdlog::info("rfb client {} disconnected", c->id);
    --im->live_clients;
    im->session.viewer_left(false);
    delete c;
    cl->clientData = nullptr;
  }

  static rfbBool check_password(rfbClientPtr cl, const char* response, int len) {
    Impl* im = of(cl);
    std::string host = cl->host ? cl->host : "?";
    if (long wait = im->throttle.blocked_for(host)) {
      ++im->failed_auth;
      spdlog::warn("rfb: authentication from {} refused: too many failures, blocked for {} s more", host, wait);
      return FALSE;
    }
    rfbBool ok = rfbCheckPasswordByList(cl, response, len);
    if (ok) {
      im->throttle.succeeded(host);
      std::lock_guard lk(im->clients_mu);
      if (Client* c = client(cl)) c->stats->view_only = cl->viewOnly;
      return TRUE;
    }
    ++im->failed_auth;
    auto [count, block] = im->throttle.failed(host);
    if (block.count() > 0)
      spdlog::warn("rfb: wrong password from {} ({} failures): further attempts refused for {} s", host, count, block.count());
    else
      spdlog::warn("rfb: wrong password from {} ({} failures)", host, count);
    return FALSE;
  }

  static void on_display(rfbClientPtr cl) { of(cl)->fb_mu.lock_shared(); }
  static void on_display_finished(rfbClientPtr cl, int) {
    Impl* im = of(cl);
    im->fb_mu.unlock_shared();
    if (Client* c = client(cl)) {
      std::lock_guard lk(im->clients_mu);
      c->stats->bytes_sent = static_cast<std::uint64_t>(rfbStatGetSentBytes(cl));
      c->stats->bytes_if_raw = static_cast<std::uint64_t>(rfbStatGetSentBytesIfRaw(cl));
      ++c->stats->updates;
    }
  }

  static rfbCursorPtr get_cursor(rfbClientPtr cl) {
    Impl* im = of(cl);
    std::lock_guard lk(im->cursor_mu);
    return im->current_cursor;
  }

  static void on_key(rfbBool down, rfbKeySym ks, rfbClientPtr cl) {
    Impl* im = of(cl);
    if (Client* c = client(cl)) {
      std::lock_guard lk(im->clients_mu);
      ++c->stats->input_events;
    }
    if (InputSink* sink = im->session.input_sink()) sink->on_key({static_cast<std::uint32_t>(ks), down != 0, {}});
  }

  static void on_pointer(int mask, int x, int y, rfbClientPtr cl) {
    Impl* im = of(cl);
    Client* c = client(cl);
    rfbDefaultPtrAddEvent(mask, x, y, cl);  // keeps libvncserver's pointer position
    if (!c) return;
    int pressed = mask & ~c->last_buttons;
    c->last_buttons = mask;
    {
      std::lock_guard lk(im->clients_mu);
      ++c->stats->input_events;
    }
    InputSink* sink = im->session.input_sink();
    if (!sink) return;
    auto ux = static_cast<std::uint16_t>(std::clamp(x, 0, 65535)), uy = static_cast<std::uint16_t>(std::clamp(y, 0, 65535));
    sink->on_pointer({ux, uy, static_cast<std::uint32_t>(mask & 7), {}});
    // Buttons 4 to 7 are the wheel: one click per press.
    int dy = ((pressed >> 3) & 1) - ((pressed >> 4) & 1);
    int dx = ((pressed >> 6) & 1) - ((pressed >> 5) & 1);
    if (dx || dy) sink->on_wheel({ux, uy, static_cast<std::int16_t>(dx), static_cast<std::int16_t>(dy), {}});
  }

  static void on_cut_text(char* str, int len, rfbClientPtr cl) {
    Impl* im = of(cl);
    if (Client* c = client(cl)) im->session.set_clipboard(utf8_from_latin1(str, len), -c->id);
  }

  static void on_cut_text_utf8(char* str, int len, rfbClientPtr cl) {
    Impl* im = of(cl);
    std::string s(str, static_cast<std::size_t>(std::max(0, len)));
    while (!s.empty() && s.back() == '\0') s.pop_back();  // the count includes the client's NUL
    if (Client* c = client(cl)) im->session.set_clipboard(std::move(s), -c->id);
  }

  void wake_pump() {
    {
      std::lock_guard lk(pump_mu);
      wake_flag = true;
    }
    pump_cv.notify_one();
  }

  // --- the pump thread ---
  void set_format() {
    screen->serverFormat.redShift = 16;  // our memory is B, G, R, A
    screen->serverFormat.greenShift = 8;
    screen->serverFormat.blueShift = 0;
  }

  void pump() {
    for (;;) {
      {
        std::unique_lock lk(pump_mu);
        pump_cv.wait(lk, [&] { return wake_flag || stopping; });
        if (stopping) return;
        wake_flag = false;
      }
      sync_geometry();
      if (live_clients > 0) sync_pixels();
      sync_cursor();
      sync_clipboard();
    }
  }

  void sync_geometry() {
    int nw, nh;
    std::uint64_t epoch;
    {
      auto lk = session.lock();
      epoch = session.geometry_epoch_locked();
      nw = session.surface().width();
      nh = session.surface().height();
    }
    if (epoch == sent_geometry) return;
    bool first = sent_geometry == ~0ull;
    sent_geometry = epoch;
    sent_versions.clear();
    if (first) return;  // the buffer was sized at construction
    std::vector<std::uint32_t> fresh(static_cast<std::size_t>(nw) * nh, 0);
    // rfbNewFramebuffer takes every client's send lock: never call it under fb_mu.
    rfbNewFramebuffer(screen, reinterpret_cast<char*>(fresh.data()), nw, nh, 8, 3, 4);
    set_format();
    std::unique_lock lk(fb_mu);
    fb.swap(fresh);  // the old buffer goes once no client can read it any more
    w = nw;
    h = nh;
  }

  void sync_pixels() {
    std::vector<Rect> rects;
    {
      auto slk = session.lock();
      const auto& versions = session.tile_versions_locked();
      const TileGrid& grid = session.grid_locked();
      const Surface& s = session.surface();
      if (s.width() != w || s.height() != h) return;  // a resize is being applied
      if (sent_versions.size() != versions.size()) sent_versions.assign(versions.size(), 0);
      std::unique_lock flk(fb_mu);
      for (std::size_t i = 0; i < versions.size(); ++i) {
        if (versions[i] == sent_versions[i]) continue;
        sent_versions[i] = versions[i];
        Rect r = grid.tile_rect(static_cast<int>(i));
        for (int y = r.y; y < r.bottom(); ++y)
          std::memcpy(fb.data() + static_cast<std::size_t>(y) * w + r.x, s.row32(y) + r.x, static_cast<std::size_t>(r.w) * 4);
        if (!rects.empty() && rects.back().y == r.y && rects.back().right() == r.x) rects.back().w += r.w;
        else rects.push_back(r);
      }
    }
    // Outside our locks: marking takes each client's update lock.
    for (const Rect& r : rects) rfbMarkRectAsModified(screen, r.x, r.y, r.right(), r.bottom());
  }

  void sync_cursor() {
    if (session.cursor_epoch() == sent_cursor) return;
    sent_cursor = session.cursor_epoch();
    CursorShape c = session.cursor();
    if (c.w == 0 || c.h == 0) return;
    auto* cur = static_cast<rfbCursorPtr>(std::calloc(1, sizeof(rfbCursor)));
    cur->width = c.w;
    cur->height = c.h;
    cur->xhot = static_cast<unsigned short>(std::max<int>(0, c.hot_x));
    cur->yhot = static_cast<unsigned short>(std::max<int>(0, c.hot_y));
    int row_bytes = (c.w + 7) / 8;
    cur->mask = static_cast<unsigned char*>(std::calloc(static_cast<std::size_t>(row_bytes) * c.h, 1));
    cur->source = static_cast<unsigned char*>(std::calloc(static_cast<std::size_t>(row_bytes) * c.h, 1));
    cur->richSource = static_cast<unsigned char*>(std::malloc(static_cast<std::size_t>(c.w) * c.h * 4));
    for (int y = 0; y < c.h; ++y)
      for (int x = 0; x < c.w; ++x) {
        const std::uint8_t* p = &c.bgra[(static_cast<std::size_t>(y) * c.w + x) * 4];
        std::memcpy(cur->richSource + (static_cast<std::size_t>(y) * c.w + x) * 4, p, 4);
        if (p[3] >= 128) cur->mask[y * row_bytes + x / 8] |= static_cast<unsigned char>(0x80 >> (x % 8));
        if (p[0] + p[1] + p[2] >= 384) cur->source[y * row_bytes + x / 8] |= static_cast<unsigned char>(0x80 >> (x % 8));
      }
    cur->foreRed = cur->foreGreen = cur->foreBlue = 0xffff;
    cur->cleanup = TRUE;
    cur->cleanupSource = cur->cleanupMask = cur->cleanupRichSource = TRUE;
    {
      std::lock_guard lk(cursor_mu);
      cursors.push_back(cur);
      current_cursor = cur;
    }
    rfbClientIteratorPtr it = rfbGetClientIterator(screen);
    while (rfbClientPtr cl = rfbClientIteratorNext(it)) cl->cursorWasChanged = TRUE;
    rfbReleaseClientIterator(it);
  }

  void sync_clipboard() {
    Session::Clipboard cb = session.clipboard();
    if (cb.epoch == sent_clipboard) return;
    sent_clipboard = cb.epoch;
    std::string latin1 = latin1_from_utf8(cb.text);
    bool ascii = std::all_of(cb.text.begin(), cb.text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    // rfbSendServerCutTextUTF8 in 0.9.14 leaves a classic client's send lock held when
    // it has no Latin-1 text for it (the next update then hangs), and writes a wrong
    // length when the two texts differ in size. So it is only used with an identical
    // Latin-1 copy (ASCII text), or when every client speaks the extended clipboard;
    // otherwise everyone gets Latin-1, written here under each client's send lock.
    int classic = 0;
    rfbClientIteratorPtr it = rfbGetClientIterator(screen);
    while (rfbClientPtr cl = rfbClientIteratorNext(it))
      if (cl->state == rfbClientRec::RFB_NORMAL && !cl->enableExtendedClipboard) ++classic;
    rfbReleaseClientIterator(it);
    std::string utf8 = cb.text;
    if (ascii) {
      rfbSendServerCutTextUTF8(screen, utf8.data(), static_cast<int>(utf8.size()), latin1.data(), static_cast<int>(latin1.size()));
      return;
    }
    if (classic == 0) {
      rfbSendServerCutTextUTF8(screen, utf8.data(), static_cast<int>(utf8.size()), nullptr, 0);
      return;
    }
    it = rfbGetClientIterator(screen);
    while (rfbClientPtr cl = rfbClientIteratorNext(it)) {
      Client* c = client(cl);
      if (!c || -c->id == cb.origin || cl->state != rfbClientRec::RFB_NORMAL) continue;
      rfbServerCutTextMsg m{};
      m.type = rfbServerCutText;
      m.length = Swap32IfLE(static_cast<std::uint32_t>(latin1.size()));
      pthread_mutex_lock(&cl->sendMutex);
      if (rfbWriteExact(cl, reinterpret_cast<char*>(&m), sz_rfbServerCutTextMsg) > 0)
        rfbWriteExact(cl, latin1.data(), static_cast<int>(latin1.size()));
      pthread_mutex_unlock(&cl->sendMutex);
    }
    rfbReleaseClientIterator(it);
  }
};

RfbFront::RfbFront(Session& session, RfbFrontConfig config) : impl_(std::make_unique<Impl>(session, std::move(config))) {
  Impl& im = *impl_;
  rfbLog = rfb_log;
  rfbErr = rfb_err;
  {
    auto lk = session.lock();
    im.w = session.surface().width();
    im.h = session.surface().height();
    im.fb.assign(static_cast<std::size_t>(im.w) * im.h, 0);
  }
  im.screen = rfbGetScreen(nullptr, nullptr, im.w, im.h, 8, 3, 4);
  if (!im.screen) throw std::runtime_error("libvncserver: cannot create the screen");
  rfbScreenInfoPtr s = im.screen;
  im.set_format();
  s->frameBuffer = reinterpret_cast<char*>(im.fb.data());
  s->desktopName = im.cfg.desktop_name.c_str();
  s->screenData = &im;
  s->alwaysShared = TRUE;
  s->cursor = nullptr;  // never drawn into the framebuffer
  s->getCursorPtr = Impl::get_cursor;
  s->newClientHook = Impl::on_new_client;
  s->displayHook = Impl::on_display;
  s->displayFinishedHook = Impl::on_display_finished;
  s->kbdAddEvent = Impl::on_key;
  s->ptrAddEvent = Impl::on_pointer;
  s->setXCutText = Impl::on_cut_text;
  s->setXCutTextUTF8 = Impl::on_cut_text_utf8;
  s->deferUpdateTime = 5;
  in_addr_t addr = inet_addr(im.cfg.listen_address.c_str());
  if (addr == INADDR_NONE) throw std::runtime_error("the RFB front listens on IPv4 addresses only: " + im.cfg.listen_address);
  s->listenInterface = addr;
  bool loopback = (ntohl(addr) >> 24) == 127;
  s->listen6Interface = const_cast<char*>(loopback ? "::1" : nullptr);
  if (im.cfg.port == 0) {
    s->autoPort = TRUE;
    s->port = 5900;
  } else {
    s->port = im.cfg.port;
  }
  s->ipv6port = loopback ? 0 : -1;  // with autoPort the IPv6 port follows the IPv4 one
  if (!im.cfg.passwords.empty() || !im.cfg.view_only_passwords.empty()) {
    for (const auto& p : im.cfg.passwords) im.passwd_list.push_back(strdup(p.c_str()));
    for (const auto& p : im.cfg.view_only_passwords) im.passwd_list.push_back(strdup(p.c_str()));
    im.passwd_list.push_back(nullptr);
    s->authPasswdData = im.passwd_list.data();
    s->authPasswdFirstViewOnly = static_cast<int>(im.cfg.passwords.size());
    s->passwordCheck = Impl::check_password;
  }
  rfbInitServer(s);
  if (s->listenSock == RFB_INVALID_SOCKET)
    throw std::runtime_error("cannot listen for RFB on " + im.cfg.listen_address + ":" + std::to_string(s->port));
}

RfbFront::~RfbFront() {
  stop();
  Impl& im = *impl_;
  if (im.screen) {
    rfbScreenCleanup(im.screen);
    im.screen = nullptr;
  }
  for (rfbCursorPtr c : im.cursors) rfbFreeCursor(c);
  for (char* p : im.passwd_list) std::free(p);
}

int RfbFront::port() const { return impl_->screen->port; }

void RfbFront::start() {
  Impl& im = *impl_;
  // The first picture before any client: everything at once.
  {
    std::lock_guard lk(im.pump_mu);
    im.wake_flag = true;
    im.started = true;
  }
  im.pump_thread = std::thread([&im] { im.pump(); });
  rfbRunEventLoop(im.screen, -1, TRUE);  // a listener thread, two threads per client
}

void RfbFront::stop() {
  Impl& im = *impl_;
  {
    std::lock_guard lk(im.pump_mu);
    if (!im.started) return;
    im.started = false;
    im.stopping = true;
  }
  im.pump_cv.notify_all();
  if (im.pump_thread.joinable()) im.pump_thread.join();
  // rfbShutdownServer(screen, TRUE) walks the client list while client threads that see
  // their socket close free their records: a use after free under load (seen under ASan
  // at SIGTERM with TigerVNC connected). So the clients are ended here, each thread
  // freeing its own record, and libvncserver is only asked to close its listeners.
  {
    std::unique_lock lk(im.clients_mu);
    for (const auto& [id, c] : im.live) ::shutdown(c->sock, SHUT_RDWR);
    if (!im.clients_cv.wait_for(lk, std::chrono::seconds(5), [&] { return im.live.empty(); }))
      spdlog::warn("{} rfb client(s) still connected at shutdown", im.live.size());
  }
  rfbShutdownServer(im.screen, FALSE);
}

void RfbFront::wake() { impl_->wake_pump(); }

std::vector<RfbClientStats> RfbFront::stats() const {
  std::lock_guard lk(impl_->clients_mu);
  std::vector<RfbClientStats> out;
  for (const auto& [id, st] : impl_->client_stats) out.push_back(st);
  return out;
}

std::uint64_t RfbFront::failed_auth() const { return impl_->failed_auth.load(); }

void read_password_file(const std::string& path, std::vector<std::string>& full, std::vector<std::string>& view_only) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error("cannot read the password file " + path);
  std::string line;
  bool viewonly = false;
  while (std::getline(f, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    if (line == "__BEGIN_VIEWONLY__") {
      viewonly = true;
      continue;
    }
    (viewonly ? view_only : full).push_back(line);
  }
  if (full.empty() && view_only.empty()) throw std::runtime_error("the password file " + path + " holds no password");
}

}  // namespace rd
