#include "bench/x_painter.hpp"

#include <X11/Xlib.h>

#include <stdexcept>

namespace rd {

struct XPainter::Impl {
  Display* dpy = nullptr;
  Window root = 0;
  GC gc = nullptr;
  unsigned w = 0, h = 0;
};

XPainter::XPainter(const std::string& display) : impl_(std::make_unique<Impl>()) {
  Impl& im = *impl_;
  im.dpy = XOpenDisplay(display.c_str());
  if (!im.dpy) throw std::runtime_error("cannot open X display " + display);
  im.root = DefaultRootWindow(im.dpy);
  im.gc = XCreateGC(im.dpy, im.root, 0, nullptr);
  XSetSubwindowMode(im.dpy, im.gc, IncludeInferiors);  // over any windows too
  im.w = static_cast<unsigned>(DisplayWidth(im.dpy, DefaultScreen(im.dpy)));
  im.h = static_cast<unsigned>(DisplayHeight(im.dpy, DefaultScreen(im.dpy)));
}

XPainter::~XPainter() {
  XFreeGC(impl_->dpy, impl_->gc);
  XCloseDisplay(impl_->dpy);
}

void XPainter::fill(unsigned long rgb) {
  XSetForeground(impl_->dpy, impl_->gc, rgb);
  XFillRectangle(impl_->dpy, impl_->root, impl_->gc, 0, 0, impl_->w, impl_->h);
  XSync(impl_->dpy, False);
}

}  // namespace rd

namespace rd {

void XPainter::fill_rect(int x, int y, int w, int h, unsigned long rgb) {
  XSetForeground(impl_->dpy, impl_->gc, rgb);
  XFillRectangle(impl_->dpy, impl_->root, impl_->gc, x, y, static_cast<unsigned>(w), static_cast<unsigned>(h));
  XSync(impl_->dpy, False);
}

}  // namespace rd
