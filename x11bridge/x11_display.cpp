#include "x11bridge/x11_display.hpp"

#include <X11/XKBlib.h>
#include <X11/Xatom.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/extensions/XShm.h>
#include <X11/extensions/XTest.h>
#include <X11/extensions/Xdamage.h>
#include <X11/extensions/Xfixes.h>
#include <X11/extensions/Xrandr.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#undef CursorShape  // X.h's QueryBestSize class, not our type

#include <algorithm>
#include <chrono>
#include <cstring>
#include <list>
#include <stdexcept>

#include "protocol/keysym.hpp"

namespace rd {

namespace {

// Xlib reports errors through one process-wide handler; XShmAttach's refusal arrives
// asynchronously, so the handler records it and the caller checks after XSync.
int g_last_x_error = 0;
int record_x_error(Display*, XErrorEvent* e) {
  g_last_x_error = e->error_code;
  return 0;
}

// Damage over this share of the screen (or in this many pieces) is grabbed whole.
constexpr double kFloodShare = 0.4;
constexpr int kFloodRects = 64;

}  // namespace

struct X11Display::Impl {
  Display* dpy = nullptr;
  int screen = 0;
  Window root = 0;
  Visual* visual = nullptr;
  int depth = 0, w = 0, h = 0;

  bool want_shm = true;  // false: XGetImage only
  bool shm = false;
  XShmSegmentInfo shminfo{};
  XImage* shm_image = nullptr;

  int damage_event = 0, fixes_event = 0;
  Damage damage = 0;
  XserverRegion scratch = 0;
  bool damaged = true;  // the first capture takes everything
  bool size_changed = false;
  bool cursor_changed = true;

  Window clip_win = 0;
  Atom a_clipboard = 0, a_utf8 = 0, a_targets = 0, a_text = 0, a_prop = 0;
  std::string clip_text;
  std::optional<std::string> incoming;

  // Input state: what each press used, so that its release matches.
  std::map<std::uint32_t, KeyCode> pressed;
  std::uint32_t buttons = 0;
  std::vector<KeyCode> free_spares;
  std::list<std::pair<std::uint32_t, KeyCode>> spare_lru;  // keysym on a spare keycode, most recent first
  std::vector<KeyCode> all_spares;

  Stats stats;

  void init_shm() {
    destroy_shm();
    shm = false;
    if (!XShmQueryExtension(dpy)) return;
    shm_image = XShmCreateImage(dpy, visual, static_cast<unsigned>(depth), ZPixmap, nullptr, &shminfo,
                                static_cast<unsigned>(w), static_cast<unsigned>(h));
    if (!shm_image) return;
    shminfo.shmid = shmget(IPC_PRIVATE, static_cast<std::size_t>(shm_image->bytes_per_line) * h, IPC_CREAT | 0600);
    if (shminfo.shmid < 0) return destroy_shm();
    shminfo.shmaddr = shm_image->data = static_cast<char*>(shmat(shminfo.shmid, nullptr, 0));
    shminfo.readOnly = False;
    g_last_x_error = 0;
    XShmAttach(dpy, &shminfo);
    XSync(dpy, False);
    shmctl(shminfo.shmid, IPC_RMID, nullptr);  // freed once both ends detach
    if (g_last_x_error != 0) {  // e.g. BadAccess from another IPC namespace
      shmdt(shminfo.shmaddr);
      shminfo.shmaddr = nullptr;
      shm_image->data = nullptr;
      XDestroyImage(shm_image);
      shm_image = nullptr;
      return;
    }
    shm = true;
  }

  void destroy_shm() {
    if (!shm_image) return;
    if (shm) XShmDetach(dpy, &shminfo);
    XSync(dpy, False);
    if (shminfo.shmaddr) shmdt(shminfo.shmaddr);
    shm_image->data = nullptr;
    XDestroyImage(shm_image);
    shm_image = nullptr;
    shminfo = {};
    shm = false;
  }

  // Copies r of a 32-bit ZPixmap image whose top-left is at (ox, oy) into the frame.
  static void copy_image(const XImage* img, int ox, int oy, const Rect& r, Surface& frame) {
    for (int y = r.y; y < r.bottom(); ++y) {
      const auto* in = reinterpret_cast<const std::uint32_t*>(img->data + static_cast<std::ptrdiff_t>(y - oy) * img->bytes_per_line) + (r.x - ox);
      std::uint32_t* out = frame.row32(y) + r.x;
      for (int x = 0; x < r.w; ++x) out[x] = in[x] | 0xFF000000u;  // the padding byte becomes opaque alpha
    }
  }

  KeyCode keycode_for(std::uint32_t ks) {
    bool shift = false;
    for (const auto& [sym, kc] : pressed) shift |= sym == keysym::Shift_L || sym == keysym::Shift_R;
    KeyCode kc = XKeysymToKeycode(dpy, ks);
    if (kc) {
      // Usable as is when the keysym sits at the level the held modifiers select, or is
      // itself a modifier or a key without levels.
      KeySym at = XkbKeycodeToKeysym(dpy, kc, 0, shift ? 1 : 0);
      KeySym base = XkbKeycodeToKeysym(dpy, kc, 0, 0);
      if (at == ks || (base == ks && (unicode_from_keysym(ks) == 0 || !shift))) return kc;
    }
    return spare_for(ks);
  }

  // A keysym no key produces at the current level (é, €, Cyrillic, or 'A' without
  // Shift): map it on a spare keycode at both levels, least recently used first.
  KeyCode spare_for(std::uint32_t ks) {
    for (auto it = spare_lru.begin(); it != spare_lru.end(); ++it)
      if (it->first == ks) {
        spare_lru.splice(spare_lru.begin(), spare_lru, it);
        return it->second;
      }
    KeyCode kc = 0;
    if (!free_spares.empty()) {
      kc = free_spares.back();
      free_spares.pop_back();
    } else {
      for (auto it = spare_lru.rbegin(); it != spare_lru.rend(); ++it) {
        bool held = false;
        for (const auto& [sym, pkc] : pressed) held |= pkc == it->second;
        if (held) continue;
        kc = it->second;
        spare_lru.erase(std::next(it).base());
        break;
      }
    }
    if (!kc) return 0;
    KeySym syms[2] = {ks, ks};
    XChangeKeyboardMapping(dpy, kc, 2, syms, 1);
    XSync(dpy, False);
    spare_lru.emplace_front(ks, kc);
    ++stats.spare_keycodes_used;
    return kc;
  }

  void find_spares() {
    int min_kc = 0, max_kc = 0, per = 0;
    XDisplayKeycodes(dpy, &min_kc, &max_kc);
    KeySym* map = XGetKeyboardMapping(dpy, static_cast<KeyCode>(min_kc), max_kc - min_kc + 1, &per);
    if (!map) return;
    for (int kc = max_kc; kc >= min_kc; --kc) {
      bool empty = true;
      for (int i = 0; i < per; ++i) empty &= map[(kc - min_kc) * per + i] == NoSymbol;
      if (empty) all_spares.push_back(static_cast<KeyCode>(kc));
      if (all_spares.size() >= 16) break;
    }
    XFree(map);
    free_spares = all_spares;
  }

  void answer_selection_request(const XSelectionRequestEvent& r) {
    XSelectionEvent ev{};
    ev.type = SelectionNotify;
    ev.display = r.display;
    ev.requestor = r.requestor;
    ev.selection = r.selection;
    ev.target = r.target;
    ev.time = r.time;
    ev.property = r.property == None ? r.target : r.property;
    if (r.target == a_targets) {
      Atom targets[4] = {a_targets, a_utf8, XA_STRING, a_text};
      XChangeProperty(dpy, r.requestor, ev.property, XA_ATOM, 32, PropModeReplace, reinterpret_cast<unsigned char*>(targets), 4);
    } else if (r.target == a_utf8 || r.target == a_text) {
      XChangeProperty(dpy, r.requestor, ev.property, a_utf8, 8, PropModeReplace,
                      reinterpret_cast<const unsigned char*>(clip_text.data()), static_cast<int>(clip_text.size()));
    } else if (r.target == XA_STRING) {
      std::string latin1;
      for (char32_t cp : utf8_decode(clip_text)) latin1.push_back(cp <= 0xff ? static_cast<char>(cp) : '?');
      XChangeProperty(dpy, r.requestor, ev.property, XA_STRING, 8, PropModeReplace,
                      reinterpret_cast<const unsigned char*>(latin1.data()), static_cast<int>(latin1.size()));
    } else {
      ev.property = None;
    }
    XSendEvent(dpy, r.requestor, False, 0, reinterpret_cast<XEvent*>(&ev));
    XFlush(dpy);
  }

  void read_selection(const XSelectionEvent& e) {
    if (e.property == None) return;
    Atom type = 0;
    int format = 0;
    unsigned long n = 0, left = 0;
    unsigned char* data = nullptr;
    // At most 1 MiB (the native protocol's clipboard limit); INCR transfers are not read.
    if (XGetWindowProperty(dpy, clip_win, e.property, 0, (1 << 20) / 4, True, AnyPropertyType, &type, &format, &n, &left,
                           &data) != Success || !data)
      return;
    std::string text(reinterpret_cast<char*>(data), n);
    XFree(data);
    if (type == XA_STRING) {
      std::string utf8;
      for (unsigned char c : text) utf8_append(utf8, c);
      text = std::move(utf8);
    } else if (type != a_utf8) {
      return;
    }
    incoming = std::move(text);
  }
};

X11Display::X11Display(const std::string& name, bool use_shm) : impl_(std::make_unique<Impl>()) {
  Impl& im = *impl_;
  XSetErrorHandler(record_x_error);
  im.dpy = XOpenDisplay(name.c_str());
  if (!im.dpy) throw std::runtime_error("cannot open X display " + name);
  im.screen = DefaultScreen(im.dpy);
  im.root = RootWindow(im.dpy, im.screen);
  im.visual = DefaultVisual(im.dpy, im.screen);
  im.depth = DefaultDepth(im.dpy, im.screen);
  im.w = DisplayWidth(im.dpy, im.screen);
  im.h = DisplayHeight(im.dpy, im.screen);
  if (im.visual->c_class != TrueColor || im.depth < 24 || im.visual->red_mask != 0xff0000 || im.visual->green_mask != 0xff00 ||
      im.visual->blue_mask != 0xff)
    throw std::runtime_error("X display " + name + " is not 24-bit TrueColor with 8-bit channels");
  int err = 0, major = 0, minor = 0;
  if (!XDamageQueryExtension(im.dpy, &im.damage_event, &err)) throw std::runtime_error("X display " + name + " lacks DAMAGE");
  if (!XFixesQueryExtension(im.dpy, &im.fixes_event, &err)) throw std::runtime_error("X display " + name + " lacks XFIXES");
  if (!XTestQueryExtension(im.dpy, &err, &err, &major, &minor)) throw std::runtime_error("X display " + name + " lacks XTEST");
  im.damage = XDamageCreate(im.dpy, im.root, XDamageReportNonEmpty);
  im.scratch = XFixesCreateRegion(im.dpy, nullptr, 0);
  XFixesSelectCursorInput(im.dpy, im.root, XFixesDisplayCursorNotifyMask);
  XSelectInput(im.dpy, im.root, StructureNotifyMask);
  im.want_shm = use_shm;
  if (im.want_shm) im.init_shm();
  im.stats.shm = im.shm;
  im.find_spares();
  XTestGrabControl(im.dpy, True);  // input goes through even during a server grab

  im.a_clipboard = XInternAtom(im.dpy, "CLIPBOARD", False);
  im.a_utf8 = XInternAtom(im.dpy, "UTF8_STRING", False);
  im.a_targets = XInternAtom(im.dpy, "TARGETS", False);
  im.a_text = XInternAtom(im.dpy, "TEXT", False);
  im.a_prop = XInternAtom(im.dpy, "RDISPLAY_SELECTION", False);
  im.clip_win = XCreateSimpleWindow(im.dpy, im.root, 0, 0, 1, 1, 0, 0, 0);
  for (Atom sel : {im.a_clipboard, static_cast<Atom>(XA_PRIMARY)})
    XFixesSelectSelectionInput(im.dpy, im.root, sel, XFixesSetSelectionOwnerNotifyMask);
  XSync(im.dpy, False);
}

X11Display::~X11Display() {
  Impl& im = *impl_;
  if (!im.dpy) return;
  release_all();
  // Give the spare keycodes back empty.
  for (KeyCode kc : im.all_spares) {
    KeySym none[2] = {NoSymbol, NoSymbol};
    XChangeKeyboardMapping(im.dpy, kc, 2, none, 1);
  }
  im.destroy_shm();
  if (im.damage) XDamageDestroy(im.dpy, im.damage);
  if (im.scratch) XFixesDestroyRegion(im.dpy, im.scratch);
  XCloseDisplay(im.dpy);
}

int X11Display::width() const { return impl_->w; }
int X11Display::height() const { return impl_->h; }
int X11Display::fd() const { return ConnectionNumber(impl_->dpy); }
bool X11Display::uses_shm() const { return impl_->shm; }
bool X11Display::has_damage() const { return impl_->damaged || impl_->size_changed; }

bool X11Display::process_events() {
  Impl& im = *impl_;
  bool any = false;
  while (XPending(im.dpy)) {
    XEvent ev;
    XNextEvent(im.dpy, &ev);
    if (ev.type == im.damage_event + XDamageNotify) {
      im.damaged = true;
      any = true;
    } else if (ev.type == im.fixes_event + XFixesCursorNotify) {
      im.cursor_changed = true;
      any = true;
    } else if (ev.type == im.fixes_event + XFixesSelectionNotify) {
      auto* sn = reinterpret_cast<XFixesSelectionNotifyEvent*>(&ev);
      if (sn->owner != None && sn->owner != im.clip_win)  // someone else copied: fetch it
        XConvertSelection(im.dpy, sn->selection, im.a_utf8, im.a_prop, im.clip_win, CurrentTime);
    } else if (ev.type == SelectionNotify) {
      im.read_selection(ev.xselection);
      any |= im.incoming.has_value();
    } else if (ev.type == SelectionRequest) {
      im.answer_selection_request(ev.xselectionrequest);
    } else if (ev.type == ConfigureNotify && ev.xconfigure.window == im.root) {
      if (ev.xconfigure.width != im.w || ev.xconfigure.height != im.h) {
        im.w = ev.xconfigure.width;
        im.h = ev.xconfigure.height;
        im.size_changed = true;
        any = true;
      }
    }
  }
  return any;
}

Region X11Display::capture(Surface& frame) {
  Impl& im = *impl_;
  auto t0 = std::chrono::steady_clock::now();
  Region out;
  Rect screen{0, 0, im.w, im.h};
  bool full = im.size_changed || frame.width() != im.w || frame.height() != im.h;
  if (full) {
    if (im.want_shm && (im.size_changed || (im.shm && (im.shm_image->width != im.w || im.shm_image->height != im.h)))) im.init_shm();
    im.size_changed = false;
    frame.resize(im.w, im.h);
  }
  // Take the damage first: whatever changes after this raises new damage.
  XDamageSubtract(im.dpy, im.damage, None, im.scratch);
  int n = 0;
  XRectangle* rects = XFixesFetchRegion(im.dpy, im.scratch, &n);
  long long area = 0;
  for (int i = 0; i < n; ++i) {
    Rect r = Rect{rects[i].x, rects[i].y, rects[i].width, rects[i].height}.intersect(screen);
    out.add(r);
    area += r.area();
  }
  if (rects) XFree(rects);
  im.damaged = false;
  im.stats.damage_rects += static_cast<std::uint64_t>(n);
  if (full || n > kFloodRects || static_cast<double>(area) > kFloodShare * static_cast<double>(screen.area())) {
    out.clear();
    out.add(screen);
    ++im.stats.full_grabs;
  }
  if (!out.empty()) {
    Rect box = out.bounds();
    if (im.shm && box.area() * 2 < screen.area()) {
      // Small damage: have the server write just the damaged box into the segment (a
      // header-only image over the same memory, pitched to the box), not the screen.
      XImage* part = XShmCreateImage(im.dpy, im.visual, static_cast<unsigned>(im.depth), ZPixmap, im.shminfo.shmaddr,
                                     &im.shminfo, static_cast<unsigned>(box.w), static_cast<unsigned>(box.h));
      if (part && XShmGetImage(im.dpy, im.root, part, box.x, box.y, AllPlanes))
        for (const Rect& r : out.rects()) Impl::copy_image(part, box.x, box.y, r, frame);
      if (part) {
        part->data = nullptr;  // the segment's, not the image's to free
        XDestroyImage(part);
      }
    } else if (im.shm) {
      XShmGetImage(im.dpy, im.root, im.shm_image, 0, 0, AllPlanes);
      for (const Rect& r : out.rects()) Impl::copy_image(im.shm_image, 0, 0, r, frame);
    } else {
      // Without shared memory each grab costs a round trip of pixels: one per piece.
      for (const Rect& r : out.rects()) {
        XImage* img = XGetImage(im.dpy, im.root, r.x, r.y, static_cast<unsigned>(r.w), static_cast<unsigned>(r.h), AllPlanes, ZPixmap);
        if (!img) continue;
        if (img->bits_per_pixel == 32) Impl::copy_image(img, r.x, r.y, r, frame);
        XDestroyImage(img);
      }
    }
    ++im.stats.captures;
  }
  im.stats.capture_ms_total += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

std::optional<CursorShape> X11Display::take_cursor() {
  Impl& im = *impl_;
  if (!im.cursor_changed) return std::nullopt;
  im.cursor_changed = false;
  XFixesCursorImage* ci = XFixesGetCursorImage(im.dpy);
  if (!ci) return std::nullopt;
  CursorShape c;
  c.w = static_cast<std::uint16_t>(std::min<int>(ci->width, 256));
  c.h = static_cast<std::uint16_t>(std::min<int>(ci->height, 256));
  c.hot_x = static_cast<std::int16_t>(ci->xhot);
  c.hot_y = static_cast<std::int16_t>(ci->yhot);
  c.bgra.resize(static_cast<std::size_t>(c.w) * c.h * 4);
  for (int y = 0; y < c.h; ++y)
    for (int x = 0; x < c.w; ++x) {
      // Pixels are premultiplied ARGB in unsigned longs: straighten them.
      auto v = static_cast<std::uint32_t>(ci->pixels[y * ci->width + x]);
      std::uint32_t a = v >> 24;
      auto un = [&](std::uint32_t ch) { return a ? std::min<std::uint32_t>(255, ch * 255 / a) : 0; };
      std::uint8_t* p = &c.bgra[(static_cast<std::size_t>(y) * c.w + x) * 4];
      p[0] = static_cast<std::uint8_t>(un(v & 0xff));
      p[1] = static_cast<std::uint8_t>(un((v >> 8) & 0xff));
      p[2] = static_cast<std::uint8_t>(un((v >> 16) & 0xff));
      p[3] = static_cast<std::uint8_t>(a);
    }
  XFree(ci);
  return c;
}

std::optional<std::string> X11Display::take_clipboard() {
  auto out = std::move(impl_->incoming);
  impl_->incoming.reset();
  return out;
}

void X11Display::key(std::uint32_t keysym, bool down) {
  Impl& im = *impl_;
  if (down) {
    KeyCode kc = im.keycode_for(keysym);
    if (!kc) return;  // no spare keycode left: nothing can type it
    if (auto it = im.pressed.find(keysym); it != im.pressed.end()) kc = it->second;  // auto-repeat: the same key
    im.pressed[keysym] = kc;
    XTestFakeKeyEvent(im.dpy, kc, True, CurrentTime);
  } else {
    auto it = im.pressed.find(keysym);
    if (it == im.pressed.end()) return;  // a release without its press
    XTestFakeKeyEvent(im.dpy, it->second, False, CurrentTime);
    im.pressed.erase(it);
  }
  XFlush(im.dpy);
}

void X11Display::pointer(int x, int y, std::uint32_t buttons) {
  Impl& im = *impl_;
  XTestFakeMotionEvent(im.dpy, im.screen, x, y, CurrentTime);
  for (int b = 0; b < 3; ++b) {
    std::uint32_t bit = 1u << b;
    if ((buttons & bit) != (im.buttons & bit))
      XTestFakeButtonEvent(im.dpy, static_cast<unsigned>(b + 1), (buttons & bit) ? True : False, CurrentTime);
  }
  im.buttons = buttons & 7;
  XFlush(im.dpy);
}

void X11Display::wheel(int x, int y, int dx, int dy) {
  Impl& im = *impl_;
  XTestFakeMotionEvent(im.dpy, im.screen, x, y, CurrentTime);
  auto click = [&](unsigned button, int n) {
    for (int i = 0; i < n; ++i) {
      XTestFakeButtonEvent(im.dpy, button, True, CurrentTime);
      XTestFakeButtonEvent(im.dpy, button, False, CurrentTime);
    }
  };
  click(dy > 0 ? 4 : 5, std::abs(dy));
  click(dx > 0 ? 7 : 6, std::abs(dx));
  XFlush(im.dpy);
}

void X11Display::release_all() {
  Impl& im = *impl_;
  for (const auto& [sym, kc] : im.pressed) XTestFakeKeyEvent(im.dpy, kc, False, CurrentTime);
  im.pressed.clear();
  for (int b = 0; b < 3; ++b)
    if (im.buttons & (1u << b)) XTestFakeButtonEvent(im.dpy, static_cast<unsigned>(b + 1), False, CurrentTime);
  im.buttons = 0;
  XFlush(im.dpy);
}

void X11Display::set_clipboard(const std::string& utf8) {
  Impl& im = *impl_;
  im.clip_text = utf8;
  XSetSelectionOwner(im.dpy, im.a_clipboard, im.clip_win, CurrentTime);
  XSetSelectionOwner(im.dpy, XA_PRIMARY, im.clip_win, CurrentTime);
  XFlush(im.dpy);
}

bool X11Display::resize(int w, int h) {
  Impl& im = *impl_;
  if (w == im.w && h == im.h) return true;
  int ev = 0, err = 0;
  if (!XRRQueryExtension(im.dpy, &ev, &err)) return false;
  int min_w = 0, min_h = 0, max_w = 0, max_h = 0;
  if (!XRRGetScreenSizeRange(im.dpy, im.root, &min_w, &min_h, &max_w, &max_h)) return false;
  if (w < min_w || h < min_h || w > max_w || h > max_h) return false;
  XRRScreenResources* res = XRRGetScreenResources(im.dpy, im.root);
  if (!res) return false;
  if (res->noutput < 1 || res->ncrtc < 1) {
    XRRFreeScreenResources(res);
    return false;
  }
  // RandR 1.2: a mode of the new size on the first output (made when missing), the
  // CRTC switched off while the screen size changes, then on again in that mode.
  // (The CRTC comes from the resources: the output's is None while it is off.)
  RROutput out = res->outputs[0];
  RRCrtc crtc = res->crtcs[0];
  RRMode mode = 0;
  for (int i = 0; i < res->nmode; ++i)
    if (static_cast<int>(res->modes[i].width) == w && static_cast<int>(res->modes[i].height) == h) mode = res->modes[i].id;
  g_last_x_error = 0;
  if (!mode) {
    std::string name = std::to_string(w) + "x" + std::to_string(h);
    XRRModeInfo mi{};
    mi.width = static_cast<unsigned>(w);
    mi.height = static_cast<unsigned>(h);
    mi.name = name.data();
    mi.nameLength = static_cast<unsigned>(name.size());
    mode = XRRCreateMode(im.dpy, im.root, &mi);
  }
  XRRAddOutputMode(im.dpy, out, mode);
  // Millimetres must not be 0 (Xvfb reports 0 mm outputs): keep the screen's density.
  int mmw = std::max(1, DisplayWidthMM(im.dpy, im.screen) * w / std::max(1, im.w));
  int mmh = std::max(1, DisplayHeightMM(im.dpy, im.screen) * h / std::max(1, im.h));
  XGrabServer(im.dpy);
  XRRSetCrtcConfig(im.dpy, res, crtc, CurrentTime, 0, 0, None, RR_Rotate_0, nullptr, 0);
  XRRSetScreenSize(im.dpy, im.root, w, h, mmw, mmh);
  Status st = XRRSetCrtcConfig(im.dpy, res, crtc, CurrentTime, 0, 0, mode, RR_Rotate_0, &out, 1);
  XUngrabServer(im.dpy);
  XSync(im.dpy, False);
  XRRFreeScreenResources(res);
  return g_last_x_error == 0 && st == RRSetConfigSuccess;
}

X11Display::Stats X11Display::stats() const { return impl_->stats; }

}  // namespace rd
